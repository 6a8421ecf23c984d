// Draft verification through OrtModelRunner: with drafts taken from a plain run's continuation (all kept), corrupted
// (rejected at a chosen position) or mixed, every step emits exactly the plain run's tokens and keeps the right number
// of drafts (and, with logprobs asked, each token's plain-run logprobs) — greedy and seeded temperature / top-k / top-p / penalties / min-tokens, on the in-graph picks and on the
// JS baseline; a draft row batched with a decode and prefill chunks (short or long) gives each the result it gives alone; greedy draft
// rows fetch no logits. Then the real stories260K: its golden greedy ids under drafts, and a seeded sampled run.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, seededRandom, type SamplingParams, type StepOutput, type StepSequence, type TokenLogprobs } from '@mini-dynamo/protocol';
import { tinyRunnerPair } from './tiny-runner-pair.js';
import { attentionGroups } from './step-packing.js';
import { defaultModelDir, loadModel } from './load-model.js';
import { createOrtModelRunner, type OrtModelRunner, type OrtModelRunnerOptions } from './ort-model-runner.js';
import {
  blockTable, corruptedDrafts, mixedDrafts, plainDecode, speculativeDecode, stepRow, trueDrafts, type DrivenSequence,
} from './speculative-driver.js';

const JS_PICKS: Partial<OrtModelRunnerOptions> = { greedyArgmax: 'js', temperatureSampling: 'js', maskedPicks: 'js', truncatedSampling: 'js' };
const pair = tinyRunnerPair({ name: 'speculative', seed: 23, modes: ['graph', 'js'] as const, option: (m) => (m === 'js' ? JS_PICKS : {}) });
const VOCAB = 500;

const CONFIGS: Record<string, Partial<SamplingParams>> = {
  greedy: { temperature: 0 },
  temperature: { temperature: 1.5, seed: 11 },
  'top-k': { temperature: 1.2, topK: 8, seed: 12 },
  'top-p + min-p': { temperature: 1.3, topP: 0.8, minP: 0.05, seed: 13 },
  'penalties + min-tokens': {
    temperature: 1, topK: 30, seed: 14, repetitionPenalty: 1.4, presencePenalty: 0.5, frequencyPenalty: 0.3, minTokens: 14,
    logitBias: [[2, 25]], // EOS (id 2) likely, banned for the first 14 tokens: drafts must count as output
  },
  'greedy + penalties': { temperature: 0, repetitionPenalty: 1.3, presencePenalty: 0.8 },
};

/** Four random prompts (BOS first) of 3, 7, 12 and 5 tokens, each with its own blocks (at most 8 of the 64). */
function sequences(sampling: SamplingParams, numTokens: number): DrivenSequence[] {
  const rand = seededRandom(5);
  return [3, 7, 12, 5].map((len, i) => ({
    seqId: i, prompt: [1, ...Array.from({ length: len - 1 }, () => 3 + Math.floor(rand() * (VOCAB - 3)))], sampling, numTokens,
    blockTable: blockTable(16 * i, Math.ceil((len + numTokens) / 4)),
  }));
}

for (const mode of ['graph', 'js'] as const) {
  describe(`draft verification on the ${mode} picks (tiny model)`, () => {
    for (const [name, params] of Object.entries(CONFIGS)) {
      it(`${name}: true, corrupted and mixed drafts emit the plain run's tokens`, async () => {
        const runner = pair.runners[mode]!;
        for (const q of sequences(samplingParams(params), 20).slice(0, 3)) {
          const reference = await plainDecode(runner, q);
          if (name.startsWith('penalties')) assert.equal(reference.indexOf(2), 14, 'EOS as soon as allowed');
          const all = await speculativeDecode(runner, q, reference, trueDrafts(reference, 4));
          assert.equal(all.numSteps, 1 + Math.ceil((q.numTokens - 1) / 5), 'every draft kept: 5 tokens per step');
          for (const at of [0, 2]) {
            const run = await speculativeDecode(runner, q, reference, corruptedDrafts(reference, 3, at, VOCAB));
            assert.ok(run.numAcceptedDrafts.every((n, s) => n === at || s === run.numAcceptedDrafts.length - 1), `rejected at ${at}`);
          }
          await speculativeDecode(runner, q, reference, mixedDrafts(reference, 5, VOCAB, seededRandom(q.seqId + 100)));
        }
      });
    }
  });
}

describe('draft rows with logprobs (tiny model)', () => {
  const LOGPROB_CONFIGS = { 'greedy, top 0': { temperature: 0, numLogprobs: 0 }, 'seeded top-k, top 5': { temperature: 1.2, topK: 8, seed: 12, numLogprobs: 5 } };
  for (const mode of ['graph', 'js'] as const) {
    for (const [name, params] of Object.entries(LOGPROB_CONFIGS)) {
      it(`${mode} picks, ${name}: true and corrupted drafts give plain decoding's per-token logprobs`, async () => {
        const runner = pair.runners[mode]!;
        for (const q of sequences(samplingParams(params), 12).slice(0, 2)) {
          const plain: TokenLogprobs[] = [];
          const reference = await plainDecode(runner, q, plain);
          assert.equal(plain.length, q.numTokens);
          const all = await speculativeDecode(runner, q, reference, trueDrafts(reference, 4));
          assert.ok(all.numAcceptedDrafts.every((n) => n > 0), 'true drafts kept');
          assertSameLogprobs(all.logprobs, plain, 'true drafts');
          for (const at of [0, 2]) {
            const run = await speculativeDecode(runner, q, reference, corruptedDrafts(reference, 3, at, VOCAB));
            assertSameLogprobs(run.logprobs, plain, `rejected at ${at}`);
          }
        }
      });
    }
  }
});

/** Same tokens and ranks; values equal up to float noise (a draft row's logits come from a multi-query pass). */
function assertSameLogprobs(actual: readonly TokenLogprobs[], expected: readonly TokenLogprobs[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: count`);
  actual.forEach((a, t) => {
    const e = expected[t]!;
    assert.deepEqual([a.topTokenIds, a.rank], [e.topTokenIds, e.rank], `${what}: token ${t} top ids and rank`);
    for (const [x, y] of [[a.logprob, e.logprob], ...a.topLogprobs.map((l, j) => [l, e.topLogprobs[j]!])] as [number, number][]) {
      assert.ok(Math.abs(x - y) <= 1e-4, `${what}: token ${t} logprob ${x} vs ${y}`);
    }
  });
}

describe('draft rows in a mixed batch (tiny model)', () => {
  /** Each row's output alone, then all in one step: sampled ids and accepted drafts must match. */
  async function sameAloneAndBatched(runner: OrtModelRunner, rows: StepSequence[]): Promise<void> {
    const alone: StepOutput[] = [];
    for (const row of rows) alone.push(await runner.step({ sequences: [row], numTokens: row.tokenIds.length }));
    const batched = await runner.step({ sequences: rows, numTokens: rows.reduce((n, r) => n + r.tokenIds.length, 0) });
    rows.forEach((row, i) => {
      assert.equal(batched.sampledTokenIds[i], alone[i]!.sampledTokenIds[0], `row ${i} token`);
      assert.equal(batched.numAcceptedDrafts![i], alone[i]!.numAcceptedDrafts?.[0] ?? null, `row ${i} accepted drafts`);
      const scored = alone[i]!.promptLogprobs?.[0];
      if (scored !== undefined) assert.deepEqual(batched.promptLogprobs![i]!.map((l) => l.topTokenIds), scored!.map((l) => l.topTokenIds));
    });
  }

  for (const mode of ['graph', 'js'] as const) {
    for (const neighbour of ['greedy', 'penalised with prompt logprobs'] as const) {
      it(`${mode} picks, ${neighbour} neighbours: a draft row, a decode and prefill chunks give each the result it gives alone`, async () => {
        const runner = pair.runners[mode]!;
        const base = neighbour === 'greedy' ? { temperature: 0 } : { temperature: 0.8, seed: 3, presencePenalty: 1 };
        const [a, b, c, d] = sequences(samplingParams({ temperature: 1.1, topP: 0.9, seed: 8 }), 12);
        const greedyA = { ...d!, sampling: samplingParams({ temperature: 0 }) };
        const decodeB = { ...b!, sampling: samplingParams(base) };
        const refA = await plainDecode(runner, greedyA), refSampledA = await plainDecode(runner, a!);
        const refB = await plainDecode(runner, decodeB);
        const chunk: StepSequence = { ...stepRow(c!, []), tokenIds: c!.prompt.slice(0, 8), sampling: null };
        const lastChunk: StepSequence = { ...stepRow(c!, []), tokenIds: c!.prompt.slice(8), startPosition: 8, sampling: samplingParams(base) };
        if (neighbour !== 'greedy') lastChunk.promptLogprobs = { numTop: 2, targetTokenIds: c!.prompt.slice(9) };
        await runner.step({ sequences: [chunk], numTokens: 8 });
        await sameAloneAndBatched(runner, [
          stepRow(decodeB, refB.slice(0, 5)), stepRow(greedyA, refA.slice(0, 3), [refA[3]!, refA[4]!, 0]), lastChunk,
          stepRow(a!, refSampledA.slice(0, 6), refSampledA.slice(6, 9)),
        ]);
        await sameAloneAndBatched(runner, [chunk, stepRow(greedyA, refA.slice(0, 2), refA.slice(2, 6)), stepRow(decodeB, refB.slice(0, 7))]);
        // Beside a long prefill chunk the draft rows join the plain decode's group (padded to 5 queries, not 40).
        const long: DrivenSequence = { seqId: 9, prompt: Array.from({ length: 40 }, (_, i) => 3 + ((i * 37) % 490)), sampling: samplingParams(base), numTokens: 1, blockTable: blockTable(1, 10) };
        const rows = [stepRow(greedyA, refA.slice(0, 4), refA.slice(4, 8)), stepRow(long, []), stepRow(decodeB, refB.slice(0, 9)), stepRow(a!, refSampledA.slice(0, 2), [...refSampledA.slice(2, 4), 7])];
        assert.deepEqual(attentionGroups({ sequences: rows, numTokens: 0 }, 4), ['single', 'multi', 'single', 'single']);
        await sameAloneAndBatched(runner, rows);
      });
    }
  }

  it('greedy draft rows take the greedy_ids path (no logits); seeded sampled ones the in-graph draws', async () => {
    const runner = pair.runners.graph!;
    const [a, b] = sequences(samplingParams({ temperature: 0 }), 10);
    const sampledB = { ...b!, sampling: samplingParams({ temperature: 1, topK: 20, seed: 4 }) };
    const refA = await plainDecode(runner, a!), refB = await plainDecode(runner, sampledB);
    const fetched = async (rows: StepSequence[]) => {
      const before = { ...runner.numStepsByFetch };
      await runner.step({ sequences: rows, numTokens: rows.reduce((n, r) => n + r.tokenIds.length, 0) });
      const now = runner.numStepsByFetch;
      return { argmax: now.argmax - before.argmax, sampled: now.sampled - before.sampled, logits: now.logits - before.logits };
    };
    assert.deepEqual(await fetched([stepRow(a!, refA.slice(0, 2), refA.slice(2, 6))]), { argmax: 1, sampled: 0, logits: 0 });
    assert.deepEqual(await fetched([stepRow(a!, refA.slice(0, 2), refA.slice(2, 6)), stepRow(sampledB, refB.slice(0, 4), refB.slice(4, 7))]),
      { argmax: 0, sampled: 1, logits: 0 });
  });

  it('rejects draft rows that break the contract with a clear error', async () => {
    const runner = pair.runners.graph!;
    const [a] = sequences(samplingParams({ temperature: 0 }), 4);
    const masked = { ...stepRow(a!, [5], [6, 7]), allowedTokenMask: new Uint32Array(16).fill(0xffffffff) };
    await assert.rejects(runner.step({ sequences: [masked], numTokens: 3 }), /sequence 0: drafts cannot be verified under an allowed-token mask/);
    const bad = { ...stepRow({ ...a!, sampling: samplingParams() }, [5], [6, 7]), tokenIds: [5, 6] };
    await assert.rejects(runner.step({ sequences: [bad], numTokens: 2 }), /tokenIds must be \[last token, \.\.\.draftTokenIds\]/);
  });
});

const modelDir = defaultModelDir();
const golden = join(modelDir, 'golden_greedy_bos_64.json');

describe('draft verification on stories260K', { skip: existsSync(golden) ? false : `no model at ${modelDir}` }, () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'md-speculative-'));
  let runner: OrtModelRunner;
  before(async () => {
    const model = await loadModel(modelDir);
    assert.ok(model.ok, model.ok ? '' : model.error.message);
    const r = await createOrtModelRunner({ model: model.value, cacheDir, blockSize: 16, numBlocks: 64, intraOpNumThreads: 1 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    runner = r.value;
  });
  after(async () => { await runner.close(); rmSync(cacheDir, { recursive: true, force: true }); });

  it('reproduces the golden greedy ids with true (5 tokens a step, argmax path only), corrupted and mixed drafts', async () => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[] };
    const q: DrivenSequence = { seqId: 0, prompt: ref.prompt_ids, sampling: samplingParams({ temperature: 0 }), numTokens: 64, blockTable: blockTable(1, 5) };
    const before = { ...runner.numStepsByFetch };
    const all = await speculativeDecode(runner, q, ref.greedy_ids_64, trueDrafts(ref.greedy_ids_64, 4));
    assert.equal(all.numSteps, 1 + Math.ceil(63 / 5));
    assert.deepEqual(runner.numStepsByFetch, { ...before, argmax: before.argmax + all.numSteps });
    await speculativeDecode(runner, q, ref.greedy_ids_64, corruptedDrafts(ref.greedy_ids_64, 4, 1, 512));
    await speculativeDecode(runner, q, ref.greedy_ids_64, mixedDrafts(ref.greedy_ids_64, 8, 512, seededRandom(9)));
  });

  it('seeded top-p and penalised samples: drafts change no token', async () => {
    for (const params of [{ temperature: 0.9, topP: 0.95, seed: 21 }, { temperature: 0.8, seed: 22, repetitionPenalty: 1.2, minTokens: 30 }]) {
      const q: DrivenSequence = { seqId: 0, prompt: [1, 403, 261], sampling: samplingParams(params), numTokens: 48, blockTable: blockTable(20, 4) };
      const reference = await plainDecode(runner, q);
      await speculativeDecode(runner, q, reference, trueDrafts(reference, 6));
      await speculativeDecode(runner, q, reference, mixedDrafts(reference, 6, 512, seededRandom(3)));
    }
  });
});
