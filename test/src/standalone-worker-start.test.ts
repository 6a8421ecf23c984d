// A standalone worker that cannot bind its port fails to start with a clear error and releases what it
// had opened (NATS connection, engine, runner): the test process exits on its own when nothing is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { defaultModelDir } from '@mini-dynamo/model';
import { startStandaloneWorker } from '@mini-dynamo/worker';
import { startNatsServer } from './router-fixtures.js';

test('a taken port is a listen_failed result, not a crash or a leaked connection', async (t) => {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const started = await startStandaloneWorker({
    natsUrl: nats.url, workerId: 'busy-port', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu', blockSize: 16,
    numBlocks: 64, host: '127.0.0.1', port, log: () => {},
  });
  assert.ok(!started.ok, 'the worker must not start on a taken port');
  assert.equal(started.error.code, 'listen_failed');
  assert.match(started.error.message, new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
});
