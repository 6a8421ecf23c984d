// `block-hash-bench`: protocol's block hash (pure-JS XXH3 for 3..60-token blocks) against the previous
// implementation (one native @node-rs/xxhash call per local hash and per chain step), in one run with
// interleaved rounds so both see the same machine load. Outputs are checked equal before timing.
// Run: node bench/dist/block-hash-bench.js [--quick] [--json out.json]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { xxh3 } from '@node-rs/xxhash';
import { blockHash, computeBlockHashes, hashSeed, type BlockHash } from '@mini-dynamo/protocol';
import { distribution, type Distribution } from './percentiles.js';

const BLOCK_SIZE = 16;

/** Baseline: the block hash as it was before xxh3.ts (Buffer writes + a native call per hash). */
const pair = Buffer.allocUnsafe(16);
function nativeBlockHash(parent: BlockHash | null, tokenIds: ArrayLike<number>, seed: bigint): BlockHash {
  const bytes = Buffer.allocUnsafe(tokenIds.length * 4);
  for (let i = 0; i < tokenIds.length; i++) bytes.writeUInt32LE(tokenIds[i]! >>> 0, i * 4);
  const local = xxh3.xxh64(bytes, seed);
  if (parent === null) return local;
  pair.writeBigUInt64LE(parent, 0);
  pair.writeBigUInt64LE(local, 8);
  return xxh3.xxh64(pair, seed);
}
function nativeComputeBlockHashes(tokenIds: readonly number[], blockSize: number, salt: string | null = null): BlockHash[] {
  const seed = hashSeed(salt);
  const numFull = Math.floor(tokenIds.length / blockSize);
  const hashes: BlockHash[] = new Array(numFull);
  let parent: BlockHash | null = null;
  for (let i = 0; i < numFull; i++) {
    parent = nativeBlockHash(parent, tokenIds.slice(i * blockSize, (i + 1) * blockSize), seed);
    hashes[i] = parent;
  }
  return hashes;
}

export interface BlockHashCase {
  name: string;
  /** Latency per call in microseconds (per-block cases: mean over a batch of calls). */
  baselineMicros: Distribution;
  newMicros: Distribution;
  /** baseline p50 / new p50 (> 1: new is faster). */
  speedupP50: number;
  speedupP99: number;
}

export interface BlockHashBenchResult {
  blockSize: number;
  cases: BlockHashCase[];
}

function randomTokens(n: number, seed: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) % 128_256);
}

/** Times `run` (one sample = `batch` calls), alternating baseline/new each round; µs per call. */
function compare(name: string, baseline: () => unknown, next: () => unknown, numRounds: number, perRound: number, batch: number): BlockHashCase {
  const samples: [number[], number[]] = [[], []];
  const fns = [baseline, next];
  for (let r = 0; r < numRounds; r++) {
    for (const which of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const fn = fns[which]!;
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        for (let b = 0; b < batch; b++) fn();
        samples[which]!.push(((performance.now() - t0) * 1000) / batch);
      }
    }
  }
  const baselineMicros = distribution(samples[0]), newMicros = distribution(samples[1]);
  return {
    name, baselineMicros, newMicros,
    speedupP50: baselineMicros.p50! / newMicros.p50!,
    speedupP99: baselineMicros.p99! / newMicros.p99!,
  };
}

function assertSame(a: readonly bigint[], b: readonly bigint[], what: string): void {
  if (a.length !== b.length || a.some((h, i) => h !== b[i])) throw new Error(`block hashes differ: ${what}`);
}

export function runBlockHashBench(quick: boolean): BlockHashBenchResult {
  const numRounds = quick ? 4 : 10;
  const cases: BlockHashCase[] = [];
  for (const [numTokens, salt] of [[1024, null], [8192, null], [8192, 'tenant-a']] as const) {
    const tokens = randomTokens(numTokens, numTokens);
    assertSame(computeBlockHashes(tokens, BLOCK_SIZE, salt), nativeComputeBlockHashes(tokens, BLOCK_SIZE, salt), `${numTokens} tokens`);
    const perRound = numTokens > 2048 ? (quick ? 20 : 50) : quick ? 100 : 250;
    cases.push(compare(
      `computeBlockHashes, ${numTokens} tokens${salt === null ? '' : ', salted'}`,
      () => nativeComputeBlockHashes(tokens, BLOCK_SIZE, salt),
      () => computeBlockHashes(tokens, BLOCK_SIZE, salt),
      numRounds, perRound, 1,
    ));
  }
  const block = randomTokens(BLOCK_SIZE, 7);
  const parent = 0x0123456789abcdefn;
  const seed = hashSeed(null);
  if (blockHash(parent, block, seed) !== nativeBlockHash(parent, block, seed)) throw new Error('blockHash differs');
  cases.push(compare('blockHash, one 16-token block with a parent', () => nativeBlockHash(parent, block, seed), () => blockHash(parent, block, seed),
    numRounds, quick ? 100 : 300, 100));
  return { blockSize: BLOCK_SIZE, cases };
}

export function formatBlockHashBench(r: BlockHashBenchResult): string {
  const f = (v: number | null) => (v === null ? '—' : v < 10 ? v.toFixed(3) : v.toFixed(1));
  const lines = [
    `## Block hash (block_size ${r.blockSize}): baseline = native call per hash, new = JS XXH3 (µs per call)`,
    '| case | baseline p50 | baseline p99 | new p50 | new p99 | speedup p50 | speedup p99 |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.cases) {
    lines.push(`| ${c.name} | ${f(c.baselineMicros.p50)} | ${f(c.baselineMicros.p99)} | ${f(c.newMicros.p50)} | ${f(c.newMicros.p99)} | ${c.speedupP50.toFixed(2)}x | ${c.speedupP99.toFixed(2)}x |`);
  }
  return lines.join('\n');
}

export function main(argv: string[] = process.argv.slice(2)): string {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
  runBlockHashBench(true); // warm-up: JIT both paths
  const result = runBlockHashBench(values.quick ?? false);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(result, null, 2));
  return formatBlockHashBench(result);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(main());
