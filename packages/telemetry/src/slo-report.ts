// SLO report over analysed requests: TTFT and ITL p50/p99 against target and warning thresholds,
// and the error rate (seed 000 SLOComplianceTracker; seed 001 healthy ranges for the p50 rows).
// The error rate counts head-sampled traces only: tail sampling keeps every error, so counting
// all exported traces would overstate it whenever the head ratio is below 1.

import type { RequestBreakdown } from './trace-analyzer.js';
import { percentile } from './percentile.js';

export interface SloDefinition {
  name: 'ttft_p50_ms' | 'ttft_p99_ms' | 'itl_p50_ms' | 'itl_p99_ms' | 'error_rate';
  target: number;
  warning: number;
  source: string;
}

export const SLOS: readonly SloDefinition[] = [
  { name: 'ttft_p50_ms', target: 500, warning: 1000, source: 'seed 001 TTFT p50 warn/critical' },
  { name: 'ttft_p99_ms', target: 200, warning: 500, source: 'seed 000 TTFT P99 target/warning' },
  { name: 'itl_p50_ms', target: 30, warning: 50, source: 'seed 001 TBT p50 warn/critical' },
  { name: 'itl_p99_ms', target: 50, warning: 100, source: 'seed 000 TBT P99 target/warning' },
  { name: 'error_rate', target: 0.001, warning: 0.01, source: 'seed 000 error SLO / seed 001 1% warning' },
];

export type SloStatus = 'met' | 'warning' | 'violated' | 'no_data';

export interface SloRow extends SloDefinition {
  value: number | null;
  status: SloStatus;
}

export interface SloReport {
  numRequests: number;
  numHeadSampled: number;
  numErrors: number;
  itlSource: 'decode_step spans' | 'per-request aggregates' | 'none';
  rows: SloRow[];
}

function status(value: number | null, slo: SloDefinition): SloStatus {
  if (value === null) return 'no_data';
  return value < slo.target ? 'met' : value < slo.warning ? 'warning' : 'violated';
}

export function sloReport(requests: readonly RequestBreakdown[], itlFromStepSpans: boolean): SloReport {
  const ttfts = requests.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
  const itls = requests.flatMap((r) => r.tbtMs);
  const sampled = requests.filter((r) => r.sampled);
  const numErrors = requests.filter((r) => r.error !== null).length;
  const values: Record<SloDefinition['name'], number | null> = {
    ttft_p50_ms: percentile(ttfts, 50), ttft_p99_ms: percentile(ttfts, 99),
    itl_p50_ms: percentile(itls, 50), itl_p99_ms: percentile(itls, 99),
    error_rate: sampled.length ? sampled.filter((r) => r.error !== null).length / sampled.length : null,
  };
  return {
    numRequests: requests.length,
    numHeadSampled: sampled.length,
    numErrors,
    itlSource: itls.length === 0 ? 'none' : itlFromStepSpans ? 'decode_step spans' : 'per-request aggregates',
    rows: SLOS.map((slo) => ({ ...slo, value: values[slo.name], status: status(values[slo.name], slo) })),
  };
}
