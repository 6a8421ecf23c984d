// `bench scale`: the scale simulation at several worker counts (64–256) and policies, on a
// synthetic Mooncake-format trace (or --trace FILE). Reports router overhead, index size and the
// TTFT gain of kv routing over the baselines at each scale, with charts.

import { readFileSync } from 'node:fs';
import { num, numList, sloFromFlags, UsageError, type Flags } from './cli-options.js';
import { computeMetrics, type RunMetrics } from './metrics.js';
import { parseMooncakeTrace, type MooncakeEntry } from './mooncake-trace.js';
import { ms, commandLine } from './run-result.js';
import { policyList } from './routing-policies.js';
import { simulateScale, type ScaleSimResult } from './scale-sim.js';
import { syntheticTrace } from './synthetic-trace.js';
import { lineChart } from './svg-chart.js';
import { tokenSpace } from './workload-from-flags.js';
import { defaultOutDir } from './write-outputs.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScaleRow {
  /** Policy label, with the overlap weight when set (e.g. "kv w=4"). */
  label: string;
  sim: Omit<ScaleSimResult, 'records'>;
  metrics: RunMetrics;
}

/** Per scale: a trace whose prefix groups and request count grow with the worker count. */
export function scaleTrace(numWorkers: number, flags: Flags): MooncakeEntry[] {
  if (flags.trace) {
    const parsed = parseMooncakeTrace(readFileSync(flags.trace, 'utf8'));
    if (!parsed.ok) throw new UsageError(parsed.message);
    return parsed.entries;
  }
  const quick = flags.quick ?? false;
  return syntheticTrace({
    numRequests: numWorkers * (quick ? 16 : 32),
    ratePerSec: numWorkers * 3,
    numGroups: numWorkers,
    prefixBlocks: 3,
    suffixBlocks: 1,
    outputLength: 32,
    zipf: 0.6,
    seed: num(flags, 'seed', { integer: true }),
  });
}

export async function runScale(flags: Flags, log: (line: string) => void): Promise<ScaleRow[]> {
  const slo = sloFromFlags(flags);
  const rows: ScaleRow[] = [];
  for (const numWorkers of numList(flags, 'num-workers', { min: 1, integer: true }) ?? [64]) {
    const entries = scaleTrace(numWorkers, flags);
    for (const { policy, overlapWeight, label } of policyList(flags.policies!)) {
      const sim = await simulateScale({
        numWorkers, policy, entries, numBlocksPerWorker: 2048, maxNumSeqs: 64, overlapWeight,
        replay: { timeScale: num(flags, 'time-scale'), blockTokens: 512, outputScale: 1, seed: 1, tokenSpace: tokenSpace(flags) },
      });
      const { records, ...rest } = sim;
      rows.push({ label, sim: rest, metrics: computeMetrics(records, slo) });
      log(`scale: ${numWorkers} workers ${label}: ${records.length} requests, ${(sim.wallMs / 1000).toFixed(1)} s wall`);
    }
  }
  return rows;
}

export function scaleTable(rows: readonly ScaleRow[]): string {
  const kvOf = (n: number) => rows.find((r) => r.sim.numWorkers === n && r.label === 'kv');
  const lines = rows.map(({ label, sim, metrics: m }) => {
    const kv = kvOf(sim.numWorkers);
    const gain = kv && kv.metrics.ttftMs.p50 ? `${((m.ttftMs.p50 ?? 0) / kv.metrics.ttftMs.p50).toFixed(2)}×` : '–';
    return `| ${sim.numWorkers} | ${label} | ${m.numRequests} | ${ms(m.ttftMs.p50)} / ${ms(m.ttftMs.p99)} | ${gain} | ` +
      `${m.kvEfficiency === null ? '–' : (m.kvEfficiency * 100).toFixed(1) + '%'} | ${m.requestThroughput.toFixed(0)} | ` +
      `${ms(sim.routerTotalMs.p50, 3)} / ${ms(sim.routerTotalMs.p99, 3)} | ${ms(sim.routerPhasesP99Ms.indexerFindMatchesMs, 3)} | ${sim.indexBlocks} | ${sim.numKvEvents} | ${(sim.wallMs / 1000).toFixed(1)} |`;
  });
  return [
    '| workers | policy | requests | TTFT ms p50 / p99 (virtual) | TTFT p50 ÷ kv | KVE | req/s (virtual) | router total ms p50 / p99 (wall) | find_matches p99 ms | index blocks | KV events | sim wall s |',
    '|---:|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

export function scaleCharts(rows: readonly ScaleRow[]): Map<string, string> {
  const policies = [...new Set(rows.map((r) => r.label))];
  const series = (f: (r: ScaleRow) => number | null) => policies.map((p) => ({
    name: p,
    points: rows.filter((r) => r.label === p && f(r) !== null).map((r) => [r.sim.numWorkers, f(r)!] as [number, number]),
  }));
  return new Map([
    ['scale-ttft-p50.svg', lineChart({ title: 'Simulated TTFT p50 vs worker count', xLabel: 'mock workers', yLabel: 'TTFT p50 ms (virtual)', series: series((r) => r.metrics.ttftMs.p50) })],
    ['scale-router-overhead.svg', lineChart({ title: 'Router overhead p99 vs worker count', xLabel: 'mock workers', yLabel: 'route() total p99 ms (wall)', series: series((r) => r.sim.routerTotalMs.p99) })],
  ]);
}

export async function scaleCommand(flags: Flags): Promise<string> {
  const rows = await runScale(flags, (l) => console.error(l));
  const dir = flags.out ?? defaultOutDir('scale');
  mkdirSync(dir, { recursive: true });
  const charts = scaleCharts(rows);
  for (const [file, svg] of charts) writeFileSync(join(dir, file), svg);
  const table = scaleTable(rows);
  writeFileSync(join(dir, 'scale.json'), JSON.stringify({ tool: '@mini-dynamo/bench', command: commandLine(), config: flags, rows }, null, 2) + '\n');
  writeFileSync(join(dir, 'scale.md'), `# Scale simulation\n\n\`\`\`\n${commandLine()}\n\`\`\`\n\n${table}\n\n${[...charts.keys()].map((c) => `![${c}](${c})`).join('\n')}\n`);
  return `${table}\n\nwrote ${dir}`;
}
