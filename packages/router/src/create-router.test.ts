import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes, seededRandom, type KvCacheEvent, type RoutingDecision } from '@mini-dynamo/protocol';
import { createRouter, type RouterOptions } from './create-router.js';
import type { RoutingTimings } from './router-observer.js';

const BS = 16;
const prefix = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + i);
const req = (requestId: string, tokenIds: number[], extra = {}) => ({ requestId, tokenIds, cacheSalt: null, ...extra });

function router(opts: Partial<RouterOptions> = {}, workers = ['w0', 'w1', 'w2', 'w3']) {
  const r = createRouter({ policy: 'kv', blockSize: BS, random: seededRandom(7), ...opts });
  workers.forEach((w) => r.addWorker(w, 1000));
  return r;
}
const ids = new Map<string, number>();
function storeOn(r: ReturnType<typeof router>, workerId: string, tokens: number[], salt: string | null = null) {
  const id = (ids.get(workerId) ?? 0) + 1;
  ids.set(workerId, id);
  const ev: KvCacheEvent = { workerId, eventId: id, data: { type: 'stored', parentHash: null, blocks: computeBlockHashes(tokens, BS, salt).map((blockHash) => ({ blockHash, tokenIds: [] })) } };
  r.applyKvEvent(ev);
  return id;
}
const routeOk = (r: ReturnType<typeof router>, ...a: Parameters<typeof req>): RoutingDecision => {
  const res = r.route(req(...a));
  assert.ok(res.ok, JSON.stringify(res));
  return res.value;
};

test('same-prefix requests land on the worker holding the prefix, with the explain filled', () => {
  ids.clear();
  const r = router();
  const system = prefix(256, 1000);
  storeOn(r, 'w2', system);
  for (let i = 0; i < 5; i++) {
    const d = routeOk(r, `q${i}`, [...system, ...prefix(40, i * 100)]);
    assert.equal(d.workerId, 'w2');
    assert.equal(d.reason, 'kv_overlap');
    assert.equal(d.overlapBlocks, 16);
    assert.equal(d.bestOverlapBlocks, 16);
    assert.equal(d.numPromptBlocks, 18);
    assert.equal(d.predictedCachedTokens, 256);
    r.finish(`q${i}`);
  }
});

test('eviction (removed events) moves same-prefix requests to the new holder', () => {
  ids.clear();
  const r = router();
  const system = prefix(128, 5000);
  const hashes = computeBlockHashes(system, BS);
  storeOn(r, 'w1', system);
  assert.equal(routeOk(r, 'a', system).workerId, 'w1');
  r.finish('a');
  r.applyKvEvent({ workerId: 'w1', eventId: 2, data: { type: 'removed', blockHashes: hashes.slice(2) } });
  storeOn(r, 'w3', system);
  const d = routeOk(r, 'b', system);
  assert.equal(d.workerId, 'w3');
  assert.equal(d.overlapBlocks, 8);
});

test('a KV event gap asks the worker for a resync; the snapshot restores routing', () => {
  ids.clear();
  const asked: string[] = [];
  const r = router({ requestResync: (w) => asked.push(w) });
  const system = prefix(64, 9000);
  storeOn(r, 'w0', prefix(16, 1));
  r.applyKvEvent({ workerId: 'w0', eventId: 5, data: { type: 'stored', parentHash: null, blocks: [] } });
  assert.deepEqual(asked, ['w0']);
  r.applySnapshot({ workerId: 'w0', lastEventId: 5, blockHashes: computeBlockHashes(system, BS) });
  assert.equal(routeOk(r, 'x', system).workerId, 'w0');
  assert.equal(r.stats().indexer?.numGaps, 1);
});

test('approximate mode (no KV events) routes by prefix from its own decisions', () => {
  const r = router({ useKvEvents: false });
  const sessions = [0, 1, 2, 3].map((s) => prefix(200, s * 10_000));
  const first = sessions.map((s, i) => routeOk(r, `first${i}`, s).workerId);
  sessions.forEach((_, i) => r.finish(`first${i}`));
  assert.equal(new Set(first).size, 4, 'distinct sessions spread over the idle workers');
  sessions.forEach((s, i) => {
    const d = routeOk(r, `again${i}`, [...s, ...prefix(30, 77)]);
    assert.equal(d.workerId, first[i]);
    assert.equal(d.overlapBlocks, 12);
    r.finish(`again${i}`);
  });
  storeOn(r, 'w0', sessions[1]!); // events are ignored in approximate mode
  assert.equal(r.stats().indexer, null);
  // …except `cleared` (a prefix-cache reset): that worker's predictions go, the others' stay.
  r.applyKvEvent({ workerId: first[2]!, eventId: 99, data: { type: 'cleared' } });
  assert.equal(routeOk(r, 'after-reset', sessions[2]!).overlapBlocks, 0);
  r.finish('after-reset');
  assert.equal(routeOk(r, 'untouched', sessions[3]!).workerId, first[3]);
});

test('burst of distinct prompts spreads by predicted load; finish releases it', () => {
  const r = router();
  const chosen = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => routeOk(r, `b${i}`, prefix(64, i * 1000)).workerId);
  for (const w of ['w0', 'w1', 'w2', 'w3']) assert.equal(chosen.filter((c) => c === w).length, 2, chosen.join());
  assert.equal(r.loadOf('w0')!.numActiveBlocks, 8);
  for (let i = 0; i < 8; i++) r.finish(`b${i}`);
  assert.equal(r.loadOf('w0')!.numActiveBlocks, 0);
});

test('load reports replace predictions for requests the worker has already seen', () => {
  let now = 0;
  const r = router({ now: () => now }, ['a', 'b']);
  routeOk(r, 'p1', prefix(160, 0));
  const w = r.workerOf('p1')!;
  assert.equal(r.loadOf(w)!.numActiveBlocks, 10);
  now = 1000;
  r.updateLoad({ workerId: w, numActiveBlocks: 3, numTotalBlocks: 500, numPrefillTokensQueued: 0, numRunning: 1, numWaiting: 0, timestampMs: now });
  assert.equal(r.loadOf(w)!.numActiveBlocks, 3);
  assert.equal(r.loadOf(w)!.numTotalBlocks, 500);
  routeOk(r, 'p2', prefix(32, 0), { policy: 'round_robin' });
  now = 1010;
  assert.ok(r.loadOf(r.workerOf('p2')!)!.numActiveBlocks >= 2, 'a fresh prediction still counts on top of the report');
});

test('a growing multi-turn session stays put; paced distinct sessions spread (no hot spot)', () => {
  ids.clear();
  const r = router();
  let history = prefix(48, 50_000);
  const homes = new Set<string>();
  for (let turn = 0; turn < 6; turn++) {
    const d = routeOk(r, `turn${turn}`, history);
    homes.add(d.workerId);
    storeOn(r, d.workerId, history);
    r.finish(`turn${turn}`);
    history = [...history, ...prefix(40, 60_000 + turn * 40)];
  }
  assert.equal(homes.size, 1);
  const counts = new Map<string, number>();
  for (let s = 0; s < 80; s++) {
    const d = routeOk(r, `s${s}`, prefix(64, 100_000 + s * 100));
    counts.set(d.workerId, (counts.get(d.workerId) ?? 0) + 1);
    r.finish(`s${s}`);
  }
  for (const w of r.workerIds()) assert.ok((counts.get(w) ?? 0) >= 10, `${w}: ${counts.get(w)} of 80`);
});

test('busy thresholds exclude saturated workers; all busy rejects or falls back', () => {
  const load = (workerId: string, numActiveBlocks: number, numPrefillTokensQueued = 0) =>
    ({ workerId, numActiveBlocks, numTotalBlocks: 100, numPrefillTokensQueued, numRunning: 1, numWaiting: 0, timestampMs: 0 });
  const r = router({ busyThresholds: { kvUsage: 0.9, prefillTokens: 1000 } }, ['a', 'b', 'c']);
  r.updateLoad(load('a', 95));
  r.updateLoad(load('b', 10, 5000));
  for (let i = 0; i < 3; i++) {
    assert.equal(routeOk(r, `c${i}`, prefix(16, i)).workerId, 'c');
    r.finish(`c${i}`);
  }
  r.updateLoad(load('c', 99));
  const rejected = r.route(req('x', prefix(16, 0)));
  assert.ok(!rejected.ok && rejected.error.code === 'all_busy');
  const lenient = router({ busyThresholds: { kvUsage: 0.5, onAllBusy: 'least_loaded' } }, ['a', 'b']);
  lenient.updateLoad(load('a', 90));
  lenient.updateLoad(load('b', 60));
  assert.equal(routeOk(lenient, 'y', prefix(16, 0)).workerId, 'b');
});

test('no workers → no_workers error; one worker → single_worker; per-request overrides apply', () => {
  const empty = router({}, []);
  const res = empty.route(req('e', [1, 2, 3]));
  assert.ok(!res.ok && res.error.code === 'no_workers');
  assert.equal(routeOk(router({}, ['solo']), 's', [1]).reason, 'single_worker');
  const d = routeOk(router(), 'o', prefix(32, 0), { policy: 'round_robin' });
  assert.equal(d.policy, 'round_robin');
  assert.equal(d.reason, 'round_robin');
});

test('cache salt separates prefixes', () => {
  ids.clear();
  const r = router();
  const system = prefix(64, 7);
  storeOn(r, 'w3', system, 'tenant-a');
  assert.equal(routeOk(r, 'a', system, { cacheSalt: 'tenant-a' }).overlapBlocks, 4);
  assert.equal(routeOk(r, 'b', system).overlapBlocks, 0);
});

test('the observer sees every decision with phase timings and every rejection', () => {
  const seen: { d: RoutingDecision; t: RoutingTimings }[] = [];
  const rejected: string[] = [];
  const r = router({ observer: { onDecision: (d, t) => seen.push({ d, t }), onRejected: (e) => rejected.push(e.code) } });
  routeOk(r, 'o1', prefix(8192, 0));
  r.removeWorker('w0'); r.removeWorker('w1'); r.removeWorker('w2'); r.removeWorker('w3');
  r.route(req('o2', [1]));
  assert.equal(seen.length, 1);
  const t = seen[0]!.t;
  for (const v of Object.values(t)) assert.ok(v >= 0 && Number.isFinite(v));
  assert.ok(t.totalMs >= t.blockHashingMs + t.seqHashingMs + t.indexerFindMatchesMs + t.schedulingMs - 1e-9);
  assert.deepEqual(rejected, ['no_workers']);
});

test('two replicas exchanging replica events agree on predicted load and approximate caches', () => {
  const a = router({ routerId: 'ga', useKvEvents: false, random: seededRandom(1) });
  const b = router({ routerId: 'gb', useKvEvents: false, random: seededRandom(2) });
  a.onReplicaEvent((e) => b.applyReplicaEvent(e));
  b.onReplicaEvent((e) => a.applyReplicaEvent(e));
  const session = prefix(160, 3);
  const first = routeOk(a, 'r1', session).workerId;
  assert.equal(b.loadOf(first)!.numActiveBlocks, 10, 'b sees the load a predicted');
  a.finish('r1');
  assert.equal(b.loadOf(first)!.numActiveBlocks, 0, 'and its release');
  const d = routeOk(b, 'r2', [...session, ...prefix(16, 9)]);
  assert.equal(d.workerId, first, 'b routes by the prefix a sent');
  assert.equal(d.overlapBlocks, 10);
  b.finish('r2');
  for (const w of a.workerIds()) assert.deepEqual(a.loadOf(w), b.loadOf(w));
  assert.equal(a.loadOf(first)!.numActiveBlocks, 0);
});

test('removing a worker drops its load and index; routing continues on the others', () => {
  ids.clear();
  const r = router();
  storeOn(r, 'w1', prefix(64, 0));
  routeOk(r, 'in-flight', prefix(64, 0));
  r.removeWorker('w1');
  assert.equal(r.workerOf('in-flight'), null);
  const d = routeOk(r, 'next', prefix(64, 0));
  assert.notEqual(d.workerId, 'w1');
  assert.equal(d.bestOverlapBlocks, 0);
  r.applyKvEvent({ workerId: 'w1', eventId: 2, data: { type: 'cleared' } });
  assert.equal(r.stats().indexer?.badEvents.unknown_worker, 1);
});

test('same-prefix requests follow an in-flight prefix before its KV events arrive', () => {
  let now = 0;
  const r = router({ now: () => now });
  const system = prefix(512, 70_000);
  const first = routeOk(r, 'burst0', [...system, ...prefix(32, 1)]);
  assert.equal(first.overlapBlocks, 0);
  now = 100; // the worker computed the prompt (its load says so) but the stored events are still on the way
  r.updateLoad({ workerId: first.workerId, numActiveBlocks: 34, numTotalBlocks: 1000, numPrefillTokensQueued: 0, numRunning: 1, numWaiting: 0, timestampMs: now });
  const second = routeOk(r, 'burst1', [...system, ...prefix(32, 2)]);
  assert.equal(second.workerId, first.workerId, 'the prefix is active there');
  assert.equal(second.overlapBlocks, 32);
  assert.equal(r.loadOf(first.workerId)!.numActiveBlocks, 34 + 2, 'shared prefix blocks count once');
  r.finish('burst0');
  r.finish('burst1');
  const third = routeOk(r, 'burst2', [...system, ...prefix(32, 3)]);
  assert.equal(third.bestOverlapBlocks, 0, 'finished requests leave no predicted blocks (no events came)');
});

test('a request that reads no prefix cache (prompt logprobs) is routed by load: the holder earns nothing', () => {
  ids.clear();
  const r = router();
  const system = prefix(256, 9000);
  storeOn(r, 'w2', system);
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const d = routeOk(r, `s${i}`, [...system, ...prefix(16, i * 50)], { readsPrefixCache: false });
    assert.equal(d.overlapBlocks, 0);
    assert.equal(d.predictedCachedTokens, 0);
    assert.notEqual(d.reason, 'kv_overlap');
    seen.add(d.workerId);
  }
  assert.equal(seen.size, 4, 'eight concurrent scoring requests spread over the four workers, not piled on the holder');
  for (let i = 0; i < 8; i++) r.finish(`s${i}`);
  const normal = routeOk(r, 'normal', system);
  assert.deepEqual([normal.workerId, normal.overlapBlocks], ['w2', 16], 'a normal request with the same prefix still follows the cache');
});
