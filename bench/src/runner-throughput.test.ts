// runner-throughput's KV pool sizing: the batched run must hold every sequence at once (no preemption), so its
// batch is the PyTorch baseline's batch; otherwise the runner's default pool is kept as it is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createOrtModelRunner, defaultModelDir, loadModelConfig, smollm2ShapeDir } from '@mini-dynamo/model';
import { loadBenchModel } from './bench-models.js';
import { workloadNumBlocks } from './runner-throughput.js';

const skip = existsSync(defaultModelDir()) && existsSync(smollm2ShapeDir()) ? false : 'model configs not found';

async function config(dir: string) {
  const info = await loadModelConfig(dir);
  assert.ok(info.ok);
  return info.value.config;
}

test('SmolLM2 shape at c = 64, 32 + 64 tokens: the 364-block default is grown to 64 × 6 blocks', { skip }, async () => {
  const smol = await config(smollm2ShapeDir());
  assert.equal(workloadNumBlocks(smol, 1, 96), 364, 'the runner default: 256 MiB of 737,280-byte blocks');
  assert.equal(workloadNumBlocks(smol, 64, 96), 384);
  assert.equal(workloadNumBlocks(smol, 32, 96), 364, 'c = 32 fits the default');
  assert.equal(workloadNumBlocks(smol, 64, 97), 448, 'a partial block counts whole');
});

test('stories260K keeps the runner default pool, the one createOrtModelRunner picks by itself', { skip }, async () => {
  const stories = await config(defaultModelDir());
  assert.equal(workloadNumBlocks(stories, 64, 96), 2048);
  const runner = await createOrtModelRunner({ model: await loadBenchModel('stories260k') });
  assert.ok(runner.ok, !runner.ok ? runner.error.message : '');
  try {
    assert.equal(runner.value.info.numBlocks, workloadNumBlocks(stories, 1, 1));
  } finally {
    await runner.value.close();
  }
});
