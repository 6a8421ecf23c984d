// OrtModelRunner with logits processing on a tiny real ONNX model: masked sequences (greedy and seeded) only pick
// allowed tokens, unmasked neighbours in the same batch get exactly what they get alone, every processing param
// sends its sequence down the logits (JS) path while a mask alone is picked in the graph, and a seeded processed draw
// does not depend on its neighbours.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argmax, isTokenAllowed, processLogits, samplingParams, type SamplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { createOrtModelRunner, type OrtModelRunner } from './ort-model-runner.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'md-processing-'));
const config = tinyLlamaConfig();
let runner: OrtModelRunner;
before(async () => {
  const r = await createOrtModelRunner({
    model: { name: 'tiny', config, weights: randomLlamaWeights(config, 57), contentHash: 'processing' }, blockSize: 4, numBlocks: 64, cacheDir, intraOpNumThreads: 1,
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  runner = r.value;
});
after(async () => {
  await runner.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const ALLOWED = [5, 40, 41, 200, 333];
const maskOf = (ids: number[]) => {
  const m = new Uint32Array(Math.ceil(config.vocabSize / 32));
  for (const id of ids) m[id >>> 5]! |= 1 << (id & 31);
  return m;
};

/** A one-token prefill of `token` at position 0 in its own block (seqId = block). */
function seq(seqId: number, token: number, sampling: SamplingParams, extra: Partial<StepSequence> = {}): StepSequence {
  return { seqId, tokenIds: [token], startPosition: 0, blockTable: [seqId], sampling, outputTokenIds: [], numPromptTokens: 1, ...extra };
}
const batchOf = (sequences: StepSequence[]): StepBatch => ({ sequences, numTokens: sequences.length });

describe('OrtModelRunner logits processing', () => {
  it('greedy and seeded sequences with a mask only pick allowed tokens; unmasked neighbours are unaffected', async () => {
    const mask = maskOf(ALLOWED);
    const numDistinct = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const token = 3 + round * 17;
      const greedy = samplingParams({ temperature: 0 });
      const seeded = samplingParams({ temperature: 1.5, seed: 100 + round });
      const plainAlone = await runner.step(batchOf([seq(2, token, greedy), seq(3, token, seeded)]));
      const mixed = batchOf([seq(0, token, greedy, { allowedTokenMask: mask }), seq(1, token, seeded, { allowedTokenMask: mask }), seq(2, token, greedy), seq(3, token, seeded)]);
      const row = (await runner.forward(batchOf([seq(0, token, greedy)])))[0]!;
      const { sampledTokenIds: ids } = await runner.step(mixed);
      assert.ok(ALLOWED.includes(ids[0]!) && ALLOWED.includes(ids[1]!), `round ${round}: ${ids}`);
      assert.equal(ids[0], ALLOWED.reduce((a, b) => (row[b]! > row[a]! ? b : a)), 'greedy: the best allowed token');
      assert.deepEqual(ids.slice(2), plainAlone.sampledTokenIds, 'the unmasked neighbours pick what they pick alone');
      numDistinct.add(ids[1]!);
    }
    assert.ok(numDistinct.size > 1, 'the seeded draws vary over the allowed set');
  });

  it('every processing parameter (with or without a mask) takes the logits path; plain and mask-only sequences keep the graph', async () => {
    const masked = { allowedTokenMask: maskOf(ALLOWED) };
    const extras: [Partial<SamplingParams>, Partial<StepSequence>][] = [
      [{ logitBias: [[9, 3]] }, {}], [{ minP: 0.1, numLogprobs: 1 }, {}], [{ minTokens: 2 }, {}], [{ repetitionPenalty: 1.2 }, { promptTokenIds: [7] }],
      [{ logitBias: [[9, 3]] }, masked], [{ minTokens: 2 }, masked], [{ numLogprobs: 1 }, masked],
    ];
    for (const [params, extra] of extras) {
      for (const temperature of [0, 1]) {
        const before = runner.numStepsByFetch.logits;
        await runner.step(batchOf([seq(0, 7, samplingParams({ temperature, seed: 1, ...params }), extra)]));
        assert.equal(runner.numStepsByFetch.logits, before + 1, `${JSON.stringify(params)} ${Object.keys(extra)} at temperature ${temperature}`);
      }
    }
    const before = { ...runner.numStepsByFetch };
    await runner.step(batchOf([seq(0, 7, samplingParams({ temperature: 1, seed: 1, logitBias: [] }))]));
    assert.equal(runner.numStepsByFetch.sampled, before.sampled + 1, 'an empty bias list is no processing');
    for (const temperature of [0, 1]) {
      const { sampled, logits } = runner.numStepsByFetch;
      await runner.step(batchOf([seq(0, 7, samplingParams({ temperature, seed: 1 }), masked)]));
      assert.deepEqual([runner.numStepsByFetch.sampled, runner.numStepsByFetch.logits], [sampled + 1, logits], `mask only at temperature ${temperature}`);
    }
  });

  it('greedy picks are the argmax of processLogits (bias, repetition over the prompt, min-tokens on EOS)', async () => {
    const eos = config.eosTokenIds;
    const row = (await runner.forward(batchOf([seq(0, 11, samplingParams({ temperature: 0 }))])))[0]!;
    const cases: [SamplingParams, Partial<StepSequence>][] = [
      [samplingParams({ temperature: 0, logitBias: [[77, 100]] }), {}],
      [samplingParams({ temperature: 0, repetitionPenalty: 1.8 }), { promptTokenIds: [argmax(row), 11] }],
      [samplingParams({ temperature: 0, minTokens: 1, logitBias: eos.map((id) => [id, 100] as [number, number]) }), {}],
    ];
    for (const [sampling, extra] of cases) {
      const s = seq(0, 11, sampling, extra);
      const { sampledTokenIds } = await runner.step(batchOf([s]));
      assert.equal(sampledTokenIds[0], argmax(processLogits(row, sampling, s, eos)), JSON.stringify(sampling));
    }
    const { sampledTokenIds: [biased] } = await runner.step(batchOf([seq(0, 11, cases[0]![0])]));
    assert.equal(biased, 77);
    const { sampledTokenIds: [held] } = await runner.step(batchOf([seq(0, 11, cases[2]![0])]));
    assert.ok(!eos.includes(held!), 'EOS (biased +100) is masked before min_tokens');
  });

  it('a seeded processed draw is the same alone and beside greedy / in-graph neighbours (batch invariance)', async () => {
    const mask = maskOf(ALLOWED);
    for (let seed = 0; seed < 8; seed++) {
      const sampling = samplingParams({ temperature: 1.2, seed, minP: 0.01, logitBias: [[40, 2]] });
      const target = (seqId: number) => seq(seqId, 13, sampling, { allowedTokenMask: mask });
      const alone = (await runner.step(batchOf([target(0)]))).sampledTokenIds[0];
      const withNeighbours = await runner.step(batchOf([seq(1, 13, samplingParams({ temperature: 0 })), target(0), seq(2, 13, samplingParams({ temperature: 1, seed: 9 }))]));
      assert.equal(withNeighbours.sampledTokenIds[1], alone, `seed ${seed}`);
      assert.ok(isTokenAllowed(mask, alone!));
    }
  });
});
