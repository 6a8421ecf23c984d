// Remote workers that misbehave over HTTP (500s, silence, dropped sockets, stalled streams), seen from a
// real gateway: real nats-server, real discovery, real HTTP servers on loopback, a real standalone worker.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { defaultModelDir, loadTokenizer, type ModelTokenizer } from '@mini-dynamo/model';
import { DEFAULT_SAMPLING, type GenerateRequest } from '@mini-dynamo/protocol';
import { createRouter } from '@mini-dynamo/router';
import { mergeExpositions } from '@mini-dynamo/telemetry';
import { subjects, type StandaloneWorker } from '@mini-dynamo/worker';
import { startGateway } from './gateway-server.js';
import { connectMultiHost } from './multi-host.js';
import type { RemoteWorkerTimeouts } from './remote-worker-connection.js';
import { FAKE_INFO, startFakeRemoteWorker, startMockStandaloneWorker, startNatsServer, waitUntil, type FakeBehaviour, type NatsServer } from './fake-remote-worker.js';

const TIMEOUTS: RemoteWorkerTimeouts = { queryMs: 300, abortMs: 300, generateHeadersMs: 300 };
/** A prompt answer may take this long beyond the timeout on a loaded 2-core host, never seconds more. */
const SLACK_MS = 1500;

let nats: NatsServer;
let nc: NatsConnection;
let tokenizer: ModelTokenizer;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  const loaded = await loadTokenizer(defaultModelDir());
  assert.ok(loaded.ok);
  tokenizer = loaded.value;
});

after(async () => {
  await nc.drain();
  nats.stop();
});

/** Runs the test, then closes what it started (gateways before workers). */
async function withCleanup(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    for (const c of cleanups.splice(0)) await c();
  }
}

/** A gateway over the test's NATS, once it has discovered `numWorkers` workers. */
async function gateway(numWorkers: number) {
  const logs: string[] = [];
  const log = (line: string) => void logs.push(line);
  const router = createRouter({ policy: 'kv', blockSize: FAKE_INFO.blockSize });
  const handle = await startGateway({
    tokenizer, router, modelName: FAKE_INFO.modelName, host: '127.0.0.1', port: 0, log,
    metricsText: async (pool) => mergeExpositions(await pool.metricsTexts()),
  });
  const multiHost = await connectMultiHost({ natsUrl: nats.url, router, addWorker: (c) => handle.addWorker(c), remoteTimeouts: TIMEOUTS, log });
  cleanups.unshift(async () => { await handle.close(); await multiHost.close(); });
  await waitUntil(() => handle.pool.numReady() === numWorkers, 5000, `the gateway to discover ${numWorkers} workers`);
  return { handle, multiHost, logs, router };
}

async function fake(workerId: string, routes: Record<string, FakeBehaviour>) {
  const worker = await startFakeRemoteWorker(nc, workerId, routes);
  cleanups.push(() => worker.close());
  return worker;
}

async function healthyWorker(workerId: string): Promise<StandaloneWorker> {
  const worker = await startMockStandaloneWorker(nats.url, workerId);
  cleanups.push(() => worker.close());
  return worker;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, elapsedMs: Date.now() - t0 };
}

test('GET /metrics answers promptly with the healthy worker\'s metrics when one worker answers 500 and one never answers', () => withCleanup(async () => {
  await healthyWorker('ok-0');
  const failing = await fake('err-500', { 'GET /metrics': { status: 500, body: 'metrics exploded' } });
  const hung = await fake('hung', { 'GET /metrics': 'hang' });
  const g = await gateway(3);

  const { value: res, elapsedMs } = await timed(() => fetch(`${g.handle.url}/metrics`));
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.ok(elapsedMs < TIMEOUTS.queryMs + SLACK_MS, `answered in ${elapsedMs} ms`);
  assert.match(text, /dynamo_kv_cache_total_blocks\{[^}]*worker_id="ok-0"/, 'the healthy worker\'s series are there');
  assert.doesNotMatch(text, /exploded/, 'a 500 body is not exported as metrics');

  assert.ok(g.logs.includes(`remote worker hung dropped: GET ${hung.url}/metrics on worker hung: no answer within ${TIMEOUTS.queryMs} ms ` +
    '(its heartbeats ignored for 1000 ms)'), g.logs.join('\n'));
  assert.ok(g.logs.includes(`metrics of worker err-500 left out: GET ${failing.url}/metrics on worker err-500 answered 500: metrics exploded`), g.logs.join('\n'));
  assert.ok(!g.logs.some((l) => l.startsWith('remote worker err-500 dropped')), 'a live worker answering 500 stays');
  assert.ok(g.multiHost.workerIds().includes('err-500'));
  await waitUntil(() => hung.numOpenRequests() === 0, 1000, 'the gateway to give up its request to the hung worker');
}));

test('POST /reset_prefix_cache: a worker answering 500 gives the client a prompt 503 naming it; a dropped socket on /audit closes that worker', () => withCleanup(async () => {
  await healthyWorker('ok-1');
  const failing = await fake('err-reset', { 'POST /reset_prefix_cache': { status: 500, body: 'reset exploded' } });
  const rst = await fake('rst', { 'GET /audit': 'close-socket' });
  const g = await gateway(3);

  const { value: res, elapsedMs } = await timed(() => fetch(`${g.handle.url}/reset_prefix_cache`, { method: 'POST' }));
  const body = await res.json() as { error: { message: string; code: string } };
  assert.equal(res.status, 503);
  assert.ok(elapsedMs < SLACK_MS, `answered in ${elapsedMs} ms`);
  assert.equal(body.error.code, 'worker_failed');
  assert.equal(body.error.message, `Prefix cache reset not confirmed by 1 of 3 workers: POST ${failing.url}/reset_prefix_cache on worker err-reset answered 500: reset exploded`);
  assert.ok(g.multiHost.workerIds().includes('err-reset'), 'a 500 does not drop the worker');

  const reason = `GET ${rst.url}/audit on worker rst: failed: `;
  await assert.rejects(g.handle.audit(), (e: Error) => e.message.includes(reason));
  assert.ok(g.logs.some((l) => l.startsWith(`remote worker rst dropped: ${reason}`)), g.logs.join('\n'));
}));

test('a worker that accepts POST /generate but never sends headers: the client gets a prompt 503 naming it, the socket is released', () => withCleanup(async () => {
  const stalled = await fake('stall', { 'POST /generate': 'hang' });
  const g = await gateway(1);

  const { value: res, elapsedMs } = await timed(() => fetch(`${g.handle.url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: FAKE_INFO.modelName, prompt: 'Once upon a time', max_tokens: 4 }),
  }));
  const body = await res.json() as { error: { message: string; code: string } };
  assert.equal(res.status, 503);
  assert.ok(elapsedMs < TIMEOUTS.generateHeadersMs + SLACK_MS, `answered in ${elapsedMs} ms`);
  assert.equal(body.error.code, 'worker_failed');
  assert.match(body.error.message, new RegExp(`POST ${stalled.url}/generate on worker stall: no response headers within ${TIMEOUTS.generateHeadersMs} ms`));
  await waitUntil(() => stalled.numOpenRequests('POST /generate') === 0, 1000, 'the stalled /generate request to be released');
}));

test('a started stream is not timed; an abort the worker never answers is given up after its timeout without dropping the worker', () => withCleanup(async () => {
  const slow = await fake('slow', { 'POST /generate': 'headers-then-hang', 'POST /abort': 'hang' });
  const g = await gateway(1);
  const events: string[] = [];
  const request: GenerateRequest = { requestId: 'r-slow', promptTokenIds: [1, 2, 3], sampling: { ...DEFAULT_SAMPLING, maxTokens: 4 }, cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now() };
  const dispatched = g.handle.pool.dispatch(request, {}, (e) => void events.push(e.kind));
  await waitUntil(() => slow.numOpenRequests('POST /generate') === 1, 2000, 'the stream to open');
  await new Promise((r) => setTimeout(r, TIMEOUTS.generateHeadersMs * 2));
  assert.equal(slow.numOpenRequests('POST /generate'), 1, 'a stream past its headers stays open: long generations are legit');

  dispatched.abort();
  await waitUntil(() => slow.received.includes('POST /abort'), 2000, 'the abort to reach the worker');
  await waitUntil(() => slow.numOpenRequests('POST /abort') === 0, TIMEOUTS.abortMs + SLACK_MS, 'the unanswered abort to be given up');
  assert.equal(g.handle.pool.numReady(), 1, 'an unanswered abort does not drop the worker');
  assert.deepEqual(events, [], 'no terminal event was invented: the worker still owns the request');
}));

test('a load over NATS that is not a WorkerLoad, or names another worker, never reaches the router', () => withCleanup(async () => {
  await fake('w-load', {});
  await fake('w-other', {});
  const { router } = await gateway(2);
  const good = { workerId: 'w-load', numActiveBlocks: 5, numTotalBlocks: 64, numPrefillTokensQueued: 0, numRunning: 1, numWaiting: 0, timestampMs: Date.now() };
  const publish = (workerId: string, load: unknown) =>
    nc.publish(subjects.load(workerId), new TextEncoder().encode(typeof load === 'string' ? load : JSON.stringify(load)));
  publish('w-load', good);
  await waitUntil(() => router.loadOf('w-load')?.numActiveBlocks === 5, 3000, "w-load's good load to arrive");
  publish('w-load', '{not json');
  publish('w-load', { ...good, numActiveBlocks: 'NaN' });
  publish('w-load', { ...good, numTotalBlocks: -64 });
  publish('w-load', { ...good, numActiveBlocks: 70 }); // more active blocks than it has
  publish('w-load', { ...good, workerId: 'w-other', numActiveBlocks: 60 }); // spoofs the other worker's load
  publish('w-other', { ...good, workerId: 'w-other', numActiveBlocks: 7 }); // arrives after all of the above
  await waitUntil(() => router.loadOf('w-other')?.numActiveBlocks === 7, 3000, "w-other's own load to arrive");
  assert.deepEqual([router.loadOf('w-load')?.numActiveBlocks, router.loadOf('w-load')?.numTotalBlocks], [5, 64]);
}));
