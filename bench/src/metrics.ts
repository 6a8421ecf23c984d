// Pure metric arithmetic over an event log (no clocks, no I/O), named in both conventions:
//   TTFT  = first chunk − send.                         (vLLM, AIPerf: TTFT)
//   TPOT  = (last chunk − first chunk) / (tokens − 1),  per request   (AIPerf calls it ITL)
//   ITL   = every gap between consecutive chunks, pooled (AIPerf calls it ICL, inter-chunk latency)
//   E2E   = end − send.  Goodput = requests meeting every SLO per second (DistServe / vLLM --goodput).
//   KV efficiency (KVE) = Σ cached prompt tokens / Σ prompt tokens (seed 004).

import { numOutputTokens, succeeded, type RequestRecord } from './event-log.js';
import { distribution, type Distribution } from './percentiles.js';
import { NO_SLO, type Slo } from './slo.js';

export interface RunMetrics {
  numRequests: number;
  numSucceeded: number;
  numFailed: number;
  errorRate: number;
  /** First send to last end (ms). */
  durationMs: number;
  requestThroughput: number;
  outputTokenThroughput: number;
  numGood: number;
  goodput: number;
  goodFraction: number;
  numPromptTokens: number;
  numCachedTokens: number;
  /** null when the server reported no cached-token usage at all. */
  kvEfficiency: number | null;
  ttftMs: Distribution;
  /** Per request; AIPerf: "inter token latency". */
  tpotMs: Distribution;
  /** Every gap; AIPerf: "inter chunk latency". */
  itlMs: Distribution;
  e2eMs: Distribution;
  errors: Record<string, number>;
}

export function ttftMs(r: RequestRecord): number | null {
  return r.chunkTimesMs.length ? r.chunkTimesMs[0]! - r.sendMs : null;
}

export function e2eMs(r: RequestRecord): number | null {
  return r.endMs === null ? null : r.endMs - r.sendMs;
}

/** Decode time per output token after the first; null with fewer than 2 tokens. */
export function tpotMs(r: RequestRecord): number | null {
  const n = numOutputTokens(r);
  const times = r.chunkTimesMs;
  if (n < 2 || times.length === 0) return null;
  return (times[times.length - 1]! - times[0]!) / (n - 1);
}

export function itlGapsMs(r: RequestRecord): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < r.chunkTimesMs.length; i++) gaps.push(r.chunkTimesMs[i]! - r.chunkTimesMs[i - 1]!);
  return gaps;
}

export function meetsSlo(r: RequestRecord, slo: Slo): boolean {
  if (!succeeded(r)) return false;
  const within = (value: number | null, limit: number | null) => limit === null || (value !== null && value <= limit);
  // A request with one output token has no TPOT: it cannot violate a TPOT objective.
  const tpot = tpotMs(r);
  return within(ttftMs(r), slo.ttftMs) && (tpot === null || within(tpot, slo.tpotMs)) && within(e2eMs(r), slo.e2eMs);
}

function runSpanMs(records: readonly RequestRecord[]): number {
  if (records.length === 0) return 0;
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    start = Math.min(start, r.sendMs);
    end = Math.max(end, r.endMs ?? r.sendMs);
  }
  return Math.max(0, end - start);
}

const present = (v: number | null): v is number => v !== null;

/** durationMs overrides the first-send → last-end span (for runs pooled from several rounds). */
export function computeMetrics(records: readonly RequestRecord[], slo: Slo = NO_SLO, durationMs = runSpanMs(records)): RunMetrics {
  const ok = records.filter(succeeded);
  const perSecond = (n: number) => (durationMs > 0 ? (n * 1000) / durationMs : 0);
  const numGood = ok.filter((r) => meetsSlo(r, slo)).length;
  const withUsage = ok.filter((r) => r.usage !== null);
  const numPromptTokens = withUsage.reduce((s, r) => s + r.usage!.promptTokens, 0);
  const numCachedTokens = withUsage.reduce((s, r) => s + (r.usage!.cachedTokens ?? 0), 0);
  const reportsCache = withUsage.some((r) => r.usage!.cachedTokens !== null);
  const errors: Record<string, number> = {};
  for (const r of records) if (r.error !== null) errors[r.error] = (errors[r.error] ?? 0) + 1;
  const numFailed = records.length - ok.length;
  return {
    numRequests: records.length,
    numSucceeded: ok.length,
    numFailed,
    errorRate: records.length ? numFailed / records.length : 0,
    durationMs,
    requestThroughput: perSecond(ok.length),
    outputTokenThroughput: perSecond(ok.reduce((s, r) => s + numOutputTokens(r), 0)),
    numGood,
    goodput: perSecond(numGood),
    goodFraction: records.length ? numGood / records.length : 0,
    numPromptTokens,
    numCachedTokens,
    kvEfficiency: reportsCache && numPromptTokens > 0 ? numCachedTokens / numPromptTokens : null,
    ttftMs: distribution(ok.map(ttftMs).filter(present)),
    tpotMs: distribution(ok.map(tpotMs).filter(present)),
    itlMs: distribution(ok.flatMap(itlGapsMs)),
    e2eMs: distribution(ok.map(e2eMs).filter(present)),
    errors,
  };
}
