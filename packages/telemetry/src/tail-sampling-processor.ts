// Tail decision (seed 000: "always trace errors, decided retroactively by the span processor"):
// buffers each trace's spans in this process until none of them is open (its local root ended),
// then keeps the trace if head sampling chose it, any span failed, or the request was slow, and
// hands kept spans to the exporter in batches. Memory is bounded by maxTraces / maxSpansPerTrace.

import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds as msOf } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR } from './span-names.js';

export interface TailSamplingOptions {
  /** Keep a trace whose spans in this process cover at least this long (seconds). */
  slowRequestSeconds: number;
  /** Keep a trace whose TTFT attribute is at least this long (seconds). */
  slowTtftSeconds: number;
  maxTraces?: number;
  maxSpansPerTrace?: number;
  /** Export kept spans at least this often (ms). */
  batchDelayMs?: number;
  maxBatchSize?: number;
}

export type KeepReason = 'sampled' | 'error' | 'slow';

export interface TailSamplingStats {
  numTracesKept: number;
  numTracesDropped: number;
  kept: Record<KeepReason, number>;
  numSpansExported: number;
  numExportFailures: number;
}

interface Buffered {
  spans: ReadableSpan[];
  open: number;
  decisionQueued: boolean;
}

const TTFT_KEYS = [ATTR.requestTtftMs, ATTR.prefillTtftMs];

export class TailSamplingSpanProcessor implements SpanProcessor {
  private readonly traces = new Map<string, Buffered>();
  private pending: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | null = null;
  private exporting: Promise<void> = Promise.resolve();
  readonly stats: TailSamplingStats = {
    numTracesKept: 0, numTracesDropped: 0, kept: { sampled: 0, error: 0, slow: 0 }, numSpansExported: 0, numExportFailures: 0,
  };

  constructor(private readonly exporter: SpanExporter, private readonly options: TailSamplingOptions) {}

  onStart(span: Span): void {
    const id = span.spanContext().traceId;
    const entry = this.traces.get(id) ?? this.create(id);
    entry.open++;
  }

  onEnd(span: ReadableSpan): void {
    const id = span.spanContext().traceId;
    const entry = this.traces.get(id) ?? this.create(id);
    if (entry.spans.length < (this.options.maxSpansPerTrace ?? 20_000)) entry.spans.push(span);
    entry.open = Math.max(0, entry.open - 1);
    if (entry.open === 0 && !entry.decisionQueued) {
      // Deferred: a sibling subtree (e.g. prefill after scheduling) may start in the same tick.
      entry.decisionQueued = true;
      setImmediate(() => this.decide(id, false));
    }
  }

  /** Why a finished trace is kept, or null to drop it. */
  keepReason(spans: readonly ReadableSpan[]): KeepReason | null {
    if (spans.some((s) => (s.spanContext().traceFlags & 1) === 1)) return 'sampled';
    if (spans.some((s) => s.status.code === SpanStatusCode.ERROR || s.attributes[ATTR.errorType] !== undefined)) return 'error';
    let start = Infinity;
    let end = -Infinity;
    for (const s of spans) {
      start = Math.min(start, msOf(s.startTime));
      end = Math.max(end, msOf(s.endTime));
      for (const k of TTFT_KEYS) {
        const v = s.attributes[k];
        if (typeof v === 'number' && v >= this.options.slowTtftSeconds * 1000) return 'slow';
      }
    }
    return end - start >= this.options.slowRequestSeconds * 1000 ? 'slow' : null;
  }

  async forceFlush(): Promise<void> {
    for (const [id, entry] of [...this.traces]) if (entry.open === 0) this.decide(id, true);
    this.flush();
    await this.exporting;
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    if (this.timer) clearTimeout(this.timer);
    await this.exporter.shutdown();
  }

  private create(id: string): Buffered {
    const entry: Buffered = { spans: [], open: 0, decisionQueued: false };
    this.traces.set(id, entry);
    if (this.traces.size > (this.options.maxTraces ?? 10_000)) {
      const oldest = this.traces.keys().next().value as string;
      this.decide(oldest, true);
    }
    return entry;
  }

  private decide(id: string, force: boolean): void {
    const entry = this.traces.get(id);
    if (!entry) return;
    entry.decisionQueued = false;
    if (entry.open > 0 && !force) return;
    this.traces.delete(id);
    const reason = entry.spans.length > 0 ? this.keepReason(entry.spans) : null;
    if (reason === null) {
      this.stats.numTracesDropped++;
      return;
    }
    this.stats.numTracesKept++;
    this.stats.kept[reason]++;
    this.pending.push(...entry.spans);
    if (this.pending.length >= (this.options.maxBatchSize ?? 512)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.batchDelayMs ?? 500);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.exporting = this.exporting.then(() => new Promise<void>((resolve) => {
      this.exporter.export(batch, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.stats.numSpansExported += batch.length;
        else this.stats.numExportFailures++;
        resolve();
      });
    }));
  }
}
