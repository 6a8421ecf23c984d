import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir } from '@mini-dynamo/model';
import { samplingParams, type EngineEvent, type WorkerReport } from '@mini-dynamo/protocol';
import { ThreadWorkerConnection } from './thread-worker-connection.js';
import type { WorkerOptions } from './worker-options.js';

const MOCK: WorkerOptions = {
  workerId: 'w-test', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu',
  blockSize: 16, numBlocks: 64, maxNumWaiting: 4, loadIntervalMs: 50,
};

function collect(conn: ThreadWorkerConnection) {
  const reports: WorkerReport[] = [];
  conn.onReport((r) => reports.push(r));
  const next = (pred: (r: WorkerReport) => boolean, timeoutMs = 5000) => new Promise<WorkerReport>((resolve, reject) => {
    const timer = setInterval(() => {
      const i = reports.findIndex(pred);
      if (i >= 0) { clearInterval(timer); clearTimeout(t); resolve(reports.splice(i, 1)[0]!); }
    }, 2);
    const t = setTimeout(() => { clearInterval(timer); reject(new Error('timed out waiting for a report')); }, timeoutMs);
  });
  return { reports, next };
}

const request = (requestId: string, maxTokens: number, promptTokenIds = Array.from({ length: 40 }, (_, i) => 3 + i)) => ({
  requestId, promptTokenIds, sampling: samplingParams({ maxTokens, temperature: 0 }), cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
});

test('a thread worker serves requests, streams KV events with bigint hashes and audits clean', async () => {
  const conn = new ThreadWorkerConnection(MOCK);
  const { next } = collect(conn);
  const info = await conn.ready;
  assert.equal(info.blockSize, 16);
  assert.equal(info.numBlocks, 64);
  conn.send({ type: 'generate', request: request('r1', 5) });
  const finished = await next((r) => r.type === 'event' && r.event.kind === 'finished');
  const event = (finished as { event: EngineEvent & { kind: 'finished' } }).event;
  assert.equal(event.usage.numCompletionTokens, 5);
  const kv = await next((r) => r.type === 'kv');
  assert.ok(kv.type === 'kv' && kv.event.data.type === 'stored' && typeof kv.event.data.blocks[0]!.blockHash === 'bigint');
  const load = await next((r) => r.type === 'load');
  assert.ok(load.type === 'load' && load.load.workerId === 'w-test' && load.load.numTotalBlocks === 64);
  conn.send({ type: 'audit' });
  const audit = await next((r) => r.type === 'audit');
  assert.ok(audit.type === 'audit' && audit.audit.ok && audit.audit.numUsedBlocks === 0);
  conn.send({ type: 'snapshot' });
  const snap = await next((r) => r.type === 'snapshot');
  assert.ok(snap.type === 'snapshot' && snap.snapshot.blockHashes.length >= 2);
  const closed = new Promise<string>((resolve) => conn.onClosed(resolve));
  await conn.close();
  assert.match(await closed, /exited/);
});

test('rejected and aborted requests end with one terminal event; a bad model dir is a fatal close', async () => {
  const conn = new ThreadWorkerConnection({ ...MOCK, workerId: 'w-abort', mockSpeedup: 1 });
  const { next } = collect(conn);
  await conn.ready;
  conn.send({ type: 'generate', request: request('too-long', 5, Array.from({ length: 5000 }, () => 7)) });
  const failed = await next((r) => r.type === 'event' && r.event.requestId === 'too-long');
  assert.ok(failed.type === 'event' && failed.event.kind === 'failed' && failed.event.error.code === 'prompt_too_long');
  conn.send({ type: 'generate', request: request('long', 200) });
  await next((r) => r.type === 'event' && r.event.kind === 'tokens');
  conn.send({ type: 'abort', requestId: 'long' });
  const end = await next((r) => r.type === 'event' && r.event.kind === 'finished');
  assert.ok(end.type === 'event' && end.event.kind === 'finished' && end.event.finishReason === 'abort');
  conn.send({ type: 'audit' });
  const audit = await next((r) => r.type === 'audit');
  assert.ok(audit.type === 'audit' && audit.audit.ok && audit.audit.numUsedBlocks === 0);
  await conn.close();

  const bad = new ThreadWorkerConnection({ ...MOCK, workerId: 'w-bad', modelDir: '/nonexistent/model' });
  const reason = await new Promise<string>((resolve) => bad.onClosed(resolve));
  assert.match(reason, /does not exist/);
  await assert.rejects(bad.ready);
});
