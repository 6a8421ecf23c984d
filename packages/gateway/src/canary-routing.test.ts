// Canary health checks seen from a real gateway (startServer with its telemetry): real nats-server and
// discovery, a real standalone mock worker, fake remote workers whose POST /generate hangs after its headers
// (alive, engine stuck) and later recovers, and a mock thread worker whose engine step never returns.
// Small wait/timeout values; every wait is on a condition.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { defaultModelDir } from '@mini-dynamo/model';
import { ThreadWorkerConnection } from '@mini-dynamo/worker';
import type { HealthCheckOptions } from './canary-health-check.js';
import { FAKE_INFO, startFakeRemoteWorker, startMockStandaloneWorker, startNatsServer, waitUntil, type NatsServer } from './fake-remote-worker.js';
import { startServer, type ServerHandle } from './start-server.js';
import { DEFAULT_QUERY_DEADLINE_MS } from './worker-pool.js';

const HEALTH: HealthCheckOptions = { waitMs: 200, timeoutMs: 300 };
const UNHEALTHY = /^worker hung unhealthy: canary canary-hung-\d+ did not finish within 300 ms; out of routing/;

let nats: NatsServer;
let nc: NatsConnection;
before(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
});

after(async () => {
  await nc.drain();
  nats.stop();
});

/** Started for one test, closed after it. */
async function forTest<T extends { close(): Promise<unknown> }>(t: TestContext, started: Promise<T>): Promise<T> {
  const value = await started;
  t.after(() => value.close());
  return value;
}

/** A gateway with no local worker serving the test's NATS (round robin: every routable worker gets traffic). */
async function gateway(t: TestContext, healthCheck: HealthCheckOptions | undefined): Promise<{ server: ServerHandle; logs: string[] }> {
  const logs: string[] = [];
  const server = await forTest(t, startServer({
    runner: 'mock', numWorkers: 0, natsUrl: nats.url, host: '127.0.0.1', port: 0, servedModelName: FAKE_INFO.modelName,
    routerPolicy: 'round_robin', ...(healthCheck ? { healthCheck } : {}), log: (l) => void logs.push(l), onProgress: () => {},
  }));
  return { server, logs };
}

/** Sum of a metric's samples (optionally only those whose labels include `labelMatch`). */
async function metricSum(url: string, name: string, labelMatch = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labelMatch)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function complete(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000),
    body: JSON.stringify({ model: FAKE_INFO.modelName, prompt: 'Once upon a time', max_tokens: 2 }),
  });
  await res.text();
  return res.status;
}

const workerUp = (url: string, workerId: string) => metricSum(url, 'dynamo_frontend_worker_up', `worker_id="${workerId}"`);

test('a worker whose forward pass hangs leaves routing after a canary times out, and comes back once a canary succeeds', async (t) => {
  await forTest(t, startMockStandaloneWorker(nats.url, 'ok-0'));
  const hung = await forTest(t, startFakeRemoteWorker(nc, 'hung', { 'POST /generate': 'headers-then-hang' }));
  const { server, logs } = await gateway(t, HEALTH);
  await waitUntil(() => logs.some((l) => UNHEALTHY.test(l)), 8000, `hung to be marked unhealthy; logs:\n${logs.join('\n')}`);
  assert.ok(hung.received.includes('POST /generate'), 'the canary reached it');
  assert.equal(await workerUp(server.url, 'hung'), 0);
  assert.equal(await workerUp(server.url, 'ok-0'), 1);
  assert.equal(await metricSum(server.url, 'dynamo_frontend_requests_total'), 0, 'canaries are not user requests');
  assert.equal(await metricSum(server.url, 'dynamo_router_decisions_total'), 0, 'canaries are not routed (no load prediction)');
  await waitUntil(() => hung.numOpenRequests('POST /generate') === 0, 3000, 'a timed-out canary to release its stream');

  const ready = await fetch(`${server.url}/ready`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.json() as { num_ready_workers: number }).num_ready_workers, 1);
  for (let i = 0; i < 4; i++) assert.equal(await complete(server.url), 200);
  assert.equal(await metricSum(server.url, 'dynamo_router_decisions_total', 'worker_id="hung"'), 0, 'no user request went to the hung worker');
  assert.equal(await metricSum(server.url, 'dynamo_frontend_requests_total'), 4);

  hung.setRoute('POST /generate', 'generate-one-token');
  await waitUntil(() => logs.includes('worker hung healthy again: canary succeeded, back in routing'), 5000, 'hung to recover');
  assert.equal(await workerUp(server.url, 'hung'), 1);
  assert.equal(server.gateway.pool.numReady(), 2);
  for (let i = 0; i < 4; i++) assert.equal(await complete(server.url), 200);
  assert.ok(await metricSum(server.url, 'dynamo_router_decisions_total', 'worker_id="hung"') > 0, 'routed to again');
  assert.equal(logs.filter((l) => l.startsWith('worker hung unhealthy')).length, 1, 'one line per change of health');
});

test('GET /metrics does not wait for an unhealthy worker whose /metrics hangs: the healthy worker\'s series and worker_up 0', async (t) => {
  await forTest(t, startMockStandaloneWorker(nats.url, 'ok-0'));
  const hung = await forTest(t, startFakeRemoteWorker(nc, 'hung', { 'POST /generate': 'headers-then-hang', 'GET /metrics': 'hang' }));
  const { server, logs } = await gateway(t, HEALTH);
  await waitUntil(() => logs.some((l) => UNHEALTHY.test(l)), 8000, `hung to be marked unhealthy; logs:\n${logs.join('\n')}`);
  assert.equal(await complete(server.url), 200, 'ok-0 serves (its engine series get samples)');
  const t0 = Date.now();
  const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(DEFAULT_QUERY_DEADLINE_MS + 2000) });
  const text = await res.text();
  const elapsedMs = Date.now() - t0;
  assert.equal(res.status, 200);
  assert.ok(elapsedMs < DEFAULT_QUERY_DEADLINE_MS / 2, `GET /metrics took ${elapsedMs} ms`);
  assert.match(text, /^dynamo_frontend_worker_up\{worker_id="hung"\} 0$/m);
  assert.match(text, /^dynamo_scheduler_waiting_queue_size\{[^}]*worker_id="ok-0"[^}]*\} \d/m, 'the healthy worker\'s own metrics');
  assert.ok(!hung.received.includes('GET /metrics'), 'the unhealthy worker is not asked');
  assert.ok(!logs.some((l) => l.startsWith('metrics of worker hung')), 'no log line per scrape for a worker known unhealthy');
  assert.equal(server.gateway.pool.numReady(), 1, 'still in the pool (not closed as unreachable), out of routing');
});

test('a thread worker whose engine step never returns leaves routing; the other thread worker serves; /ready stays 200', async (t) => {
  // The stall: mockSpeedup 1e-6 turns a mock step of a few ms into hours (an existing knob; below setTimeout's 2^31 ms cap).
  const stalled = new ThreadWorkerConnection({
    workerId: 'stalled', runner: 'mock', modelDir: defaultModelDir(), servedModelName: FAKE_INFO.modelName, device: 'cpu',
    blockSize: 16, mockSpeedup: 1e-6,
  });
  t.after(() => stalled.close(100)); // first: its engine never finishes the step, so end the thread after 100 ms
  const logs: string[] = [];
  const server = await forTest(t, startServer({
    runner: 'mock', numWorkers: 1, host: '127.0.0.1', port: 0, servedModelName: FAKE_INFO.modelName, routerPolicy: 'round_robin',
    healthCheck: HEALTH, log: (l) => void logs.push(l), onProgress: () => {},
  }));
  server.gateway.addWorker(stalled);
  await stalled.ready;
  await waitUntil(() => logs.some((l) => /^worker stalled unhealthy: canary canary-stalled-\d+ did not finish within 300 ms/.test(l)), 8000,
    `stalled to be marked unhealthy; logs:\n${logs.join('\n')}`);
  assert.equal(await workerUp(server.url, 'stalled'), 0);
  assert.equal(await workerUp(server.url, 'worker-0'), 1);
  const ready = await fetch(`${server.url}/ready`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.json() as { num_ready_workers: number }).num_ready_workers, 1);
  for (let i = 0; i < 4; i++) assert.equal(await complete(server.url), 200);
  assert.equal(await metricSum(server.url, 'dynamo_router_decisions_total', 'worker_id="stalled"'), 0, 'no user request went to the stalled worker');
  assert.equal(await metricSum(server.url, 'dynamo_router_decisions_total', 'worker_id="worker-0"'), 4);
  assert.equal(logs.filter((l) => l.startsWith('worker worker-0 unhealthy')).length, 0, 'the serving worker stays healthy');
});

test('/ready is 503 and requests get 503 while the only worker is unhealthy', async (t) => {
  await forTest(t, startFakeRemoteWorker(nc, 'hung', { 'POST /generate': 'headers-then-hang' }));
  const { server, logs } = await gateway(t, HEALTH);
  await waitUntil(() => logs.some((l) => UNHEALTHY.test(l)), 8000, 'hung to be marked unhealthy');
  const ready = await fetch(`${server.url}/ready`);
  assert.equal(ready.status, 503);
  assert.equal((await ready.json() as { num_ready_workers: number }).num_ready_workers, 0);
  assert.equal(await complete(server.url), 503);
});

test('health checks off (the default): an idle worker gets no canary', async (t) => {
  const idle = await forTest(t, startFakeRemoteWorker(nc, 'idle', { 'POST /generate': 'generate-one-token' }));
  const { server } = await gateway(t, undefined);
  await waitUntil(() => server.gateway.pool.numReady() === 1, 5000, 'the gateway to discover the worker');
  await new Promise((r) => setTimeout(r, 3 * HEALTH.waitMs));
  assert.ok(!idle.received.includes('POST /generate'), idle.received.join(', '));
});
