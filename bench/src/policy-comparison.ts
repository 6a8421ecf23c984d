// Comparing routing policies on one workload: per-policy ratios against the kv policy (how many
// times slower / less cached each baseline is) and how evenly each spread requests over workers.
// Pure functions over RunResults, so the report and `bench routing` print the same numbers.

import type { RunResult } from './run-result.js';

export interface PolicyRatio {
  policy: string;
  /** baseline TTFT ÷ kv TTFT: > 1 means kv is faster. */
  ttftP50Ratio: number | null;
  ttftP99Ratio: number | null;
  e2eP50Ratio: number | null;
  kvEfficiency: number | null;
  errorRate: number;
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b <= 0 ? null : a / b);

export function policyRatios(runs: readonly RunResult[], reference = 'kv'): PolicyRatio[] {
  const ref = runs.find((r) => r.label === reference);
  return runs.map((r) => ({
    policy: r.label,
    ttftP50Ratio: ratio(r.metrics.ttftMs.p50, ref?.metrics.ttftMs.p50 ?? null),
    ttftP99Ratio: ratio(r.metrics.ttftMs.p99, ref?.metrics.ttftMs.p99 ?? null),
    e2eP50Ratio: ratio(r.metrics.e2eMs.p50, ref?.metrics.e2eMs.p50 ?? null),
    kvEfficiency: r.metrics.kvEfficiency,
    errorRate: r.metrics.errorRate,
  }));
}

/** Requests per worker (from the gateway's x-mini-dynamo-worker-id header), busiest first. */
export function workerSpread(run: RunResult): number[] {
  const counts = new Map<string, number>();
  for (const r of run.records) {
    const w = r.tags['x-mini-dynamo-worker-id'];
    if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts.values()].sort((a, b) => b - a);
}

const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);

export function ratioTable(runs: readonly RunResult[], reference = 'kv'): string {
  const rows = policyRatios(runs, reference).map((p, i) =>
    `| ${p.policy} | ${x(p.ttftP50Ratio)} | ${x(p.ttftP99Ratio)} | ${x(p.e2eP50Ratio)} | ${pct(p.kvEfficiency)} | ${pct(p.errorRate)} | ${workerSpread(runs[i]!).join(' ') || '–'} |`);
  return [
    `| policy | TTFT p50 ÷ ${reference} | TTFT p99 ÷ ${reference} | E2E p50 ÷ ${reference} | KVE (cached/prompt) | errors | requests per worker |`,
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
