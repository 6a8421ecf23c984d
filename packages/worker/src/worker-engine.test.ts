// createWorkerEngine: the engine flags of WorkerOptions reach the Engine's config (speculative decoding included),
// so thread workers and standalone workers (which both build engines here) run what `serve` / `worker` were given.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir } from '@mini-dynamo/model';
import { createWorkerEngine } from './worker-engine.js';
import type { WorkerOptions } from './worker-options.js';

const BASE: WorkerOptions = { workerId: 'w0', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu', blockSize: 16, numBlocks: 64 };

test('WorkerOptions.speculative becomes EngineConfig.speculative; absent means off (null)', async () => {
  const speculative = { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 3, promptLookupMin: 2 } as const;
  const on = await createWorkerEngine({ ...BASE, speculative, maxNumSeqs: 8 }, () => {});
  assert.ok(on.ok, on.ok ? '' : on.error.message);
  assert.deepEqual(on.value.engine.config.speculative, speculative);
  assert.equal(on.value.engine.config.maxNumSeqs, 8);
  on.value.engine.stop();
  const off = await createWorkerEngine(BASE, () => {});
  assert.ok(off.ok, off.ok ? '' : off.error.message);
  assert.equal(off.value.engine.config.speculative, null);
  off.value.engine.stop();
});

test('WorkerOptions.schedulingPolicy becomes EngineConfig.schedulingPolicy; absent means fcfs', async () => {
  const on = await createWorkerEngine({ ...BASE, schedulingPolicy: 'priority' }, () => {});
  assert.ok(on.ok, on.ok ? '' : on.error.message);
  assert.equal(on.value.engine.config.schedulingPolicy, 'priority');
  on.value.engine.stop();
  const off = await createWorkerEngine(BASE, () => {});
  assert.ok(off.ok, off.ok ? '' : off.error.message);
  assert.equal(off.value.engine.config.schedulingPolicy, 'fcfs');
  off.value.engine.stop();
});
