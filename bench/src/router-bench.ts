// `router-bench`: the router's figures in one run — KvIndexer ingest and findMatches p99 at
// 64 workers / 1M blocks, routing overhead per phase for an 8k-token prompt, and the shared-prefix
// simulation (8 in-process mock workers) comparing kv with round_robin and random.
// Run: node bench/dist/router-bench.js [--quick] [--json out.json]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import { runIndexerBench, runOverheadBench, type IndexerBenchResult, type OverheadBenchResult } from './router-bench-indexer.js';
import { runSharedPrefixSim, type SimOptions, type SimResult } from './router-bench-sim.js';
import type { Distribution } from './percentiles.js';

export interface RouterBenchResult {
  indexer: IndexerBenchResult;
  overhead: OverheadBenchResult;
  simulation: { options: SimOptions; runs: SimResult[] };
}

const f = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
const dist = (d: Distribution, digits = 3) => `p50 ${f(d.p50, digits)} / p99 ${f(d.p99, digits)}`;

export async function runRouterBench(quick: boolean): Promise<RouterBenchResult> {
  const indexer = runIndexerBench({
    numWorkers: 64, numBlocks: quick ? 100_000 : 1_000_000, blocksPerEvent: 16, chainLength: 256, numQueries: quick ? 500 : 2000, seed: 1,
  });
  const overhead = runOverheadBench({ numPromptTokens: 8192, numWorkers: 64, numBackgroundBlocks: quick ? 100_000 : 1_000_000, numRequests: quick ? 200 : 1000, seed: 2 });
  const options: SimOptions = {
    numWorkers: 8, numBlocksPerWorker: 768, speedup: 4, numSessions: quick ? 120 : 320, numGroups: 32,
    prefixLength: 2048, suffixLength: 64, outputLength: 16, ratePerSec: 60, seed: 3,
  };
  const runs: SimResult[] = [];
  for (const policy of ['kv', 'round_robin', 'random'] as RoutingPolicyName[]) runs.push(await runSharedPrefixSim(policy, options));
  return { indexer, overhead, simulation: { options, runs } };
}

export function formatRouterBench(r: RouterBenchResult): string {
  const ix = r.indexer;
  const lines = [
    `## KvIndexer (${ix.numWorkers} workers, ${ix.numBlocksStored.toLocaleString('en')} blocks stored, ${ix.numUniqueBlocks.toLocaleString('en')} unique)`,
    `- ingest: ${Math.round(ix.ingestBlocksPerSec).toLocaleString('en')} stored blocks/s (${Math.round(ix.ingestEventsPerSec).toLocaleString('en')} events/s); removal ${Math.round(ix.removeBlocksPerSec).toLocaleString('en')} blocks/s`,
    `- findMatches (256-block queries, mean best match ${f(ix.meanMatchedBlocks, 1)} blocks): ${dist(ix.findMatchesUs, 1)} µs`,
    '',
    `## Routing overhead, ${r.overhead.numPromptTokens}-token prompt, ${r.overhead.numWorkers} workers, ${r.overhead.numIndexedBlocks.toLocaleString('en')} indexed blocks (ms)`,
    '| phase | p50 | p99 |', '| --- | --- | --- |',
    ...Object.entries(r.overhead.phasesMs).map(([k, d]) => `| ${k} | ${f(d.p50, 4)} | ${f(d.p99, 4)} |`),
    '',
    `## Shared-prefix simulation: ${r.simulation.options.numWorkers} mock workers (speedup ${r.simulation.options.speedup}), ${r.simulation.options.numGroups} prefixes × ${r.simulation.options.prefixLength} tokens, ${r.simulation.options.ratePerSec} req/s`,
    '| policy | requests | errors | TTFT p50 ms | TTFT p99 ms | E2E p50 ms | cached-token ratio | predicted | TTFT p50 ÷ kv | per worker |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const kv = r.simulation.runs.find((x) => x.policy === 'kv');
  for (const s of r.simulation.runs) {
    const ratio = kv?.ttftMs.p50 && s.ttftMs.p50 ? s.ttftMs.p50 / kv.ttftMs.p50 : null;
    lines.push(`| ${s.policy} | ${s.numRequests} | ${s.numErrors} | ${f(s.ttftMs.p50, 1)} | ${f(s.ttftMs.p99, 1)} | ${f(s.e2eMs.p50, 1)} | ${f(s.cachedTokenRatio, 3)} | ${f(s.predictedCachedRatio, 3)} | ${f(ratio, 2)}x | ${s.requestsPerWorker.join(' ')} |`);
  }
  return lines.join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, json: { type: 'string' } }, strict: true });
  const result = await runRouterBench(values.quick ?? false);
  console.log(formatRouterBench(result));
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
