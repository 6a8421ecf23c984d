// The result of one or more load runs as JSON (machine-readable, with the exact command and
// config) and as a Markdown table. One `RunResult` per load level or routing policy.

import type { RequestRecord } from './event-log.js';
import type { RunMetrics } from './metrics.js';
import type { Distribution } from './percentiles.js';
import type { WorkloadSummary } from './workload.js';

export interface RunResult {
  label: string;
  /** The load level (concurrency or req/s) for throughput-vs-load charts; null otherwise. */
  load: number | null;
  metrics: RunMetrics;
  records: RequestRecord[];
}

export interface BenchDocument {
  tool: '@mini-dynamo/bench';
  command: string;
  startedAt: string;
  config: Record<string, unknown>;
  workload: WorkloadSummary;
  runs: RunResult[];
}

export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['npm', 'run', 'bench', '--', ...argv.map(quote)].join(' ');
}

export function toJson(doc: BenchDocument, includeRecords: boolean): string {
  const runs = doc.runs.map((r) => (includeRecords ? r : { ...r, records: undefined }));
  return JSON.stringify({ ...doc, runs }, null, 2) + '\n';
}

export const ms = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const quad = (d: Distribution) => `${ms(d.p50)} / ${ms(d.p90)} / ${ms(d.p95)} / ${ms(d.p99)}`;

export function metricsTable(runs: readonly RunResult[]): string {
  const head = [
    '| run | req/s | out tok/s | goodput req/s | errors | KVE (cached/prompt) | TTFT ms p50/p90/p95/p99 | TPOT ms (AIPerf ITL) p50/p90/p95/p99 | ITL ms (AIPerf ICL) p50/p99 | E2E ms p50/p99 |',
    '|---|---:|---:|---:|---:|---:|---|---|---|---|',
  ];
  const rows = runs.map(({ label, metrics: m }) =>
    `| ${label} | ${m.requestThroughput.toFixed(2)} | ${m.outputTokenThroughput.toFixed(1)} | ${m.goodput.toFixed(2)} | ` +
    `${pct(m.errorRate)} | ${pct(m.kvEfficiency)} | ${quad(m.ttftMs)} | ${quad(m.tpotMs)} | ` +
    `${ms(m.itlMs.p50)} / ${ms(m.itlMs.p99)} | ${ms(m.e2eMs.p50)} / ${ms(m.e2eMs.p99)} |`);
  return [...head, ...rows].join('\n');
}

export function toMarkdown(doc: BenchDocument, charts: readonly string[]): string {
  const w = doc.workload;
  return [
    `# Load run ${doc.startedAt}`,
    '',
    '```',
    doc.command,
    '```',
    '',
    `Workload: ${w.numSessions} sessions, ${w.numRequests} requests, mean prompt ${w.meanPromptTokens.toFixed(0)} tokens, ` +
      `mean output ${w.meanOutputTokens.toFixed(0)} tokens. SLO: ${String(doc.config.slo ?? 'none')}.`,
    '',
    metricsTable(doc.runs),
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
}
