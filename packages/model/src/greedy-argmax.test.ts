// The step graph's in-graph ArgMax (greedy_ids) against JS argmax over the same run's logits: random batched
// steps of a random-weight tiny model, and a model whose lm_head duplicates rows so every argmax is an exact tie;
// a step with any sequence that is not plain greedy (penalised, sampled, logprobs) takes the logits path.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaWeights } from './llama-weights.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { createOrtModelRunner, type OrtModelRunner } from './ort-model-runner.js';
import { applyPenalties, argmax } from './sampler.js';

const GREEDY = samplingParams({ temperature: 0 });
const cacheDir = mkdtempSync(join(tmpdir(), 'md-argmax-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

async function makeRunner(config: LlamaConfig, weights: LlamaWeights, hash: string): Promise<OrtModelRunner> {
  const r = await createOrtModelRunner({ model: { name: 'tiny', config, weights, contentHash: hash }, blockSize: 4, numBlocks: 128, cacheDir, intraOpNumThreads: 1 });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

/**
 * Runs `batch` twice: forward() fetches the logits (and scatters the new K/V), then step() recomputes the same
 * tokens (rewriting the same K/V) and must fetch greedy_ids. Returns the logits rows and the in-graph ids.
 */
async function bothPaths(runner: OrtModelRunner, batch: StepBatch): Promise<{ rows: Float32Array[]; ids: (number | null)[] }> {
  const rows = (await runner.forward(batch)).map((r) => Float32Array.from(r));
  const before = runner.numStepsByFetch.argmax;
  const { sampledTokenIds } = await runner.step(batch);
  assert.equal(runner.numStepsByFetch.argmax, before + 1, 'a plain greedy step fetches greedy_ids');
  return { rows, ids: sampledTokenIds };
}

interface Live { seqId: number; prompt: number[]; out: number[]; blockTable: number[] }

/** Sequence b joins at step b with a prompt of 1 + 2b tokens, then decodes; block tables interleave. */
function stepBatch(live: Live[]): StepBatch {
  const sequences: StepSequence[] = live.map((s) => ({
    seqId: s.seqId, tokenIds: s.out.length === 0 ? s.prompt : [s.out.at(-1)!],
    startPosition: s.out.length === 0 ? 0 : s.prompt.length + s.out.length - 1,
    blockTable: s.blockTable, sampling: GREEDY, outputTokenIds: [...s.out], numPromptTokens: s.prompt.length,
  }));
  return { sequences, numTokens: sequences.reduce((n, s) => n + s.tokenIds.length, 0) };
}

describe('in-graph ArgMax (greedy_ids) vs JS argmax', () => {
  it('agrees on every row of 40 batched steps (1–8 sequences, prefills mixed with decodes) of a random tiny model', async () => {
    const config = tinyLlamaConfig();
    const runner = await makeRunner(config, randomLlamaWeights(config, 21), 'argmax-random');
    try {
      const numSeqs = 8;
      const live: Live[] = [];
      let numRows = 0;
      for (let step = 0; step < 40; step++) {
        if (step < numSeqs) {
          const b = step;
          live.push({
            seqId: b, out: [], prompt: Array.from({ length: 1 + 2 * b }, (_, i) => (b * 131 + i * 17) % config.vocabSize),
            blockTable: Array.from({ length: 16 }, (_, i) => i * numSeqs + b), // 64 positions per sequence
          });
        }
        const { rows, ids } = await bothPaths(runner, stepBatch(live));
        assert.equal(rows.length, live.length);
        rows.forEach((row, i) => assert.equal(ids[i], argmax(row), `step ${step}, sequence ${live[i]!.seqId}`));
        live.forEach((s, i) => s.out.push(ids[i]!));
        numRows += rows.length;
      }
      assert.equal(numRows, 8 * 40 - 28);
    } finally {
      await runner.close();
    }
  });

  it('picks the first index on exact ties (lm_head rows 2k and 2k+1 identical), as JS argmax does', async () => {
    const config = tinyLlamaConfig({ tieWordEmbeddings: false });
    const weights = randomLlamaWeights(config, 5);
    const h = config.hiddenSize, head = weights.lmHead!;
    for (let k = 0; k + 1 < config.vocabSize; k += 2) head.copyWithin((k + 1) * h, k * h, (k + 1) * h);
    const runner = await makeRunner(config, weights, 'argmax-ties');
    try {
      const live: Live[] = [0, 1, 2].map((b) => ({ seqId: b, out: [], prompt: [1, 40 + b, 7 * b + 3], blockTable: [b, 3 + b, 6 + b, 9 + b] }));
      const chosen = new Set<number>();
      for (let step = 0; step < 10; step++) {
        const { rows, ids } = await bothPaths(runner, stepBatch(live));
        rows.forEach((row, i) => {
          const best = argmax(row);
          assert.equal(best % 2, 0, 'JS argmax takes the first of the tied pair');
          assert.equal(row[best + 1], row[best], 'the maximum really is tied');
          assert.equal(ids[i], best, `step ${step}, sequence ${i}`);
          chosen.add(best);
        });
        live.forEach((s, i) => s.out.push(ids[i]!));
      }
      assert.ok(chosen.size > 1, 'the ties were at different tokens');
    } finally {
      await runner.close();
    }
  });

  it('a greedy sequence batched with a penalised (temperature 0) or a seeded logit-bias one: the whole step takes the logits path', async () => {
    const config = tinyLlamaConfig();
    const runner = await makeRunner(config, randomLlamaWeights(config, 33), 'argmax-mixed');
    try {
      const live: Live[] = [0, 1].map((b) => ({ seqId: b, out: [], prompt: [1, 20 + b, 9, 4], blockTable: [b, 2 + b, 4 + b, 6 + b] }));
      for (let step = 0; step < 3; step++) {
        const { ids } = await bothPaths(runner, stepBatch(live)); // all greedy: the ArgMax path
        live.forEach((s, i) => s.out.push(ids[i]!));
      }
      const penalised = samplingParams({ temperature: 0, presencePenalty: 2, frequencyPenalty: 2 });
      for (const other of [penalised, samplingParams({ temperature: 0.8, topP: 0.9, seed: 7, logitBias: [[3, 1]] })]) {
        const batch = stepBatch(live);
        batch.sequences[1] = { ...batch.sequences[1]!, sampling: other };
        const rows = (await runner.forward(batch)).map((r) => Float32Array.from(r));
        const before = { ...runner.numStepsByFetch };
        const { sampledTokenIds } = await runner.step(batch);
        assert.deepEqual(runner.numStepsByFetch, { ...before, logits: before.logits + 1 }, `${JSON.stringify(other)} needs the logits`);
        assert.equal(sampledTokenIds[0], argmax(rows[0]!), 'the greedy sequence still gets its argmax');
        if (other === penalised) assert.equal(sampledTokenIds[1], argmax(applyPenalties(rows[1]!, other, live[1]!.out)), 'penalties applied');
      }
    } finally {
      await runner.close();
    }
  });
});
