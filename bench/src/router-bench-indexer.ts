// Router microbenchmarks: KvIndexer ingest (stored block events/s) and findMatches latency at
// `numWorkers` workers holding `numBlocks` blocks in all, then the whole routing path (hashing,
// find_matches, scheduling) for one long prompt against that populated index.

import { computeBlockHashes, type KvCacheEvent } from '@mini-dynamo/protocol';
import { KvIndexer, createRouter, type RoutingTimings } from '@mini-dynamo/router';
import { distribution, type Distribution } from './percentiles.js';
import { createRng, randomTokens, type Rng } from './rng.js';

export interface IndexerBenchOptions {
  numWorkers: number;
  numBlocks: number;
  blocksPerEvent: number;
  /** Blocks per simulated conversation chain (queries are chains too). */
  chainLength: number;
  numQueries: number;
  seed: number;
}

export interface IndexerBenchResult {
  numWorkers: number;
  numBlocksStored: number;
  numUniqueBlocks: number;
  ingestBlocksPerSec: number;
  ingestEventsPerSec: number;
  removeBlocksPerSec: number;
  findMatchesUs: Distribution;
  meanMatchedBlocks: number;
}

const randomHash = (rng: Rng): bigint => (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));

/** Chains: a shared pool of prefixes (so workers overlap) continued by unique tails. */
function makeChains(o: IndexerBenchOptions, rng: Rng): bigint[][] {
  const numChains = Math.ceil(o.numBlocks / o.chainLength);
  const prefixes = Array.from({ length: 64 }, () => Array.from({ length: o.chainLength / 4 }, () => randomHash(rng)));
  return Array.from({ length: numChains }, () => {
    const prefix = prefixes[Math.floor(rng() * prefixes.length)]!;
    const tail = Array.from({ length: o.chainLength - prefix.length }, () => randomHash(rng));
    return [...prefix, ...tail];
  });
}

function eventsFor(chains: bigint[][], o: IndexerBenchOptions): KvCacheEvent[] {
  const nextId = new Array<number>(o.numWorkers).fill(0);
  const events: KvCacheEvent[] = [];
  chains.forEach((chain, c) => {
    const w = c % o.numWorkers;
    for (let i = 0; i < chain.length; i += o.blocksPerEvent) {
      const blocks = chain.slice(i, i + o.blocksPerEvent).map((blockHash) => ({ blockHash, tokenIds: [] }));
      events.push({ workerId: `w${w}`, eventId: ++nextId[w]!, data: { type: 'stored', parentHash: i === 0 ? null : chain[i - 1]!, blocks } });
    }
  });
  return events;
}

export function runIndexerBench(o: IndexerBenchOptions): IndexerBenchResult {
  const rng = createRng(o.seed);
  const chains = makeChains(o, rng);
  const events = eventsFor(chains, o);
  const indexer = new KvIndexer();
  for (let w = 0; w < o.numWorkers; w++) indexer.addWorker(`w${w}`);
  const t0 = performance.now();
  for (const e of events) indexer.applyEvent(e);
  const ingestS = (performance.now() - t0) / 1000;
  const numBlocksStored = indexer.stats().numBlocksStored;
  const samples: number[] = [];
  let matched = 0;
  for (let q = 0; q < o.numQueries; q++) {
    const chain = chains[Math.floor(rng() * chains.length)]!;
    const cut = Math.floor(rng() * chain.length);
    const query = [...chain.slice(0, cut), ...Array.from({ length: chain.length - cut }, () => randomHash(rng))];
    const t = performance.now();
    const m = indexer.findMatches(query);
    samples.push((performance.now() - t) * 1000);
    matched += Math.max(0, ...m.values());
  }
  const numUniqueBlocks = indexer.numUniqueBlocks;
  const removeT0 = performance.now();
  let numRemoved = 0;
  const nextId = new Map<string, number>();
  for (let w = 0; w < o.numWorkers; w++) nextId.set(`w${w}`, events.filter((e) => e.workerId === `w${w}`).length);
  for (let c = 0; c < chains.length; c += 10) {
    const workerId = `w${c % o.numWorkers}`;
    const id = nextId.get(workerId)! + 1;
    nextId.set(workerId, id);
    indexer.applyEvent({ workerId, eventId: id, data: { type: 'removed', blockHashes: chains[c]! } });
    numRemoved += chains[c]!.length;
  }
  const removeS = (performance.now() - removeT0) / 1000;
  return {
    numWorkers: o.numWorkers, numBlocksStored, numUniqueBlocks,
    ingestBlocksPerSec: numBlocksStored / ingestS,
    ingestEventsPerSec: events.length / ingestS,
    removeBlocksPerSec: numRemoved / removeS,
    findMatchesUs: distribution(samples),
    meanMatchedBlocks: matched / o.numQueries,
  };
}

export interface OverheadBenchResult {
  numPromptTokens: number;
  numWorkers: number;
  numIndexedBlocks: number;
  phasesMs: Record<keyof RoutingTimings, Distribution>;
}

/** Routing path for a long prompt; the index holds `background` blocks plus the prompt's prefix on a few workers. */
export function runOverheadBench(o: { numPromptTokens: number; numWorkers: number; numBackgroundBlocks: number; numRequests: number; seed: number }): OverheadBenchResult {
  const timings: RoutingTimings[] = [];
  const router = createRouter({ policy: 'kv', blockSize: 16, observer: { onDecision: (_d, t) => timings.push(t) } });
  for (let w = 0; w < o.numWorkers; w++) router.addWorker(`w${w}`, 100_000);
  const rng = createRng(o.seed);
  const nextId = new Array<number>(o.numWorkers).fill(0);
  const perEvent = 64;
  for (let b = 0; b < o.numBackgroundBlocks; b += perEvent) {
    const w = (b / perEvent) % o.numWorkers;
    const blocks = Array.from({ length: perEvent }, () => ({ blockHash: randomHash(rng), tokenIds: [] }));
    router.applyKvEvent({ workerId: `w${w}`, eventId: ++nextId[w]!, data: { type: 'stored', parentHash: null, blocks } });
  }
  const prompt = randomTokens(rng, o.numPromptTokens, { vocabSize: 32000, firstTokenId: 3 });
  const hashes = computeBlockHashes(prompt, 16);
  for (let w = 0; w < 4; w++) {
    const held = hashes.slice(0, Math.floor((hashes.length * (w + 1)) / 5));
    router.applyKvEvent({ workerId: `w${w}`, eventId: ++nextId[w]!, data: { type: 'stored', parentHash: null, blocks: held.map((blockHash) => ({ blockHash, tokenIds: [] })) } });
  }
  for (let i = 0; i < o.numRequests; i++) {
    router.route({ requestId: `r${i}`, tokenIds: prompt, cacheSalt: null });
    router.finish(`r${i}`);
  }
  const warm = timings.slice(Math.min(50, Math.floor(timings.length / 5)));
  const phase = (k: keyof RoutingTimings) => distribution(warm.map((t) => t[k]));
  return {
    numPromptTokens: o.numPromptTokens, numWorkers: o.numWorkers, numIndexedBlocks: o.numBackgroundBlocks + hashes.length,
    phasesMs: {
      blockHashingMs: phase('blockHashingMs'), seqHashingMs: phase('seqHashingMs'),
      indexerFindMatchesMs: phase('indexerFindMatchesMs'), schedulingMs: phase('schedulingMs'), totalMs: phase('totalMs'),
    },
  };
}
