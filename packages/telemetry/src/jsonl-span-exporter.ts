// SpanExporter writing one SpanRecord per line to a file (appending), for offline analysis with
// the trace analyzer. Invariant: a batch is either fully written or reported as failed.

import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { toSpanRecord } from './span-record.js';

export class JsonlSpanExporter implements SpanExporter {
  private writing: Promise<void> = Promise.resolve();
  private readonly ready: Promise<unknown>;

  constructor(readonly path: string) {
    this.ready = mkdir(dirname(path), { recursive: true });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const text = spans.map((s) => JSON.stringify(toSpanRecord(s))).join('\n') + '\n';
    this.writing = this.writing
      .then(() => this.ready)
      .then(() => appendFile(this.path, text))
      .then(() => done({ code: ExportResultCode.SUCCESS }), (error: Error) => done({ code: ExportResultCode.FAILED, error }));
  }

  async forceFlush(): Promise<void> {
    await this.writing;
  }

  async shutdown(): Promise<void> {
    await this.writing;
  }
}
