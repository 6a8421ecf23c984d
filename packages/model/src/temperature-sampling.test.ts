// The step graph's temperature sampling (sampled_ids) against the JS inverse-CDF rule (sampler.drawIndex) over the
// same run's logits, the token frequencies against the softmax probabilities, and the runner's fetch rule:
// temperature-only sequences never fetch logits; a penalised neighbour makes the step fetch them without changing them.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, type SamplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { createOrtModelRunner, type OrtModelRunner, type TemperatureSampling } from './ort-model-runner.js';
import { boundaryDistance } from './cdf-boundary.js';
import { counterUniform, drawIndex } from './sampler.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'md-temperature-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));
const config = tinyLlamaConfig();
const weights = randomLlamaWeights(config, 41);

async function makeRunner(temperatureSampling: TemperatureSampling = 'graph'): Promise<OrtModelRunner> {
  const r = await createOrtModelRunner({
    model: { name: 'tiny', config, weights, contentHash: 'temperature' }, blockSize: 4, numBlocks: 128, cacheDir, intraOpNumThreads: 1, temperatureSampling,
  });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

/** `n` one-token prefills of the same token at position 0 (own block each): every logits row is the same. */
function sameRowBatch(n: number, sampling: SamplingParams, token = 7): StepBatch {
  const sequences: StepSequence[] = Array.from({ length: n }, (_, b) => ({
    seqId: b, tokenIds: [token], startPosition: 0, blockTable: [b], sampling, outputTokenIds: [], numPromptTokens: 1,
  }));
  return { sequences, numTokens: n };
}

/** Float64 softmax(row / temperature) (unnormalised weights, as sampler.candidates computes them). */
function weightsOf(row: Float32Array, temperature: number): Float64Array {
  const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
  return Float64Array.from(row, (x) => Math.exp((x - max) / temperature));
}

describe('temperature sampling in the step graph (sampled_ids)', () => {
  const temperature = 2.5; // the random model's logits span ±15: spread the draws over many tokens
  const params = samplingParams({ temperature });

  it('matches JS drawIndex for every draw away from a float32 CDF boundary, and its frequencies match softmax', async () => {
    const runner = await makeRunner();
    try {
      const numSeqs = 64, numSteps = 64;
      const [row] = await runner.forward(sameRowBatch(1, params));
      const w = weightsOf(row!, temperature);
      const total = w.reduce((a, b) => a + b, 0);
      const counts = new Float64Array(w.length);
      let numNearBoundary = 0;
      for (let step = 0; step < numSteps; step++) {
        const draws = Array.from({ length: numSeqs }, (_, b) => counterUniform(99, step * numSeqs + b));
        let k = 0;
        runner.random = () => draws[k++]!;
        const before = { ...runner.numStepsByFetch };
        const { sampledTokenIds } = await runner.step(sameRowBatch(numSeqs, params));
        assert.deepEqual(runner.numStepsByFetch, { ...before, sampled: before.sampled + 1 }, 'temperature-only: no logits fetched');
        assert.equal(k, numSeqs, 'one draw per sequence');
        sampledTokenIds.forEach((id, b) => {
          counts[id!]++;
          const expected = drawIndex(w, draws[b]!);
          if (id === expected) return;
          const near = boundaryDistance(w, draws[b]!, id!, expected);
          assert.ok(near < 1e-5, `u=${draws[b]} picked ${id}, JS ${expected}, ${near} from a boundary`);
          numNearBoundary++;
        });
      }
      const numDraws = numSeqs * numSteps;
      assert.ok(numNearBoundary < numDraws / 100, `${numNearBoundary} boundary disagreements`);
      // Chi-square over bins pooled to an expected count ≥ 20 (tokens in id order).
      let chi2 = 0, df = -1, expBin = 0, obsBin = 0;
      for (let i = 0; i < w.length; i++) {
        expBin += (numDraws * w[i]!) / total; obsBin += counts[i]!;
        if (expBin >= 20 || i === w.length - 1) { chi2 += (obsBin - expBin) ** 2 / expBin; df++; expBin = 0; obsBin = 0; }
      }
      assert.ok(df >= 10, `the distribution is spread over ${df + 1} bins`);
      assert.ok(chi2 < df + 5 * Math.sqrt(2 * df), `chi2 ${chi2.toFixed(1)} with ${df} degrees of freedom`);
    } finally {
      await runner.close();
    }
  });

  it('a u near 1 stays inside the vocabulary; temperature scales the logits (a hot and a cold row pick differently)', async () => {
    const runner = await makeRunner();
    try {
      runner.random = () => 1 - 2 ** -53;
      const { sampledTokenIds } = await runner.step(sameRowBatch(2, params));
      for (const id of sampledTokenIds) assert.ok(id! >= 0 && id! < config.vocabSize, `id ${id}`);
      const [row] = await runner.forward(sameRowBatch(1, params));
      const u = 0.5;
      runner.random = () => u;
      const picks = [];
      for (const t of [0.05, 50]) {
        const { sampledTokenIds: [id] } = await runner.step(sameRowBatch(1, samplingParams({ temperature: t })));
        assert.equal(id, drawIndex(weightsOf(row!, t), u), `temperature ${t}`);
        picks.push(id);
      }
      assert.notEqual(picks[0], picks[1], 'temperature changes the pick');
    } finally {
      await runner.close();
    }
  });

  it('a seeded temperature-only sequence gets the same token with a penalised neighbour (logits fetched) as alone; js mode fetches logits', async () => {
    const graph = await makeRunner();
    const js = await makeRunner('js');
    try {
      const seeded = samplingParams({ temperature: 1, seed: 1234 });
      for (let n = 0; n < 20; n++) {
        const alone = sameRowBatch(1, seeded, 3 + n);
        alone.sequences[0] = { ...alone.sequences[0]!, outputTokenIds: Array.from({ length: n }, () => 0) };
        const mixed: StepBatch = { sequences: [...alone.sequences, { ...sameRowBatch(2, samplingParams({ temperature: 1, topP: 0.8, seed: 5, presencePenalty: 1 }), 3 + n).sequences[1]! }], numTokens: 2 };
        const before = { ...graph.numStepsByFetch };
        const a = (await graph.step(alone)).sampledTokenIds[0];
        const m = (await graph.step(mixed)).sampledTokenIds[0];
        assert.deepEqual(graph.numStepsByFetch, { argmax: before.argmax, sampled: before.sampled + 1, logits: before.logits + 1 });
        assert.equal(m, a, `token ${n}: a top-p neighbour changed the seeded sequence's token`);
        const [row] = await graph.forward(alone);
        const u = counterUniform(1234, n);
        const expected = drawIndex(weightsOf(row!, 1), u);
        if (a !== expected) assert.ok(boundaryDistance(weightsOf(row!, 1), u, a!, expected) < 1e-5, `token ${n}: graph ${a}, JS ${expected}`);
        const jsBefore = { ...js.numStepsByFetch };
        const j = (await js.step(alone)).sampledTokenIds[0];
        assert.deepEqual(js.numStepsByFetch, { ...jsBefore, logits: jsBefore.logits + 1 }, 'temperatureSampling js fetches logits');
        assert.equal(j, expected, 'the js path is sampleToken');
      }
    } finally {
      await graph.close();
      await js.close();
    }
  });
});
