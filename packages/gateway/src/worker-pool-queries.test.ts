// WorkerPool queries (metrics / audit / reset) against workers that answer late, fail one query, never answer,
// or are unhealthy: callers always get an answer by the pool's deadline (at once for an unhealthy worker), and a
// late answer never shifts the pairing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelRunnerInfo, WorkerCommand, WorkerConnection, WorkerReport } from '@mini-dynamo/protocol';
import { createRouter } from '@mini-dynamo/router';
import { WorkerPool } from './worker-pool.js';

const INFO: ModelRunnerInfo = { modelName: 'm', blockSize: 16, numBlocks: 8, maxModelLen: 64, vocabSize: 32, eosTokenIds: [2] };

/** An in-memory worker whose answers the test scripts: `answer` decides the reply to each query (null: silence). */
class ScriptedWorker implements WorkerConnection {
  readonly transport = 'thread' as const;
  readonly ready = Promise.resolve(INFO);
  readonly sent: WorkerCommand['type'][] = [];
  private listener: (r: WorkerReport) => void = () => {};
  constructor(readonly workerId: string, private readonly answer: (c: WorkerCommand, n: number) => WorkerReport | null) {}
  send(command: WorkerCommand): void {
    this.sent.push(command.type);
    const report = this.answer(command, this.sent.length);
    if (report) setImmediate(() => this.listener(report));
  }
  reply(report: WorkerReport): void { this.listener(report); }
  onReport(listener: (r: WorkerReport) => void): void { this.listener = listener; }
  onClosed(): void {}
  async close(): Promise<void> {}
}

async function poolOf(deadlineMs: number, ...workers: ScriptedWorker[]) {
  const logs: string[] = [];
  const pool = new WorkerPool(createRouter({ policy: 'kv', blockSize: 16 }), (l) => void logs.push(l), deadlineMs);
  for (const w of workers) pool.add(w);
  await Promise.all(workers.map((w) => w.ready));
  await new Promise((r) => setImmediate(r));
  assert.equal(pool.numReady(), workers.length);
  return { pool, logs };
}

test('metrics: a silent worker is left out at the deadline, a failed query is left out at once; the rest is returned', async () => {
  const healthy = new ScriptedWorker('a', () => ({ type: 'metrics', text: 'x{worker_id="a"} 1\n' }));
  const silent = new ScriptedWorker('b', () => null);
  const failing = new ScriptedWorker('c', () => ({ type: 'query_failed', query: 'metrics', message: 'GET /metrics answered 500' }));
  const { pool, logs } = await poolOf(100, healthy, silent, failing);
  const t0 = Date.now();
  assert.deepEqual(await pool.metricsTexts(), ['x{worker_id="a"} 1\n']);
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(logs.sort(), [
    'metrics of worker b left out: worker b did not answer metrics within 100 ms',
    'metrics of worker c left out: GET /metrics answered 500',
  ]);
});

test('audit and reset reject naming the worker that did not answer; its late answer is not given to the next caller', async () => {
  const slow = new ScriptedWorker('slow', () => null);
  const { pool } = await poolOf(50, slow);
  await assert.rejects(pool.audit(), /audit failed: worker slow did not answer audit within 50 ms/);
  await assert.rejects(pool.resetPrefixCache(), (e: Error & { status?: number }) =>
    e.status === 503 && e.message === 'Prefix cache reset not confirmed by 1 of 1 workers: worker slow did not answer reset_prefix_cache within 50 ms');
  const next = pool.resetPrefixCache();
  slow.reply({ type: 'prefix_cache_reset', numBlocks: 7 }); // late: answers the first, expired reset
  slow.reply({ type: 'prefix_cache_reset', numBlocks: 3 });
  assert.deepEqual(await next, [3], 'the second reset gets its own answer');
});

test('a worker the canary marked unhealthy is not asked: metrics skip it quietly, audit and reset name it at once', async (t) => {
  const ok = new ScriptedWorker('ok', (c) => (c.type === 'generate'
    ? { type: 'event', event: { kind: 'finished', requestId: c.request.requestId, finishReason: 'length', usage: { numPromptTokens: 4, numCompletionTokens: 1, numCachedTokens: 0 } } }
    : c.type === 'metrics' ? { type: 'metrics', text: 'x{worker_id="ok"} 1\n' }
      : c.type === 'audit' ? { type: 'audit', audit: { numTotalBlocks: 8, numFreeBlocks: 8, numUsedBlocks: 0, orphanedBlocks: [], refCountMismatches: [], ok: true } }
        : c.type === 'reset_prefix_cache' ? { type: 'prefix_cache_reset', numBlocks: 2 } : null));
  const hung = new ScriptedWorker('hung', () => null); // never answers anything, canaries included
  const logs: string[] = [];
  const pool = new WorkerPool(createRouter({ policy: 'kv', blockSize: 16 }), (l) => void logs.push(l), 5000, undefined, { waitMs: 20, timeoutMs: 40 });
  t.after(() => pool.close());
  for (const w of [ok, hung]) pool.add(w);
  await Promise.all([ok.ready, hung.ready]);
  const deadline = Date.now() + 3000;
  while (pool.numReady() !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(pool.numReady(), 1, 'hung marked unhealthy');
  const t0 = Date.now();
  assert.deepEqual(await pool.metricsTexts(), ['x{worker_id="ok"} 1\n']);
  await assert.rejects(pool.audit(), /audit failed: worker hung is unhealthy \(canary health check\), not asked/);
  await assert.rejects(pool.resetPrefixCache(), (e: Error & { status?: number }) =>
    e.status === 503 && e.message === 'Prefix cache reset not confirmed by 1 of 2 workers: worker hung is unhealthy (canary health check), not asked');
  assert.ok(Date.now() - t0 < 1000, 'no query waited for the 5 s deadline');
  assert.ok(!hung.sent.some((c) => c === 'metrics' || c === 'audit' || c === 'reset_prefix_cache'), hung.sent.join(', '));
  assert.ok(ok.sent.includes('reset_prefix_cache'), 'the healthy worker did reset');
  assert.ok(!logs.some((l) => l.startsWith('metrics of worker hung')), logs.join('\n'));
});
