// Test support: one tiny random-weight model served by an OrtModelRunner per mode of one runner option (an in-graph
// path and its JS baseline), created in a node:test `before` hook and closed, with their graph cache dir, in `after`.
// Invariant: every runner of a pair serves the same weights from the same cache dir (4-token blocks, 64 blocks, 1 thread).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaWeights } from './llama-weights.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { createOrtModelRunner, type OrtModelRunner, type OrtModelRunnerOptions } from './ort-model-runner.js';

export interface TinyRunnerPair<M extends string> {
  config: LlamaConfig;
  weights: LlamaWeights;
  cacheDir: string;
  /** Filled by the `before` hook. */
  runners: Partial<Record<M, OrtModelRunner>>;
}

export function tinyRunnerPair<M extends string>(spec: {
  name: string; seed: number; config?: Partial<LlamaConfig>; modes: readonly M[]; option: (mode: M) => Partial<OrtModelRunnerOptions>;
}): TinyRunnerPair<M> {
  const config = tinyLlamaConfig({ vocabSize: 500, ...spec.config });
  const pair: TinyRunnerPair<M> = {
    config, weights: randomLlamaWeights(config, spec.seed), cacheDir: mkdtempSync(join(tmpdir(), `md-${spec.name}-`)), runners: {},
  };
  before(async () => {
    for (const mode of spec.modes) {
      const r = await createOrtModelRunner({
        model: { name: 'tiny', config, weights: pair.weights, contentHash: spec.name }, blockSize: 4, numBlocks: 64,
        cacheDir: pair.cacheDir, intraOpNumThreads: 1, ...spec.option(mode),
      });
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      pair.runners[mode] = r.value;
    }
  });
  after(async () => {
    for (const r of Object.values<OrtModelRunner | undefined>(pair.runners)) await r?.close();
    rmSync(pair.cacheDir, { recursive: true, force: true });
  });
  return pair;
}
