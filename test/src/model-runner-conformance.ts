// The ModelRunner contract every implementation (MockRunner, OrtModelRunner) must meet, as one shared suite:
// info sanity, output alignment, logprobs and prompt logprobs when asked, greedy determinism, chunking and batch independence,
// allowed-token masks / logit bias / min-tokens honoured, block-table checks, close.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type ModelRunner, type StepSequence } from '@mini-dynamo/protocol';

const GREEDY = samplingParams({ temperature: 0 });

function seq(seqId: number, tokenIds: number[], startPosition: number, blockTable: number[], sample: boolean, outputTokenIds: number[] = []): StepSequence {
  return { seqId, tokenIds, startPosition, blockTable, sampling: sample ? GREEDY : null, outputTokenIds, numPromptTokens: 0 };
}

/** Greedy tokens of one sequence run alone: prompt prefilled in chunks of `chunk`, then `numTokens` decoded. */
async function generate(runner: ModelRunner, prompt: number[], numTokens: number, blockTable: number[], chunk: number): Promise<number[]> {
  const out: number[] = [];
  for (let pos = 0; pos < prompt.length; pos += chunk) {
    const last = pos + chunk >= prompt.length;
    const r = await runner.step({ sequences: [seq(1, prompt.slice(pos, pos + chunk), pos, blockTable, last)], numTokens: Math.min(chunk, prompt.length - pos) });
    if (last) out.push(r.sampledTokenIds[0]!);
  }
  while (out.length < numTokens) {
    const r = await runner.step({ sequences: [seq(1, [out.at(-1)!], prompt.length + out.length - 1, blockTable, true, [...out])], numTokens: 1 });
    out.push(r.sampledTokenIds[0]!);
  }
  return out;
}

/** Runs the ModelRunner contract against `create()` (called once; the runner is closed at the end). */
export function modelRunnerConformance(name: string, create: () => Promise<ModelRunner>): void {
  describe(`ModelRunner conformance: ${name}`, () => {
    let runner: ModelRunner;
    let prompt: number[];
    let tables: (offset: number) => number[];
    before(async () => {
      runner = await create();
      const v = runner.info.vocabSize;
      prompt = Array.from({ length: 2 * runner.info.blockSize + 3 }, (_, i) => 3 + ((i * 37 + 11) % (v - 3)));
      const numBlocks = Math.ceil((prompt.length + 8) / runner.info.blockSize);
      tables = (offset) => Array.from({ length: numBlocks }, (_, i) => (offset + i * 3) % runner.info.numBlocks);
    });
    after(() => runner.close());

    it('describes itself with sane limits', () => {
      const { blockSize, numBlocks, maxModelLen, vocabSize, eosTokenIds } = runner.info;
      for (const n of [blockSize, numBlocks, maxModelLen, vocabSize]) assert.ok(Number.isInteger(n) && n > 0);
      assert.ok(eosTokenIds.every((id) => Number.isInteger(id) && id >= 0 && id < vocabSize));
      assert.ok(numBlocks >= 3 * Math.ceil((prompt.length + 8) / blockSize), 'suite needs room for three sequences');
    });

    it('answers one entry per sequence: a token id where sampling is set, null otherwise', async () => {
      const out = await runner.step({ sequences: [seq(1, prompt.slice(0, 4), 0, tables(0), false), seq(2, prompt.slice(0, 5), 0, tables(1), true)], numTokens: 9 });
      assert.equal(out.sampledTokenIds.length, 2);
      assert.equal(out.sampledTokenIds[0], null);
      const id = out.sampledTokenIds[1];
      assert.ok(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < runner.info.vocabSize);
    });

    it('reports logprobs only for sequences that ask: aligned, sorted, the greedy token is the top-1', async () => {
      const ask = (numLogprobs: number) => samplingParams({ temperature: 0, numLogprobs });
      const plain = await runner.step({ sequences: [seq(1, prompt.slice(0, 4), 0, tables(0), true)], numTokens: 4 });
      assert.equal(plain.logprobs, undefined, 'no logprobs (and no cost) unless asked');
      const sequences = [seq(1, prompt.slice(0, 4), 0, tables(0), false), seq(2, prompt.slice(0, 5), 0, tables(1), true), seq(3, prompt.slice(0, 6), 0, tables(2), true)];
      sequences[1]!.sampling = ask(4);
      sequences[2]!.sampling = ask(0);
      const out = await runner.step({ sequences, numTokens: 15 });
      assert.equal(out.logprobs?.length, 3);
      assert.equal(out.logprobs[0], null);
      const four = out.logprobs[1]!;
      assert.equal(four.topTokenIds.length, 4);
      assert.equal(four.topTokenIds[0], out.sampledTokenIds[1]);
      assert.equal(four.topLogprobs[0], four.logprob);
      for (let k = 1; k < 4; k++) assert.ok(four.topLogprobs[k]! <= four.topLogprobs[k - 1]!);
      assert.ok(four.logprob <= 0 && Number.isFinite(four.logprob));
      assert.deepEqual(out.logprobs[2]!.topTokenIds, []);
      assert.ok(out.logprobs[2]!.logprob <= 0);
    });

    it('is deterministic under greedy and independent of prefill chunking and block placement', async () => {
      const whole = await generate(runner, prompt, 6, tables(0), prompt.length);
      assert.deepEqual(await generate(runner, prompt, 6, tables(0), prompt.length), whole);
      assert.deepEqual(await generate(runner, prompt, 6, tables(2), 5), whole);
    });

    it('gives a sequence the same token alone and batched with others', async () => {
      const other = prompt.slice(3).reverse();
      const aloneA = await runner.step({ sequences: [seq(1, prompt, 0, tables(0), true)], numTokens: prompt.length });
      const aloneB = await runner.step({ sequences: [seq(2, other, 0, tables(1), true)], numTokens: other.length });
      const both = await runner.step({ sequences: [seq(2, other, 0, tables(1), true), seq(1, prompt, 0, tables(0), true)], numTokens: prompt.length + other.length });
      assert.deepEqual(both.sampledTokenIds, [aloneB.sampledTokenIds[0], aloneA.sampledTokenIds[0]]);
    });

    it('scores prompt tokens where asked: aligned with the targets, independent of chunking and batching', async () => {
      const targets = (start: number, n: number) => ({ numTop: 3, targetTokenIds: prompt.slice(start + 1, start + 1 + n) });
      const asked = (s: StepSequence, start: number, n: number): StepSequence => ({ ...s, promptLogprobs: targets(start, n) });
      const whole = await runner.step({ sequences: [asked(seq(1, prompt, 0, tables(0), true), 0, prompt.length - 1)], numTokens: prompt.length });
      const plain = await runner.step({ sequences: [seq(1, prompt, 0, tables(0), true)], numTokens: prompt.length });
      assert.equal(plain.promptLogprobs, undefined, 'none (and no cost) unless asked');
      assert.deepEqual(whole.sampledTokenIds, plain.sampledTokenIds, 'scoring does not change the sampled token');
      const scored = whole.promptLogprobs![0]!;
      assert.equal(scored.length, prompt.length - 1);
      for (const l of scored) {
        assert.equal(l.topTokenIds.length, 3);
        assert.ok(l.logprob <= l.topLogprobs[0]! && Number.isFinite(l.logprob));
        assert.ok(l.topLogprobs[1]! <= l.topLogprobs[0]! && l.topLogprobs[2]! <= l.topLogprobs[1]!);
      }
      // Chunks of 5 (the last position of a chunk scores the next chunk's first token), batched beside a plain sequence.
      const chunked = [];
      for (let pos = 0; pos < prompt.length; pos += 5) {
        const n = Math.min(5, prompt.length - pos);
        const last = pos + n === prompt.length;
        const out = await runner.step({
          sequences: [seq(2, prompt.slice(3, 7), 0, tables(1), true), asked(seq(1, prompt.slice(pos, pos + n), pos, tables(2), last), pos, last ? n - 1 : n)],
          numTokens: 4 + n,
        });
        assert.equal(out.promptLogprobs![0], null);
        chunked.push(...out.promptLogprobs![1]!);
      }
      assert.equal(chunked.length, scored.length);
      chunked.forEach((l, i) => {
        assert.ok(Math.abs(l.logprob - scored[i]!.logprob) < 1e-5, `position ${i}: ${l.logprob} vs ${scored[i]!.logprob}`);
        assert.deepEqual(l.topTokenIds, scored[i]!.topTokenIds);
      });
    });

    it('honours an allowed-token mask, a logit bias and the min-tokens mask; a neighbour without them is unaffected', async () => {
      const v = runner.info.vocabSize;
      const allowed = [3, 7, v - 1];
      const mask = new Uint32Array(Math.ceil(v / 32));
      for (const id of allowed) mask[id >>> 5]! |= 1 << (id & 31);
      const plain = seq(2, prompt.slice(0, 6), 0, tables(1), true);
      const alone = await runner.step({ sequences: [plain], numTokens: 6 });
      const masked = (sampling: typeof GREEDY) => ({ ...seq(1, prompt.slice(0, 5), 0, tables(0), true), sampling, allowedTokenMask: mask });
      for (const sampling of [GREEDY, samplingParams({ temperature: 1, seed: 3 }), samplingParams({ temperature: 0.7, seed: 4, topK: 2 })]) {
        const out = await runner.step({ sequences: [masked(sampling), plain], numTokens: 11 });
        assert.ok(allowed.includes(out.sampledTokenIds[0]!), `${JSON.stringify(sampling)}: ${out.sampledTokenIds[0]}`);
        assert.equal(out.sampledTokenIds[1], alone.sampledTokenIds[0]);
      }
      const eos = runner.info.eosTokenIds[0]!;
      const bias = (id: number) => samplingParams({ temperature: 0, logitBias: [[id, 100]] });
      const biased = await runner.step({ sequences: [{ ...seq(1, prompt.slice(0, 5), 0, tables(0), true), sampling: bias(v - 2) }], numTokens: 5 });
      assert.equal(biased.sampledTokenIds[0], v - 2);
      const held = await runner.step({ sequences: [{ ...seq(1, prompt.slice(0, 5), 0, tables(0), true), sampling: { ...bias(eos), minTokens: 1 } }], numTokens: 5 });
      assert.notEqual(held.sampledTokenIds[0], eos, 'EOS cannot be sampled before min_tokens');
    });

    it('rejects a block table that does not cover the computed positions', async () => {
      await assert.rejects(runner.step({ sequences: [seq(1, prompt, 0, tables(0).slice(0, 1), true)], numTokens: prompt.length }));
    });
  });
}
