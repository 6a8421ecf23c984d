// Top-k / top-p / min-p sequences picked in the step graph (top_k_ids, top_p_ids, sampled_ids with min_p) against sampleToken
// over the same run's logits: greedy-equivalent and tied picks identical, seeded draws identical except within the
// float32 CDF tolerance, no logits fetched, each pick independent of its batch neighbours; 'js' mode fetches logits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type SamplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { createOrtModelRunner, type TruncatedSampling } from './ort-model-runner.js';
import { tinyRunnerPair } from './tiny-runner-pair.js';
import { argmax, counterUniform, sampleToken } from './sampler.js';
import { TOLERANCE } from './cdf-boundary.js';

const { config, weights, cacheDir, runners } = tinyRunnerPair({
  name: 'truncated', seed: 29, config: { tieWordEmbeddings: false }, modes: ['graph', 'js'] as const,
  option: (truncatedSampling): { truncatedSampling: TruncatedSampling } => ({ truncatedSampling }),
});

/** One-token prefill of `token` at position 0 in block `b` (each sequence its own block). */
function seq(b: number, token: number, sampling: SamplingParams, extra: Partial<StepSequence> = {}): StepSequence {
  return { seqId: b, tokenIds: [token], startPosition: 0, blockTable: [b], sampling, outputTokenIds: [], numPromptTokens: 1, ...extra };
}
const batchOf = (sequences: StepSequence[]): StepBatch => ({ sequences, numTokens: sequences.length });

/** sampleToken's pick at a uniform shifted by ±TOLERANCE (a float32 CDF or nucleus edge): the picks it may differ by. */
function nearPicks(row: Float32Array, s: StepSequence, u: number): number[] {
  const p = s.sampling!;
  return [u - TOLERANCE, u + TOLERANCE].map((v) => sampleToken(row, { ...p, seed: null }, s.outputTokenIds, () => Math.min(Math.max(v, 0), 1 - 2 ** -53), { allowedTokenMask: s.allowedTokenMask }));
}

const CASES: Partial<SamplingParams>[] = [
  { topK: 5 }, { temperature: 0.7, topK: 50 }, { topP: 0.9 }, { temperature: 1.3, topP: 0.5 }, { temperature: 2, minP: 0.05 },
  { temperature: 1.5, minP: 0.05, topK: 50, topP: 0.9 }, { temperature: 0.8, topK: 499, topP: 0.95 }, { temperature: 2, topP: 0.999 }, { topK: 500, topP: 0.8 },
];

describe('top-k / top-p / min-p picked in the step graph', () => {
  it('seeded draws equal sampleToken except within the float32 CDF tolerance; no logits fetched', async () => {
    const graph = runners.graph!;
    let numDraws = 0, numNear = 0;
    for (const [c, params] of CASES.entries()) {
      for (let step = 0; step < 16; step++) {
        const sequences = Array.from({ length: 8 }, (_, b) => seq(b, 3 + ((step * 8 + b) % 200), samplingParams({ seed: 100 * c + b, ...params }), { outputTokenIds: Array.from({ length: step }, () => 1) }));
        const rows = (await graph.forward(batchOf(sequences))).map((r) => Float32Array.from(r));
        const before = { ...graph.numStepsByFetch };
        const { sampledTokenIds } = await graph.step(batchOf(sequences));
        assert.deepEqual(graph.numStepsByFetch, { ...before, sampled: before.sampled + 1 }, `${JSON.stringify(params)}: no logits fetched`);
        sequences.forEach((s, b) => {
          numDraws++;
          const expected = sampleToken(rows[b]!, s.sampling!, s.outputTokenIds);
          if (sampledTokenIds[b] === expected) return;
          const u = counterUniform(s.sampling!.seed!, step);
          assert.ok(nearPicks(rows[b]!, s, u).includes(sampledTokenIds[b]!), `${JSON.stringify(params)} u=${u}: graph ${sampledTokenIds[b]}, JS ${expected}`);
          numNear++;
        });
      }
    }
    assert.ok(numNear < numDraws / 100, `${numNear} of ${numDraws} draws within the tolerance disagree`);
  });

  it('greedy-equivalent settings (top_k 1, tiny top_p, min_p 1) pick the argmax exactly, first index on ties', async () => {
    const graph = runners.graph!;
    const tied = structuredClone(weights);
    const [row] = await graph.forward(batchOf([seq(0, 7, samplingParams({}))]));
    const best = argmax(row!), h = config.hiddenSize;
    tied.lmHead!.copyWithin((best - 1) * h, best * h, (best + 1) * h); // token best−1 ties with the max
    const r = await createOrtModelRunner({ model: { name: 'tiny', config, weights: tied, contentHash: 'truncated-tied' }, blockSize: 4, numBlocks: 64, cacheDir, intraOpNumThreads: 1 });
    assert.ok(r.ok);
    try {
      for (const params of [{ topK: 1 }, { topP: 1e-6 }, { minP: 1 }, { topK: 1, topP: 0.3, minP: 0.5 }]) {
        const { sampledTokenIds } = await r.value.step(batchOf([seq(0, 7, samplingParams({ temperature: 1.1, seed: 3, ...params }))]));
        assert.equal(sampledTokenIds[0], best - 1, `${JSON.stringify(params)}: the lower of the tied ids`);
      }
    } finally {
      await r.value.close();
    }
  });

  it('a masked top-k / top-p row draws from the allowed ids only, as sampleToken does', async () => {
    const graph = runners.graph!;
    const allowed = [2, 40, 41, 77, 130, 255, 256, 300, 499];
    const mask = new Uint32Array(Math.ceil(config.vocabSize / 32));
    for (const id of allowed) mask[id >>> 5]! |= 1 << (id & 31);
    let numNear = 0;
    for (let n = 0; n < 32; n++) {
      const s = seq(0, 11, samplingParams({ temperature: 3, topK: 4 + (n % 3), topP: 0.9, seed: n }), { allowedTokenMask: mask });
      const [row] = (await graph.forward(batchOf([s]))).map((x) => Float32Array.from(x));
      const { sampledTokenIds: [id] } = await graph.step(batchOf([s]));
      assert.ok(allowed.includes(id!), `${id} allowed`);
      const expected = sampleToken(row!, s.sampling!, [], Math.random, { allowedTokenMask: mask });
      if (id !== expected) { assert.ok(nearPicks(row!, s, counterUniform(n, 0)).includes(id!)); numNear++; }
    }
    assert.ok(numNear <= 1, `${numNear} boundary disagreements`);
  });

  it('a seeded pick is the same alone and beside top-p, top-k, temperature-only and JS-path neighbours', async () => {
    const graph = runners.graph!;
    const neighbours = [{ topP: 0.5 }, { topK: 3 }, {}, { presencePenalty: 1 }, { temperature: 0 }, { minP: 0.2 }].map((p) => samplingParams({ temperature: 1, seed: 9, ...p }));
    for (const params of CASES) {
      for (let n = 0; n < 4; n++) {
        const own = seq(0, 20 + n, samplingParams({ seed: 77, ...params }), { outputTokenIds: Array.from({ length: n }, () => 2) });
        const [alone] = (await graph.step(batchOf([own]))).sampledTokenIds;
        const mixed = batchOf([seq(1, 9, neighbours[n % neighbours.length]!), { ...own, seqId: 0 }, ...neighbours.map((p, b) => seq(2 + b, 30 + b, p))]);
        assert.equal((await graph.step(mixed)).sampledTokenIds[1], alone, `${JSON.stringify(params)} #${n}`);
      }
    }
  });

  it("truncatedSampling 'js' fetches logits and picks with sampleToken", async () => {
    const js = runners.js!;
    const s = seq(0, 5, samplingParams({ temperature: 0.9, topK: 20, topP: 0.9, seed: 4 }));
    const [row] = await js.forward(batchOf([s]));
    const before = { ...js.numStepsByFetch };
    const { sampledTokenIds: [id] } = await js.step(batchOf([s]));
    assert.deepEqual(js.numStepsByFetch, { ...before, logits: before.logits + 1 });
    assert.equal(id, sampleToken(row!, s.sampling!, []));
  });
});
