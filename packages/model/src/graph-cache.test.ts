// The step-graph cache: a graph is built once per key and reused; a file of the same model under another key (a
// graph built by an older LLAMA_GRAPH_VERSION) is removed and the current graph, with today's inputs, is built.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ensureStepGraph, graphCacheKey } from './graph-cache.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'md-graph-cache-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));
const config = tinyLlamaConfig();
const model = { name: 'tiny', config, weights: randomLlamaWeights(config, 3), contentHash: 'cache' };

describe('graph cache', () => {
  it('replaces a stale graph of the same model, then reuses the current one; the key follows the inputs', async () => {
    const stale = join(cacheDir, 'tiny.step-graph.0123456789abcdef.onnx');
    writeFileSync(stale, 'an older graph version');
    const first = ensureStepGraph(model, 64, cacheDir);
    assert.equal(first.built, true);
    assert.equal(existsSync(stale), false, 'the stale graph is removed');
    assert.ok(first.path.endsWith(`.${graphCacheKey(model, 64)}.onnx`));
    assert.deepEqual(ensureStepGraph(model, 64, cacheDir), { path: first.path, built: false });
    assert.notEqual(graphCacheKey(model, 128), graphCacheKey(model, 64));
    assert.notEqual(graphCacheKey({ ...model, contentHash: 'other' }, 64), graphCacheKey(model, 64));
    assert.deepEqual(readdirSync(cacheDir), [first.path.split('/').pop()]);
    const session = await ort.InferenceSession.create(first.path);
    try {
      assert.ok(session.inputNames.includes('allowed_mask'), 'the cached graph has the current inputs');
      assert.ok(session.outputNames.includes('sampled_greedy_ids'));
    } finally {
      await session.release();
    }
  });
});
