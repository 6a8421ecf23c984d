import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  spawnWorker, startNatsServer, startTestGateway, tokens, waitFor,
  type NatsServer, type TestGateway, type WorkerProcess,
} from './router-fixtures.js';

let nats: NatsServer;
let workers: WorkerProcess[] = [];
let gateways: TestGateway[] = [];

before(async () => {
  nats = await startNatsServer();
  workers = ['mh0', 'mh1', 'mh2'].map((id) => spawnWorker(nats.url, id));
  gateways = [await startTestGateway(nats.url), await startTestGateway(nats.url)];
  await waitFor(() => gateways.every((g) => g.pool.numReady() === 3), 15_000, 'both gateways to discover 3 workers');
});

after(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  workers.forEach((w) => w.kill());
  nats.stop();
});

test('two gateways + three workers over nats-server route by prefix from both gateways', async () => {
  const [a, b] = gateways as [TestGateway, TestGateway];
  const systems = [0, 1, 2].map((s) => tokens(128, s * 1000));
  const homes: string[] = [];
  for (const [i, sys] of systems.entries()) {
    const first = await a.generate(`mh-first-${i}`, [...sys, ...tokens(20, 50 + i)]);
    assert.equal(first.terminal.kind, 'finished');
    homes.push(first.workerId);
  }
  // KV events travel over NATS to both gateways' indexers
  for (const g of gateways) {
    await waitFor(() => systems.every((sys, i) => (g.router.findMatches(sys, null).get(homes[i]!) ?? 0) === 8), 5000, 'KV events on both gateways');
  }
  for (const [i, sys] of systems.entries()) {
    for (const [gi, g] of [a, b].entries()) {
      // paced traffic: the previous request's finish has reached every replica
      await waitFor(() => gateways.every((x) => x.router.loadOf(homes[i]!)?.numInFlight === 0), 2000, 'replicas to see the finish');
      const again = await g.generate(`mh-again-${i}-${gi}`, [...sys, ...tokens(40, 900 + i * 10 + gi)]);
      assert.equal(again.workerId, homes[i], `gateway ${gi} sends prefix ${i} to its holder`);
      assert.equal(again.overlapBlocks, 8);
      assert.equal(again.terminal.kind === 'finished' && again.terminal.usage.numCachedTokens, 128, 'the worker really served it from cache');
    }
  }
  assert.ok(b.router.stats().numReplicaEventsApplied > 0 && a.router.stats().numReplicaEventsApplied > 0, 'replica sync ran both ways');
});

test('replica sync: a request in flight on one gateway is predicted load on the other', async () => {
  const [a, b] = gateways as [TestGateway, TestGateway];
  const pending = a.generate('mh-long', tokens(96, 7777), 64);
  await waitFor(() => a.router.workerOf('mh-long') !== null, 2000, 'a routed');
  const target = a.router.workerOf('mh-long')!;
  await waitFor(() => (b.router.loadOf(target)?.numInFlight ?? 0) > 0, 2000, 'b sees a\'s request');
  await pending;
  await waitFor(() => (b.router.loadOf(target)?.numInFlight ?? 1) === 0, 2000, 'b sees the finish');
});

test('killing a worker mid-load loses no new request; the dead worker is dropped within seconds', async (t) => {
  const [a, b] = gateways as [TestGateway, TestGateway];
  const victim = workers[1]!;
  const inFlight = Array.from({ length: 9 }, (_, i) => a.generate(`mh-load-${i}`, tokens(64, 20_000 + i), 200));
  await waitFor(() => Array.from({ length: 9 }, (_, i) => a.router.workerOf(`mh-load-${i}`)).includes(victim.workerId), 2000, 'load on the victim');
  victim.kill();
  const killedAt = Date.now();
  // new requests right after the kill, before anyone noticed: routed to the corpse, then retried
  const fresh = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).generate(`mh-after-${i}`, tokens(48, 40_000 + i)));
  for (const o of await Promise.all(fresh)) assert.equal(o.terminal.kind, 'finished', JSON.stringify(o.terminal));
  for (const o of await Promise.all(inFlight)) {
    if (o.terminal.kind === 'failed') {
      assert.equal(o.workerId, victim.workerId);
      assert.equal(o.terminal.error.code, 'worker_failed', 'a clear error for requests that had streamed tokens');
      assert.ok(o.events.some((e) => e.kind === 'tokens'), 'only requests that already streamed tokens fail');
    }
  }
  for (const g of gateways) await waitFor(() => !g.router.workerIds().includes(victim.workerId), 5000, 'the dead worker to be dropped');
  assert.ok(Date.now() - killedAt < 5000, `dropped after ${Date.now() - killedAt} ms`);
  t.diagnostic(gateways.flatMap((g) => g.logs).join(' | '));
  const later = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).generate(`mh-later-${i}`, tokens(48, 50_000 + i))));
  for (const o of later) {
    assert.equal(o.terminal.kind, 'finished');
    assert.notEqual(o.workerId, victim.workerId);
  }
});

test('WorkerPool.resetPrefixCache over HTTP + NATS: one count per worker; both routers\' indexes end empty', async () => {
  const [a, b] = gateways as [TestGateway, TestGateway];
  const sys = tokens(128, 31_337);
  const first = await a.generate('mh-reset-0', [...sys, ...tokens(8, 1)]);
  const holds = (g: TestGateway) => g.router.findMatches(sys, null).get(first.workerId) ?? 0;
  for (const g of gateways) await waitFor(() => holds(g) === 8, 5000, 'KV events on both gateways');
  const counts = await a.pool.resetPrefixCache();
  assert.equal(counts.length, a.pool.numReady());
  assert.ok(counts.reduce((sum, n) => sum + n, 0) >= 8, JSON.stringify(counts));
  for (const g of gateways) await waitFor(() => [...g.router.findMatches(sys, null).values()].every((n) => n === 0), 5000, 'cleared events on both gateways');
  await waitFor(() => gateways.every((g) => g.router.loadOf(first.workerId)?.numInFlight === 0), 2000, 'replicas to see the finish');
  const again = await b.generate('mh-reset-1', [...sys, ...tokens(8, 2)]);
  assert.equal(again.overlapBlocks, 0);
  assert.equal(again.terminal.kind === 'finished' && again.terminal.usage.numCachedTokens, 0, 'the worker recomputed the prompt');
});
