// Which charts a set of runs gets: latency CDFs per run (TTFT, TPOT, E2E), throughput vs load when
// runs are load levels, and TTFT by label as bars (routing policies). Returns file name → SVG.

import { succeeded } from './event-log.js';
import { e2eMs, tpotMs, ttftMs } from './metrics.js';
import { cdfPoints } from './percentiles.js';
import type { RunResult } from './run-result.js';
import { barChart, lineChart } from './svg-chart.js';

type Extract = typeof ttftMs;

function cdfChart(runs: readonly RunResult[], title: string, metric: Extract): string {
  return lineChart({
    title,
    xLabel: 'milliseconds',
    yLabel: 'fraction of requests ≤ x',
    series: runs.map((r) => ({
      name: r.label,
      points: cdfPoints(r.records.filter(succeeded).map(metric).filter((v): v is number => v !== null)),
    })),
  });
}

export function latencyCdfCharts(runs: readonly RunResult[], prefix: string): Map<string, string> {
  return new Map([
    [`${prefix}ttft-cdf.svg`, cdfChart(runs, 'TTFT CDF', ttftMs)],
    [`${prefix}tpot-cdf.svg`, cdfChart(runs, 'TPOT CDF (per request; AIPerf ITL)', tpotMs)],
    [`${prefix}e2e-cdf.svg`, cdfChart(runs, 'End-to-end latency CDF', e2eMs)],
  ]);
}

export function throughputVsLoadChart(runs: readonly RunResult[], loadLabel: string): string {
  const leveled = runs.filter((r) => r.load !== null);
  const series = (name: string, f: (r: RunResult) => number) => ({ name, points: leveled.map((r) => [r.load!, f(r)] as [number, number]) });
  return lineChart({
    title: `Throughput vs ${loadLabel}`,
    xLabel: loadLabel,
    yLabel: 'tokens/s  ·  requests/s ×100',
    series: [
      series('output tok/s', (r) => r.metrics.outputTokenThroughput),
      series('req/s ×100', (r) => r.metrics.requestThroughput * 100),
      series('goodput ×100', (r) => r.metrics.goodput * 100),
    ],
  });
}

export function ttftByLabelChart(runs: readonly RunResult[], title: string): string {
  return barChart({
    title,
    yLabel: 'TTFT ms',
    categories: runs.map((r) => r.label),
    groups: [
      { name: 'p50', values: runs.map((r) => r.metrics.ttftMs.p50) },
      { name: 'p90', values: runs.map((r) => r.metrics.ttftMs.p90) },
      { name: 'p99', values: runs.map((r) => r.metrics.ttftMs.p99) },
    ],
  });
}
