// Whole-file analysis behind the CLI: breakdown of every request, classification of the slow ones,
// the SLO report, and a plain-text rendering with the numbers behind each diagnosis.

import { breakdown, classify, type BottleneckDiagnosis, type RequestBreakdown } from './trace-analyzer.js';
import { sloReport, type SloReport } from './slo-report.js';
import { percentile } from './percentile.js';
import type { ParsedTraces } from './trace-file.js';
import { SPAN } from './span-names.js';

export interface SlowRequest {
  request: RequestBreakdown;
  diagnosis: BottleneckDiagnosis;
}

export interface TraceAnalysis {
  numTraces: number;
  numSpans: number;
  numBadLines: number;
  slowThresholdMs: number | null;
  slow: SlowRequest[];
  categories: Record<string, number>;
  slo: SloReport;
}

export function analyzeTraces(parsed: ParsedTraces, slowMs: number | null = null): TraceAnalysis {
  const requests = parsed.traces.map(breakdown);
  const threshold = slowMs ?? percentile(requests.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs])), 95);
  const slow = requests
    .filter((r) => r.error !== null || (threshold !== null && r.ttftMs !== null && r.ttftMs >= threshold))
    .map((request) => ({ request, diagnosis: classify(request) }));
  const categories: Record<string, number> = {};
  for (const s of slow) categories[s.diagnosis.category] = (categories[s.diagnosis.category] ?? 0) + 1;
  const stepSpans = parsed.traces.some((t) => t.spans.some((s) => s.name === SPAN.decodeStep));
  return {
    numTraces: parsed.traces.length, numSpans: parsed.numSpans, numBadLines: parsed.numBadLines,
    slowThresholdMs: threshold, slow, categories, slo: sloReport(requests, stepSpans),
  };
}

const ms = (x: number | null) => (x === null ? '—' : `${x.toFixed(1)}ms`);

export function formatAnalysis(a: TraceAnalysis): string {
  const lines = [
    `${a.numTraces} traces, ${a.numSpans} spans${a.numBadLines ? `, ${a.numBadLines} unreadable lines skipped` : ''}`,
    `slow: TTFT >= ${ms(a.slowThresholdMs)} or failed → ${a.slow.length} requests ${JSON.stringify(a.categories)}`,
    '',
  ];
  for (const { request: r, diagnosis: d } of a.slow) {
    lines.push(`${r.requestId ?? r.traceId}  trace=${r.traceId}  ${d.category}${d.dominantPct ? ` (${d.dominantSpan} ${d.dominantPct.toFixed(0)}%)` : ''}${r.error ? `  error=${r.error}` : ''}`);
    lines.push(`  ttft=${ms(r.ttftMs)} routing=${ms(r.routingMs)} queue=${ms(r.queueMs)} prefill=${ms(r.prefillMs)} ` +
      `prompt=${r.promptTokens} cached=${r.cachedTokens} (${(r.cacheHitRate * 100).toFixed(1)}%) ` +
      `tbt avg=${ms(r.avgTbtMs)} max=${ms(r.maxTbtMs)} steps=${r.tbtMs.length} preemptions=${r.numPreemptions}`);
    lines.push(`  → ${d.recommendation}`);
  }
  const s = a.slo;
  lines.push('', `SLO report (${s.numRequests} requests, ${s.numHeadSampled} head-sampled for the error rate, ITL from ${s.itlSource})`);
  lines.push('| slo | value | target | warning | status | source |', '| --- | --- | --- | --- | --- | --- |');
  for (const row of s.rows) {
    const fmt = (x: number | null) => (x === null ? '—' : row.name === 'error_rate' ? `${(x * 100).toFixed(2)}%` : `${x.toFixed(1)}ms`);
    lines.push(`| ${row.name} | ${fmt(row.value)} | ${fmt(row.target)} | ${fmt(row.warning)} | ${row.status} | ${row.source} |`);
  }
  return lines.join('\n');
}
