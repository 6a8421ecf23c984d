import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir } from '@mini-dynamo/model';
import { ThreadWorkerConnection } from './thread-worker-connection.js';
import { workerConnectionConformance } from './worker-connection-conformance.js';
import type { WorkerOptions } from './worker-options.js';

const MOCK: WorkerOptions = {
  workerId: 'w-thread', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu',
  blockSize: 16, numBlocks: 64, loadIntervalMs: 50, mockSpeedup: 2,
};

workerConnectionConformance('ThreadWorkerConnection (mock runner)', async () => new ThreadWorkerConnection(MOCK));

test('a worker that cannot load its model closes with the reason and rejects ready', async () => {
  const bad = new ThreadWorkerConnection({ ...MOCK, workerId: 'w-bad', modelDir: '/nonexistent/model' });
  const reason = await new Promise<string>((resolve) => bad.onClosed(resolve));
  assert.match(reason, /does not exist/);
  await assert.rejects(bad.ready);
});

test('a thread that dies mid-flight closes the connection (worker death → onClosed)', async () => {
  const connection = new ThreadWorkerConnection({ ...MOCK, workerId: 'w-die' });
  await connection.ready;
  const closed = new Promise<string>((resolve) => connection.onClosed(resolve));
  // Terminate the thread from outside, as a crash would.
  await (connection as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  assert.match(await closed, /exited/);
});
