// Engine microbenchmarks (issue 2): BlockAllocator latency for a new sequence (prefix lookup +
// allocate, seed target p99 < 100 µs) and for a decode's block growth, and Scheduler.schedule() p99
// with 256 running sequences (seed target < 1 ms). Standalone: `node bench/dist/engine-microbench.js`.

import { pathToFileURL } from 'node:url';
import { BlockAllocator, Scheduler, Sequence } from '@mini-dynamo/engine';
import { samplingParams, type GenerateRequest } from '@mini-dynamo/protocol';
import { distribution, type Distribution } from './percentiles.js';

const BLOCK_SIZE = 16;

export interface MicrobenchResult {
  name: string;
  /** Latencies in microseconds. */
  micros: Distribution;
  /** Seed target for p99; null where the seed sets none. */
  targetP99Micros: number | null;
}

function request(id: number, promptTokenIds: number[]): GenerateRequest {
  return {
    requestId: `r${id}`, promptTokenIds, cacheSalt: null, traceContext: {}, arrivalTimeMs: 0,
    sampling: samplingParams({ maxTokens: 1 << 30, ignoreEos: true }),
  };
}

/** Prompts of `length` tokens: the first `shared` tokens come from one of 8 system prompts. */
function prompt(id: number, length: number, shared: number): number[] {
  return Array.from({ length }, (_, i) => (i < shared ? 1 + (id % 8) * 1000 + i : 10_000 + ((id * 7919 + i * 31) % 20_000)));
}

/**
 * New 1,024-token sequences (the first 512 tokens one of 8 shared prefixes): block hashing (done in
 * Engine.add), then prefix lookup + allocate (the scheduler's admission), then one decode block.
 */
export function benchAllocation(numSamples = 20_000): MicrobenchResult[] {
  const allocator = new BlockAllocator({ workerId: 'bench', numBlocks: 16_384, blockSize: BLOCK_SIZE, enablePrefixCaching: true });
  const hash: number[] = [];
  const admit: number[] = [];
  const grow: number[] = [];
  const live: Sequence[] = [];
  for (let id = 0; id < numSamples; id++) {
    const seq = new Sequence(id, request(id, prompt(id, 1024, 512)), BLOCK_SIZE);
    let t0 = performance.now();
    seq.hashFullBlocks(); // Engine.add() does this, before the request reaches the scheduler
    hash.push((performance.now() - t0) * 1000);
    t0 = performance.now();
    const hits = allocator.cachedPrefix(seq, Math.floor((seq.numTokens - 1) / BLOCK_SIZE));
    const ok = allocator.allocate(seq, seq.numTokens, hits);
    admit.push((performance.now() - t0) * 1000);
    if (!ok) throw new Error('pool too small for the benchmark');
    seq.numComputedTokens = seq.numTokens;
    allocator.commitFullBlocks(seq, seq.numFullBlocks);
    for (let i = 0; i < BLOCK_SIZE; i++) seq.appendToken(7);
    t0 = performance.now();
    allocator.allocate(seq, seq.numTokens);
    grow.push((performance.now() - t0) * 1000);
    live.push(seq);
    if (live.length > 128) allocator.release(live.shift()!);
  }
  return [
    { name: 'hash a 1,024-token prompt (64 blocks, in Engine.add)', micros: distribution(hash), targetP99Micros: null },
    { name: 'allocate new 1,024-token sequence (prefix lookup + allocate)', micros: distribution(admit), targetP99Micros: 100 },
    { name: 'allocate one more block (decode growth)', micros: distribution(grow), targetP99Micros: 100 },
  ];
}

/** schedule() with 256 running decodes at ~1k tokens of context, in steady state (tokens applied each step). */
export function benchSchedule(numRunning = 256, numSteps = 2_000): MicrobenchResult {
  const allocator = new BlockAllocator({ workerId: 'bench', numBlocks: 65_536, blockSize: BLOCK_SIZE, enablePrefixCaching: true });
  const scheduler = new Scheduler(allocator, { maxNumSeqs: numRunning, maxNumBatchedTokens: 8192, maxSeqLen: 1 << 20, eosTokenIds: [2] });
  for (let id = 0; id < numRunning; id++) scheduler.add(new Sequence(id, request(id, prompt(id, 1000, 512)), BLOCK_SIZE));
  for (let s = 0; s < 100 && scheduler.running.length + scheduler.waiting.length > 0; s++) {
    const out = scheduler.schedule();
    scheduler.complete(out, out.entries.map(() => 7));
    if (out.numPrefillTokens === 0 && scheduler.waiting.length === 0) break;
  }
  const samples: number[] = [];
  for (let s = 0; s < numSteps; s++) {
    const t0 = performance.now();
    const out = scheduler.schedule();
    samples.push((performance.now() - t0) * 1000);
    if (out.entries.length !== numRunning || out.numPrefillTokens !== 0) throw new Error('not a steady 256-decode batch');
    scheduler.complete(out, out.entries.map(() => 7));
  }
  return { name: `schedule() with ${numRunning} running decodes`, micros: distribution(samples), targetP99Micros: 1000 };
}

export function formatResult(r: MicrobenchResult): string {
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const target = r.targetP99Micros === null || r.micros.p99 === null ? 'no seed target'
    : `target p99<${r.targetP99Micros}µs (p99/target=${(r.micros.p99 / r.targetP99Micros).toFixed(3)})`;
  return `${r.name}: n=${r.micros.count} p50=${f(r.micros.p50)}µs p99=${f(r.micros.p99)}µs max=${f(r.micros.max)}µs ${target}`;
}

export function main(): MicrobenchResult[] {
  benchAllocation(2_000); // warm-up: JIT and the hash seed cache
  const results = [...benchAllocation(), benchSchedule()];
  for (const r of results) console.log(formatResult(r));
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
