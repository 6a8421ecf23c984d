// Bottleneck classification of one request's trace (seed 000 TraceAnalyzer): compares queue
// (scheduling), prefill and routing time before the first token, then decode-step spikes.
// Thresholds are the seed's: queue > 60 % → queue_saturation; prefill > 70 % → prefill_no_cache
// (hit rate < 10 %) or prefill_compute_bound; max step > 3 × average → decode_latency_spike.
// A request that failed before reaching a worker is `failed` (no timing to classify).

import { ATTR, EVENT, SPAN } from './span-names.js';
import type { SpanRecord } from './span-record.js';
import type { TraceSpans } from './trace-file.js';

export type BottleneckCategory = 'queue_saturation' | 'prefill_no_cache' | 'prefill_compute_bound' | 'decode_latency_spike' | 'balanced' | 'failed';

/** The numbers of one request the classification uses (ms unless noted). */
export interface RequestBreakdown {
  traceId: string;
  requestId: string | null;
  durationMs: number;
  ttftMs: number | null;
  routingMs: number;
  queueMs: number;
  prefillMs: number;
  promptTokens: number;
  cachedTokens: number;
  cacheHitRate: number;
  tbtMs: number[];
  avgTbtMs: number;
  maxTbtMs: number;
  numPreemptions: number;
  error: string | null;
  /** Name of the first span that failed (null when none did). */
  failedSpan: string | null;
  /** Head-sampled (false: kept only because it failed or was slow). */
  sampled: boolean;
}

export interface BottleneckDiagnosis {
  category: BottleneckCategory;
  dominantSpan: 'scheduling' | 'prefill' | 'decode_step' | 'none';
  dominantPct: number;
  recommendation: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const longest = (spans: readonly SpanRecord[], name: string): SpanRecord | null =>
  spans.filter((s) => s.name === name).sort((a, b) => b.durationMs - a.durationMs)[0] ?? null;

function tbtOf(spans: readonly SpanRecord[], decode: SpanRecord | null): number[] {
  const steps = spans.filter((s) => s.name === SPAN.decodeStep);
  if (steps.length > 0) return steps.map((s) => s.durationMs);
  const avg = num(decode?.attributes[ATTR.decodeAvgTbtMs]);
  const max = num(decode?.attributes[ATTR.decodeMaxTbtMs]);
  const n = num(decode?.attributes[ATTR.decodeTotalSteps]) ?? 0;
  if (avg === null || n === 0) return [];
  // Per-step spans off: rebuild n gaps with the recorded average and maximum.
  const rest = n > 1 && max !== null ? (avg * n - max) / (n - 1) : avg;
  return Array.from({ length: n }, (_, i) => (i === 0 && max !== null ? max : rest));
}

export function breakdown(t: TraceSpans): RequestBreakdown {
  const { spans, root } = t;
  const prefill = longest(spans, SPAN.prefill);
  const decode = longest(spans, SPAN.decode);
  const promptTokens = num(prefill?.attributes[ATTR.prefillPromptTokens]) ?? num(root.attributes[ATTR.requestPromptTokens]) ?? 0;
  const cachedTokens = num(prefill?.attributes[ATTR.prefillCachedTokens]) ?? num(root.attributes[ATTR.requestCachedTokens]) ?? 0;
  const tbtMs = tbtOf(spans, decode);
  const failed = spans.find((s) => s.status.code === 'ERROR');
  return {
    traceId: t.traceId,
    requestId: typeof root.attributes[ATTR.requestId] === 'string' ? (root.attributes[ATTR.requestId] as string) : null,
    durationMs: Math.max(...spans.map((s) => s.endTimeMs)) - Math.min(...spans.map((s) => s.startTimeMs)),
    ttftMs: num(root.attributes[ATTR.requestTtftMs]) ?? num(prefill?.attributes[ATTR.prefillTtftMs]),
    routingMs: longest(spans, SPAN.routing)?.durationMs ?? 0,
    queueMs: longest(spans, SPAN.scheduling)?.durationMs ?? 0,
    prefillMs: prefill?.durationMs ?? 0,
    promptTokens, cachedTokens,
    cacheHitRate: cachedTokens / Math.max(promptTokens, 1),
    tbtMs,
    avgTbtMs: tbtMs.length ? tbtMs.reduce((a, b) => a + b, 0) / tbtMs.length : 0,
    maxTbtMs: tbtMs.length ? Math.max(...tbtMs) : 0,
    numPreemptions: spans.reduce((n, s) => n + s.events.filter((e) => e.name === EVENT.preempted).length, 0),
    error: failed ? String(failed.attributes[ATTR.errorType] ?? failed.status.message ?? 'error') : null,
    failedSpan: failed?.name ?? null,
    sampled: spans.some((s) => s.sampled),
  };
}

const f0 = (x: number) => x.toFixed(0);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function classify(b: RequestBreakdown): BottleneckDiagnosis {
  if (b.error !== null && b.queueMs === 0 && b.prefillMs === 0) {
    return { category: 'failed', dominantSpan: 'none', dominantPct: 0,
      recommendation: `Failed in \`${b.failedSpan}\` before any worker ran it (error.type=${b.error}); see the error span and dynamo_frontend_errors_total.` };
  }
  const beforeFirst = b.queueMs + b.prefillMs + b.routingMs;
  const denom = Math.max(beforeFirst, 1);
  const ttft = b.ttftMs ?? beforeFirst;
  if (b.queueMs / denom > 0.6) {
    return { category: 'queue_saturation', dominantSpan: 'scheduling', dominantPct: (b.queueMs / denom) * 100,
      recommendation: `Reduce queue depth by scaling workers or enabling request shedding. Current queue time: ${f0(b.queueMs)}ms of ${f0(ttft)}ms TTFT.` };
  }
  if (b.prefillMs / denom > 0.7) {
    const dominantPct = (b.prefillMs / denom) * 100;
    if (b.cacheHitRate < 0.1) {
      return { category: 'prefill_no_cache', dominantSpan: 'prefill', dominantPct,
        recommendation: `Prefill dominates TTFT (${f0(b.prefillMs)}ms). Cache hit rate is ${pct(b.cacheHitRate)}. Consider prefix caching or prompt optimization.` };
    }
    return { category: 'prefill_compute_bound', dominantSpan: 'prefill', dominantPct,
      recommendation: `Prefill is compute-bound despite ${pct(b.cacheHitRate)} cache hit. Consider chunked prefill or disaggregated prefill/decode.` };
  }
  if (b.tbtMs.length > 0 && b.maxTbtMs > 3 * b.avgTbtMs) {
    const spikes = b.tbtMs.filter((x) => x > 2 * b.avgTbtMs).length;
    return { category: 'decode_latency_spike', dominantSpan: 'decode_step', dominantPct: 0,
      recommendation: `Decode latency spikes detected: max ${f0(b.maxTbtMs)}ms vs avg ${f0(b.avgTbtMs)}ms. ${spikes} spikes detected. ` +
        `Check for KV cache swaps or preemption events${b.numPreemptions ? ` (${b.numPreemptions} preemptions in this trace)` : ''}.` };
  }
  return { category: 'balanced', dominantSpan: 'none', dominantPct: 0, recommendation: 'No single bottleneck dominates. Request is balanced.' };
}
