// The shared ModelRunner suite over both implementations: the engine's MockRunner and the ORT runner
// (real stories260K weights, and a tiny random GQA model); stories260K also with greedy argmax in JS (logits
// always fetched), so both fetch paths of OrtModelRunner.step meet the contract.

import { mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockRunner } from '@mini-dynamo/engine';
import { createOrtModelRunner, defaultModelDir, loadModel, randomLlamaWeights, tinyLlamaConfig, type GraphModel, type GreedyArgmax } from '@mini-dynamo/model';
import { modelRunnerConformance } from './model-runner-conformance.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'md-conformance-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

async function ortRunner(model: GraphModel, greedyArgmax: GreedyArgmax = 'graph') {
  const r = await createOrtModelRunner({ model, cacheDir, blockSize: 4, numBlocks: 64, intraOpNumThreads: 1, greedyArgmax });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

modelRunnerConformance('MockRunner (checkKv)', async () => new MockRunner({ checkKv: true, info: { numBlocks: 64, blockSize: 4, vocabSize: 512 } }));
modelRunnerConformance('OrtModelRunner (stories260K)', async () => {
  const m = await loadModel(defaultModelDir());
  if (!m.ok) throw new Error(m.error.message);
  return ortRunner(m.value);
});
modelRunnerConformance('OrtModelRunner (stories260K, greedy argmax in JS)', async () => {
  const m = await loadModel(defaultModelDir());
  if (!m.ok) throw new Error(m.error.message);
  return ortRunner(m.value, 'js');
});
modelRunnerConformance('OrtModelRunner (tiny random GQA)', async () => {
  const config = tinyLlamaConfig();
  return ortRunner({ name: 'tiny', config, weights: randomLlamaWeights(config, 3), contentHash: 'tiny-3' });
});
