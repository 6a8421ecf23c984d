// --cluster-token end to end: a token-auth nats-server, a standalone worker process and a gateway sharing the
// token (openai client completion, no leaked block); the worker's HTTP refuses a missing / wrong bearer token
// (401, OpenAI-shaped) but keeps /health and /metrics open; a gateway or worker without the token fails to start clearly;
// a worker whose HTTP token differs from the gateway's is logged once and left out of the pool.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, type ServerHandle } from '@mini-dynamo/gateway';
import { defaultModelDir } from '@mini-dynamo/model';
import { connectNats, parseHeartbeat, startStandaloneWorker, subjects } from '@mini-dynamo/worker';
import { assertNoLeakedBlocks } from './gateway-support.js';
import { spawnWorker, startNatsServer, waitFor, type NatsServer, type WorkerProcess } from './router-fixtures.js';

const TOKEN = 'cluster-s3cret';
let nats: NatsServer;
let worker: WorkerProcess;
let gateway: ServerHandle;

const gatewayOptions = (natsUrl: string) => ({ natsUrl, numWorkers: 0, runner: 'mock' as const, port: 0, host: '127.0.0.1', log: () => {} });

before(async () => {
  nats = await startNatsServer(['--auth', TOKEN]);
  worker = spawnWorker(nats.url, 'ct0', ['--cluster-token', TOKEN]);
  gateway = await startServer({ ...gatewayOptions(nats.url), clusterToken: TOKEN });
  await waitFor(() => gateway.gateway.pool.numReady() === 1, 15_000, 'the gateway to discover the worker');
});

after(async () => {
  await gateway?.close();
  worker?.kill();
  nats?.stop();
});

/** The worker's advertised URL, read from its heartbeat over the token-auth NATS. */
async function workerUrl(natsUrl: string, token: string): Promise<string> {
  const connected = await connectNats(natsUrl, token, 'cluster-token-test');
  assert.ok(connected.ok, 'the test connects with the token');
  const nc = connected.value;
  const sub = nc.subscribe(subjects.heartbeat, { max: 1 });
  nc.publish(subjects.discover);
  for await (const msg of sub) {
    await nc.close();
    return parseHeartbeat(new TextDecoder().decode(msg.data))!.url;
  }
  throw new Error('no heartbeat');
}

test('worker + gateway sharing --cluster-token serve a completion (openai client), no block leaks', async () => {
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const model = (await openai.models.list()).data[0]!.id;
  const reply = await openai.completions.create({ model, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 }).withResponse();
  assert.equal(reply.response.headers.get('x-mini-dynamo-worker-id'), 'ct0');
  assert.equal(reply.data.usage!.completion_tokens, 4);
  await assertNoLeakedBlocks(gateway); // GET /audit on the worker carries the token too
});

test('the worker refuses a missing or wrong bearer token (401, OpenAI-shaped); /health and /metrics stay open', async () => {
  const url = await workerUrl(nats.url, TOKEN);
  const body = JSON.stringify({ requestId: 'x1', promptTokenIds: [1, 2, 3], sampling: { maxTokens: 2 } });
  for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`]) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    const res = await fetch(`${url}/generate`, { method: 'POST', body, headers });
    assert.equal(res.status, 401, `authorization ${authorization}`);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    const error = (await res.json() as { error: { type: string; code: string; message: string } }).error;
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, 'invalid_cluster_token');
    assert.ok(!error.message.includes(TOKEN));
  }
  assert.equal((await fetch(`${url}/snapshot`)).status, 401);
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.equal((await fetch(`${url}/metrics`)).status, 200);
  assert.equal((await fetch(`${url}/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  await assertNoLeakedBlocks(gateway);
});

test('a gateway without (or with a wrong) --cluster-token fails to start with a message naming the flag', async () => {
  await assert.rejects(startServer(gatewayOptions(nats.url)), (e: Error) =>
    /requires a token/.test(e.message) && /--cluster-token/.test(e.message) && /MINI_DYNAMO_CLUSTER_TOKEN/.test(e.message));
  await assert.rejects(startServer({ ...gatewayOptions(nats.url), clusterToken: 'wrong' }), (e: Error) =>
    /rejected the cluster token/.test(e.message) && !e.message.includes('wrong'));
});

test('a worker without the token fails to start with nats_auth_failed naming the flag', async () => {
  const started = await startStandaloneWorker({
    natsUrl: nats.url, workerId: 'no-token', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu', blockSize: 16,
    numBlocks: 64, host: '127.0.0.1', port: 0, log: () => {},
  });
  assert.ok(!started.ok, 'NATS must refuse a worker without the token');
  assert.equal(started.error.code, 'nats_auth_failed');
  assert.match(started.error.message, /requires a token.*--cluster-token \(or MINI_DYNAMO_CLUSTER_TOKEN\)/);
});

test('credentials in the NATS URL (nats://token@host) are honoured, and never logged', async () => {
  const withToken = nats.url.replace('nats://', `nats://${TOKEN}@`);
  const connected = await connectNats(withToken, undefined, 'url-token-test');
  assert.ok(connected.ok, 'nats.js ignores URL userinfo: connectNats moves it into the token option');
  await connected.value.close();
  const lines: string[] = [];
  const other = await startServer({ ...gatewayOptions(withToken), onProgress: (l) => lines.push(l) }); // NATS auth from the URL only
  try {
    assert.ok(lines.some((l) => l.includes(`over NATS at ${nats.url}`)), lines.join('\n'));
    assert.ok(lines.every((l) => !l.includes(TOKEN)), 'no log line holds the token');
  } finally {
    await other.close();
  }
});

test('a worker whose HTTP token differs from the gateway\'s is logged once and left out of the pool', async () => {
  const open = await startNatsServer(); // no NATS auth: only the HTTP tokens differ
  const odd = spawnWorker(open.url, 'ct-odd', ['--cluster-token', 'not-the-gateway-token']);
  const lines: string[] = [];
  const other = await startServer({ ...gatewayOptions(open.url), clusterToken: TOKEN, onProgress: (l) => lines.push(l) });
  try {
    const refused = () => lines.filter((l) => l.includes('ct-odd unusable'));
    await waitFor(() => refused().length === 1, 10_000, 'the refusal to be logged');
    assert.match(refused()[0]!, /refused the cluster token \(401 on GET \/snapshot\).*--cluster-token/);
    await new Promise((r) => setTimeout(r, 1500)); // heartbeats keep arriving every 200 ms
    assert.equal(refused().length, 1, 'logged once, not retried per heartbeat');
    assert.equal(lines.filter((l) => l.includes('ct-odd joined')).length, 1);
    assert.equal(other.gateway.pool.numReady(), 0);
  } finally {
    await other.close();
    odd.kill();
    open.stop();
  }
});
