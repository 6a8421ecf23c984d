import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics } from './metrics.js';
import { simulateScale } from './scale-sim.js';
import { syntheticTrace } from './synthetic-trace.js';
import { DEFAULT_TOKEN_SPACE } from './rng.js';
import { MinHeap } from './min-heap.js';

const entries = syntheticTrace({ numRequests: 120, ratePerSec: 20, numGroups: 6, prefixBlocks: 2, suffixBlocks: 1, outputLength: 8, zipf: 0, seed: 5 });
const replay = { timeScale: 1, blockTokens: 64, outputScale: 1, seed: 1, tokenSpace: DEFAULT_TOKEN_SPACE };

test('simulation completes every request with exact output lengths on a virtual clock', async () => {
  const sim = await simulateScale({ numWorkers: 4, policy: 'kv', entries, replay, numBlocksPerWorker: 256, maxNumSeqs: 16, overlapWeight: null });
  assert.equal(sim.records.length, 120);
  for (const [i, r] of sim.records.entries()) {
    assert.equal(r.error, null);
    assert.equal(r.chunkTimesMs.length, entries[i]!.outputLength, 'ignore_eos: exactly max_tokens tokens');
    assert.equal(r.numPromptTokens, 3 * 64);
    assert.ok(r.chunkTimesMs[0]! > r.sendMs, 'a prefill step takes virtual time');
  }
  assert.ok(sim.indexBlocks > 0 && sim.numKvEvents > 0, 'the router indexed the workers\' KV events');
  assert.equal(sim.routerTotalMs.count, 120);
  assert.ok(sim.simulatedMs >= entries[entries.length - 1]!.timestamp);
});

test('kv routing reuses shared prefixes far more than round robin at the same scale', async () => {
  // 12 prefixes of 8 blocks cannot all stay cached in 64 blocks per worker: round robin thrashes.
  const grouped = syntheticTrace({ numRequests: 240, ratePerSec: 20, numGroups: 12, prefixBlocks: 2, suffixBlocks: 1, outputLength: 8, zipf: 0, seed: 6 });
  const base = { numWorkers: 6, entries: grouped, replay, numBlocksPerWorker: 64, maxNumSeqs: 16 };
  const kv = computeMetrics((await simulateScale({ ...base, policy: 'kv', overlapWeight: 4 })).records);
  const rr = computeMetrics((await simulateScale({ ...base, policy: 'round_robin', overlapWeight: null })).records);
  assert.ok(kv.kvEfficiency! > rr.kvEfficiency! + 0.15, `kv ${kv.kvEfficiency} vs round_robin ${rr.kvEfficiency}`);
  assert.ok(kv.ttftMs.p50! < rr.ttftMs.p50!, 'cached prefixes shorten prefill');
});

test('min-heap pops in key order, ties in insertion order', () => {
  const h = new MinHeap<string>();
  [[5, 'a'], [1, 'b'], [5, 'c'], [3, 'd'], [1, 'e']].forEach(([k, v]) => h.push(k as number, v as string));
  const out: string[] = [];
  for (let x = h.pop(); x; x = h.pop()) out.push(x.item);
  assert.deepEqual(out, ['b', 'e', 'd', 'a', 'c']);
});
