// Small SpanExporters: fan-out to several exporters, and a discarding one (benchmarks, tests);
// the SDK's InMemorySpanExporter is re-exported for tests of other packages.

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

/** Fans one batch out to several exporters; succeeds only if all of them do. */
export class FanOutSpanExporter implements SpanExporter {
  constructor(private readonly exporters: readonly SpanExporter[]) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let remaining = this.exporters.length;
    let failed: Error | undefined;
    if (remaining === 0) return done({ code: ExportResultCode.SUCCESS });
    for (const e of this.exporters) {
      e.export(spans, (r) => {
        if (r.code !== ExportResultCode.SUCCESS) failed = r.error ?? new Error('export failed');
        if (--remaining === 0) done(failed ? { code: ExportResultCode.FAILED, error: failed } : { code: ExportResultCode.SUCCESS });
      });
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exporters.map((e) => e.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exporters.map((e) => e.shutdown()));
  }
}

/** Accepts and drops every span: measures span creation and sampling without any export cost. */
export class DiscardSpanExporter implements SpanExporter {
  numSpans = 0;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.numSpans += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
