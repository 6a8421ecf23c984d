// The ORT step graph against the independent float64 ReferenceModel: prefill, decode, mixed and chunked batches,
// paged (shuffled) block tables, Qwen2/Llama-3 features; plus the graph cache and the CUDA error path.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, type StepSequence } from '@mini-dynamo/protocol';
import type { LlamaConfig } from './llama-config.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { ReferenceModel } from './reference-forward.js';
import { createOrtModelRunner, type OrtModelRunner } from './ort-model-runner.js';
import { argmax } from './sampler.js';

const GREEDY = samplingParams({ temperature: 0 });
const cacheDir = mkdtempSync(join(tmpdir(), 'md-graph-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

/** max |a - b| / max |b|: fp32 graph vs float64 reference, relative to the logits' scale. */
function relError(a: Float32Array, b: Float64Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) { diff = Math.max(diff, Math.abs(a[i]! - b[i]!)); scale = Math.max(scale, Math.abs(b[i]!)); }
  return diff / scale;
}

async function makeRunner(config: LlamaConfig, hash: string, blockSize = 4): Promise<{ runner: OrtModelRunner; ref: () => ReferenceModel }> {
  const weights = randomLlamaWeights(config, 11);
  const r = await createOrtModelRunner({ model: { name: 'tiny', config, weights, contentHash: hash }, blockSize, numBlocks: 64, cacheDir, intraOpNumThreads: 1 });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return { runner: r.value, ref: () => new ReferenceModel(config, weights) };
}

/** A sequence share of a step; block tables are deliberately non-contiguous. */
function seq(seqId: number, tokenIds: number[], startPosition: number, blockTable: number[], sample = true): StepSequence {
  return { seqId, tokenIds, startPosition, blockTable, sampling: sample ? GREEDY : null, outputTokenIds: [], numPromptTokens: 0 };
}

describe('OrtModelRunner vs float64 reference (tiny Llama)', () => {
  let runner: OrtModelRunner;
  let ref: () => ReferenceModel;
  before(async () => ({ runner, ref } = await makeRunner(tinyLlamaConfig(), 'tiny-llama')));
  after(() => runner.close());

  it('matches for a prefill (every position) and 20 greedy decode steps within 1e-4', async () => {
    const model = ref();
    const prompt = [1, 17, 300, 42, 42, 7, 511, 90, 3];
    const table = [9, 2, 40, 5, 13, 30, 22, 8];
    const rows = await runner.forward({ sequences: [seq(0, prompt, 0, table)], numTokens: prompt.length }, 'all');
    const refRows = model.forward(prompt);
    rows.forEach((row, i) => assert.ok(relError(row, refRows[i]!) < 1e-4, `prefill position ${i}`));
    let next = argmax(rows.at(-1)!);
    for (let step = 0; step < 20; step++) {
      const pos = prompt.length + step;
      const [row] = await runner.forward({ sequences: [seq(0, [next], pos, table)], numTokens: 1 });
      const [refRow] = model.forward([next]);
      assert.ok(relError(row!, refRow!) < 1e-4, `decode step ${step}: ${relError(row!, refRow!)}`);
      next = argmax(row!);
    }
  });

  it('matches per sequence in a mixed batch of decodes, a chunked prefill and a fresh prefill', async () => {
    const prompts = [[1, 5, 6, 7, 8, 9], [1, 200, 201], [1, 400, 12, 13, 14, 15, 16, 17, 18, 19]];
    const tables = [[1, 3], [10, 11], [20, 33, 21]];
    const refs = prompts.map(() => ref());
    // Step 1: seq 0 prefills fully, seq 2 prefills its first chunk of 4 (no sampling), seq 1 waits.
    let rows = await runner.forward({ sequences: [seq(0, prompts[0]!, 0, tables[0]!), seq(2, prompts[2]!.slice(0, 4), 0, tables[2]!, false)], numTokens: 10 }, 'all');
    const ref0 = refs[0]!.forward(prompts[0]!), ref2a = refs[2]!.forward(prompts[2]!.slice(0, 4));
    [...ref0, ...ref2a].forEach((r, i) => assert.ok(relError(rows[i]!, r) < 1e-4, `step 1 row ${i}`));
    // Step 2: seq 0 decodes, seq 1 prefills, seq 2 finishes its prompt (second chunk).
    const next0 = argmax(rows[prompts[0]!.length - 1]!);
    rows = await runner.forward({
      sequences: [seq(1, prompts[1]!, 0, tables[1]!), seq(0, [next0], 6, tables[0]!), seq(2, prompts[2]!.slice(4), 4, tables[2]!)],
      numTokens: 3 + 1 + 6,
    });
    assert.equal(rows.length, 3);
    assert.ok(relError(rows[0]!, refs[1]!.forward(prompts[1]!).at(-1)!) < 1e-4, 'seq 1 prefill');
    assert.ok(relError(rows[1]!, refs[0]!.forward([next0])[0]!) < 1e-4, 'seq 0 decode');
    assert.ok(relError(rows[2]!, refs[2]!.forward(prompts[2]!.slice(4)).at(-1)!) < 1e-4, 'seq 2 second chunk');
    // Step 3: all three decode together.
    const nexts = rows.map((r) => argmax(r));
    rows = await runner.forward({
      sequences: [seq(0, [nexts[1]!], 7, tables[0]!), seq(1, [nexts[0]!], 3, tables[1]!), seq(2, [nexts[2]!], 10, tables[2]!)],
      numTokens: 3,
    });
    assert.ok(relError(rows[0]!, refs[0]!.forward([nexts[1]!])[0]!) < 1e-4);
    assert.ok(relError(rows[1]!, refs[1]!.forward([nexts[0]!])[0]!) < 1e-4);
    assert.ok(relError(rows[2]!, refs[2]!.forward([nexts[2]!])[0]!) < 1e-4);
  });

  it('step() samples only sequences that ask for it, greedily as argmax', async () => {
    const batch = { sequences: [seq(5, [1, 2, 3], 0, [50]), seq(6, [1, 9, 9, 9, 4], 0, [51, 52], false)], numTokens: 8 };
    const out = await runner.step(batch);
    assert.equal(out.sampledTokenIds[1], null);
    const expected = argmax(ref().forward([1, 2, 3]).at(-1)!.reduce((a, v, i) => { a[i] = v; return a; }, new Float32Array(512)));
    assert.equal(out.sampledTokenIds[0], expected);
  });

  it('rejects a block table that does not cover the positions', async () => {
    await assert.rejects(runner.forward({ sequences: [seq(7, [1, 2, 3, 4, 5], 0, [1])], numTokens: 5 }), /no valid KV block/);
  });
});

describe('OrtModelRunner with q/k/v bias, llama3 RoPE scaling, untied head and MHA', () => {
  it('matches the reference for prefill and decode', async () => {
    const config = tinyLlamaConfig({
      architecture: 'Qwen2ForCausalLM', attentionBias: true, tieWordEmbeddings: false, numKvHeads: 4, ropeTheta: 500000,
      ropeScaling: { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 },
    });
    const { runner, ref } = await makeRunner(config, 'tiny-qwen', 8);
    try {
      const model = ref();
      const prompt = Array.from({ length: 20 }, (_, i) => (i * 37 + 1) % 512);
      const rows = await runner.forward({ sequences: [seq(0, prompt, 0, [4, 0, 7])], numTokens: 20 }, 'all');
      model.forward(prompt).forEach((r, i) => assert.ok(relError(rows[i]!, r) < 1e-4, `position ${i}`));
      const [row] = await runner.forward({ sequences: [seq(0, [77], 20, [4, 0, 7])], numTokens: 1 });
      assert.ok(relError(row!, model.forward([77])[0]!) < 1e-4);
    } finally {
      await runner.close();
    }
  });
});

describe('compact KV transfer (the CUDA path) on the CPU EP', () => {
  it('gives bit-identical logits to passing the whole pool', async () => {
    const config = tinyLlamaConfig();
    const weights = randomLlamaWeights(config, 5);
    const make = (kvTransfer: 'pool' | 'compact') => createOrtModelRunner({ model: { name: 'tiny', config, weights, contentHash: 'tiny-5' }, blockSize: 4, numBlocks: 32, cacheDir, kvTransfer });
    const [a, b] = await Promise.all([make('pool'), make('compact')]);
    assert.ok(a.ok && b.ok);
    try {
      const steps = [
        { sequences: [seq(0, [1, 2, 3, 4, 5, 6], 0, [7, 3]), seq(1, [1, 9, 8], 0, [12])], numTokens: 9 },
        { sequences: [seq(0, [44], 6, [7, 3]), seq(1, [45], 3, [12, 20]), seq(2, [1, 5, 5, 5, 5], 0, [30, 31])], numTokens: 7 },
        { sequences: [seq(2, [46], 5, [30, 31]), seq(0, [47], 7, [7, 3, 9])], numTokens: 2 },
      ];
      for (const step of steps) assert.deepEqual(await b.value.forward(step, 'all'), await a.value.forward(step, 'all'));
    } finally {
      await a.value.close(); await b.value.close();
    }
  });
});

describe('step graph cache and devices', () => {
  it('reuses a cached graph and replaces it when the content hash changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-cache-'));
    try {
      const config = tinyLlamaConfig({ numLayers: 1 });
      const weights = randomLlamaWeights(config, 3);
      const progress: string[] = [];
      const make = (contentHash: string) => createOrtModelRunner({ model: { name: 'm', config, weights, contentHash }, cacheDir: dir, onProgress: (m) => progress.push(m) });
      for (const hash of ['a', 'a', 'b']) {
        const r = await make(hash);
        assert.ok(r.ok);
        await r.value.close();
      }
      assert.equal(progress.filter((m) => m.startsWith('building')).length, 2);
      assert.equal(readdirSync(dir).filter((f) => f.endsWith('.onnx')).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a clear error naming the missing library when the CUDA EP cannot load', async (t) => {
    const config = tinyLlamaConfig({ numLayers: 1 });
    const r = await createOrtModelRunner({ model: { name: 'm', config, weights: randomLlamaWeights(config), contentHash: 'c' }, cacheDir, device: 'cuda' });
    if (r.ok) { await r.value.close(); t.skip('a CUDA EP is available on this host'); return; }
    assert.equal(r.error.code, 'cuda_unavailable');
    assert.match(r.error.message, /lib[\w_]+\.so/);
  });

  it('rejects invalid options as a Result', async () => {
    const config = tinyLlamaConfig({ numLayers: 1 });
    const r = await createOrtModelRunner({ model: { name: 'm', config, weights: randomLlamaWeights(config), contentHash: 'c' }, blockSize: 0 });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'invalid_options');
  });
});
