// Canary health checks seen from a real gateway (startServer with its telemetry): real nats-server and
// discovery, a real standalone mock worker, fake remote workers whose POST /generate hangs after its headers
// (alive, engine stuck) and later recovers. Small wait/timeout values; every wait is on a condition.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import type { HealthCheckOptions } from './canary-health-check.js';
import { FAKE_INFO, startFakeRemoteWorker, startMockStandaloneWorker, startNatsServer, waitUntil, type NatsServer } from './fake-remote-worker.js';
import { startServer, type ServerHandle } from './start-server.js';

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
