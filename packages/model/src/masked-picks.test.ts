// Masked sequences picked in the step graph (allowed_mask → sampled_greedy_ids / sampled_ids) against the JS path
// (maskedPicks 'js': fetched logits, processLogits + sampleToken) over many random masks on a vocabulary that is not
// a multiple of 32: greedy picks identical, seeded draws identical away from a float32 CDF boundary, no logits
// fetched, and each pick independent of its batch neighbours.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTokenAllowed, samplingParams, type SamplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import type { MaskedPicks } from './ort-model-runner.js';
import { tinyRunnerPair } from './tiny-runner-pair.js';
import { boundaryDistance } from './cdf-boundary.js';
import { counterUniform } from './sampler.js';

const { config, runners } = tinyRunnerPair({ name: 'masked', seed: 23, modes: ['graph', 'js'] as const, option: (maskedPicks): { maskedPicks: MaskedPicks } => ({ maskedPicks }) });

/** A random mask over the vocabulary (bits past it set too: they must be ignored); `density` of ids allowed, ≥ 1. */
function randomMask(seed: number, density: number): Uint32Array {
  const mask = new Uint32Array(Math.ceil(config.vocabSize / 32));
  for (let id = 0; id < mask.length * 32; id++) {
    if (id >= config.vocabSize || counterUniform(seed, id) < density) mask[id >>> 5]! |= 1 << (id & 31);
  }
  mask[0]! |= 1 << (seed % 32);
  return mask;
}

/** One-token prefill of `token` in its own block (seqId = block). */
function seq(seqId: number, token: number, sampling: SamplingParams, extra: Partial<StepSequence> = {}): StepSequence {
  return { seqId, tokenIds: [token], startPosition: 0, blockTable: [seqId], sampling, outputTokenIds: [], numPromptTokens: 1, ...extra };
}
const batchOf = (sequences: StepSequence[]): StepBatch => ({ sequences, numTokens: sequences.length });
const DENSITIES = [0.004, 0.05, 0.3, 0.9, 1];

/** Float64 weights of the masked row at temperature t (0 outside the mask), as sampleToken draws from them. */
function maskedWeights(row: Float32Array, mask: Uint32Array, t: number): Float64Array {
  let max = -Infinity;
  row.forEach((x, id) => { if (isTokenAllowed(mask, id) && x > max) max = x; });
  return Float64Array.from(row, (x, id) => (isTokenAllowed(mask, id) ? Math.exp((x - max) / t) : 0));
}

describe('masked picks in the step graph', () => {
  it('greedy and seeded masked picks equal the JS path over many random masks, without fetching logits', async () => {
    const graph = runners.graph!, js = runners.js!;
    let numNearBoundary = 0, numDraws = 0;
    for (let round = 0; round < 24; round++) {
      const t = [0.7, 1, 2.5][round % 3]!;
      const sequences = Array.from({ length: 10 }, (_, b) => {
        const mask = randomMask(round * 10 + b, DENSITIES[b % DENSITIES.length]!);
        const sampling = samplingParams(b % 2 === 0 ? { temperature: 0 } : { temperature: t, seed: round * 10 + b });
        return seq(b, 3 + ((round * 7 + b * 13) % 400), sampling, { allowedTokenMask: mask, outputTokenIds: Array.from({ length: round }, () => 4) });
      });
      const before = { ...graph.numStepsByFetch };
      const inGraph = (await graph.step(batchOf(sequences))).sampledTokenIds;
      assert.deepEqual(graph.numStepsByFetch, { ...before, sampled: before.sampled + 1 }, 'masked picks fetch no logits');
      const inJs = (await js.step(batchOf(sequences))).sampledTokenIds;
      const rows = await js.forward(batchOf(sequences));
      sequences.forEach((s, b) => {
        const mask = s.allowedTokenMask!, id = inGraph[b]!;
        assert.ok(id < config.vocabSize && isTokenAllowed(mask, id), `round ${round} seq ${b}: ${id} is allowed`);
        if (s.sampling!.temperature <= 0) { assert.equal(id, inJs[b], `round ${round} seq ${b}: greedy`); return; }
        numDraws++;
        if (id === inJs[b]) return;
        const w = maskedWeights(rows[b]!, mask, t);
        const near = boundaryDistance(w, counterUniform(s.sampling!.seed!, round), id, inJs[b]!);
        assert.ok(near < 1e-5, `round ${round} seq ${b}: graph ${id}, JS ${inJs[b]}, ${near} from a boundary`);
        numNearBoundary++;
      });
    }
    assert.ok(numNearBoundary <= numDraws / 50, `${numNearBoundary} of ${numDraws} draws disagree at a boundary`);
  });

  it('a masked pick is the same alone and beside plain, masked and JS-path neighbours (batch invariance)', async () => {
    const graph = runners.graph!;
    for (let n = 0; n < 12; n++) {
      const mask = randomMask(1000 + n, DENSITIES[n % DENSITIES.length]!);
      const sampling = samplingParams(n % 2 === 0 ? { temperature: 0 } : { temperature: 1.3, seed: 50 + n });
      const target = seq(0, 9 + n, sampling, { allowedTokenMask: mask });
      const alone = (await graph.step(batchOf([target]))).sampledTokenIds[0];
      const neighbours = [
        seq(1, 9 + n, samplingParams({ temperature: 0 })), seq(2, 9 + n, samplingParams({ temperature: 1, seed: 3 })),
        seq(3, 9 + n, samplingParams({ temperature: 1, seed: 4 }), { allowedTokenMask: randomMask(7, 0.1) }),
        seq(4, 9 + n, samplingParams({ temperature: 1, seed: 5, logitBias: [[9, 5]] }), { allowedTokenMask: mask }),
      ];
      const mixed = (await graph.step(batchOf([...neighbours.slice(0, n % 5), target, ...neighbours.slice(n % 5)]))).sampledTokenIds;
      assert.equal(mixed[n % 5], alone, `case ${n}`);
    }
  });
});
