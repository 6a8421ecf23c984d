// The real stories260K model through OrtModelRunner: greedy from BOS reproduces the shared golden ids
// (computed by an independent float64 pass), and a fixed prompt's greedy continuation matches the recorded fixture.
// Plain greedy steps must take the in-graph ArgMax path (greedy_ids fetched, not logits); logprobs force logits.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, type ModelRunner, type TokenLogprobs } from '@mini-dynamo/protocol';
import { defaultModelDir, loadModel } from './load-model.js';
import { loadTokenizer, type ModelTokenizer } from './model-tokenizer.js';
import { createOrtModelRunner, type OrtModelRunner, type StepFetch } from './ort-model-runner.js';

const dir = defaultModelDir();
const golden = join(dir, 'golden_greedy_bos_64.json');
const fixture = new URL('../fixtures/stories260k-greedy-continuation.json', import.meta.url);
const cacheDir = mkdtempSync(join(tmpdir(), 'md-real-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Greedy generation of one sequence, prefilling the prompt in chunks of `chunk` tokens. */
async function greedy(runner: ModelRunner, promptIds: number[], numTokens: number, chunk = 1000, logprobs?: TokenLogprobs[]): Promise<number[]> {
  const params = samplingParams({ temperature: 0, numLogprobs: logprobs === undefined ? null : 5 });
  const blockTable = Array.from({ length: Math.ceil((promptIds.length + numTokens) / runner.info.blockSize) }, (_, i) => 2 * i + 1);
  const out: number[] = [];
  let pos = 0;
  let pending = promptIds;
  while (out.length < numTokens) {
    const tokenIds = pending.slice(0, chunk);
    const last = tokenIds.length === pending.length;
    const res = await runner.step({
      sequences: [{ seqId: 0, tokenIds, startPosition: pos, blockTable, sampling: last ? params : null, outputTokenIds: out, numPromptTokens: promptIds.length }],
      numTokens: tokenIds.length,
    });
    pos += tokenIds.length;
    pending = last ? [res.sampledTokenIds[0]!] : pending.slice(chunk);
    if (last) out.push(res.sampledTokenIds[0]!);
    if (last && logprobs !== undefined) logprobs.push(res.logprobs![0]!);
    else assert.equal(res.logprobs, undefined, 'no logprobs unless asked');
  }
  return out;
}

/** Greedy decoding of `numSeqs` sequences from the same prompt in one batch per step; `logprobsOf` asks logprobs. */
async function greedyBatch(runner: ModelRunner, promptIds: number[], numTokens: number, numSeqs: number, logprobsOf: (seq: number) => boolean): Promise<number[][]> {
  const numBlocksPerSeq = Math.ceil((promptIds.length + numTokens) / runner.info.blockSize);
  const outs: number[][] = Array.from({ length: numSeqs }, () => []);
  for (let step = 0; step < numTokens; step++) {
    const sequences = outs.map((out, b) => ({
      seqId: b, tokenIds: step === 0 ? promptIds : [out.at(-1)!], startPosition: step === 0 ? 0 : promptIds.length + step - 1,
      blockTable: Array.from({ length: numBlocksPerSeq }, (_, i) => b * numBlocksPerSeq + i),
      sampling: samplingParams({ temperature: 0, numLogprobs: logprobsOf(b) ? 2 : null }), outputTokenIds: [...out], numPromptTokens: promptIds.length,
    }));
    const res = await runner.step({ sequences, numTokens: sequences.reduce((n, s) => n + s.tokenIds.length, 0) });
    res.sampledTokenIds.forEach((id, b) => outs[b]!.push(id!));
    outs.forEach((out, b) => { if (logprobsOf(b)) assert.equal(res.logprobs![b]!.topTokenIds[0], out.at(-1)); });
  }
  return outs;
}

/** Steps per fetch path taken while `fn` runs. */
async function fetchesDuring(runner: OrtModelRunner, fn: () => Promise<void>): Promise<Record<StepFetch, number>> {
  const before = { ...runner.numStepsByFetch };
  await fn();
  const now = runner.numStepsByFetch;
  return { argmax: now.argmax - before.argmax, sampled: now.sampled - before.sampled, logits: now.logits - before.logits };
}

describe('stories260K through OrtModelRunner', { skip: existsSync(golden) ? false : `no model at ${dir}` }, () => {
  let runner: OrtModelRunner;
  let tokenizer: ModelTokenizer;
  before(async () => {
    const model = await loadModel(dir);
    assert.ok(model.ok, model.ok ? '' : model.error.message);
    const r = await createOrtModelRunner({ model: model.value, cacheDir, blockSize: 16, numBlocks: 64 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    runner = r.value;
    const t = await loadTokenizer(dir);
    assert.ok(t.ok);
    tokenizer = t.value;
  });
  after(() => runner.close());

  it('greedy decoding from BOS reproduces golden_greedy_bos_64.json exactly, every step on the in-graph ArgMax', async () => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[] };
    const fetched = await fetchesDuring(runner, async () => assert.deepEqual(await greedy(runner, ref.prompt_ids, 64), ref.greedy_ids_64));
    assert.deepEqual(fetched, { argmax: 64, sampled: 0, logits: 0 });
  });

  it('batched: 4 greedy sequences take the ArgMax path; one asking logprobs sends the whole batch to logits; both match golden', async () => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[] };
    const plain = await fetchesDuring(runner, async () => {
      for (const out of await greedyBatch(runner, ref.prompt_ids, 64, 4, () => false)) assert.deepEqual(out, ref.greedy_ids_64);
    });
    assert.deepEqual(plain, { argmax: 64, sampled: 0, logits: 0 });
    const mixed = await fetchesDuring(runner, async () => {
      for (const out of await greedyBatch(runner, ref.prompt_ids, 64, 4, (b) => b === 2)) assert.deepEqual(out, ref.greedy_ids_64);
    });
    assert.deepEqual(mixed, { argmax: 0, sampled: 0, logits: 64 });
  });

  it('raw logprobs of the greedy tokens: mean −logprob equals the golden teacher-forced NLL; sampled = top-1', async (t) => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[]; mean_nll_teacher_forced: number };
    const logprobs: TokenLogprobs[] = [];
    let ids: number[] = [];
    const fetched = await fetchesDuring(runner, async () => { ids = await greedy(runner, ref.prompt_ids, 64, 1000, logprobs); });
    assert.deepEqual(fetched, { argmax: 0, sampled: 0, logits: 64 }, 'logprobs need the logits');
    assert.deepEqual(ids, ref.greedy_ids_64);
    const meanNll = -logprobs.reduce((sum, l) => sum + l.logprob, 0) / logprobs.length;
    t.diagnostic(`mean NLL ${meanNll} (golden ${ref.mean_nll_teacher_forced})`);
    assert.ok(Math.abs(meanNll - ref.mean_nll_teacher_forced) < 1e-3, `mean NLL ${meanNll} vs golden ${ref.mean_nll_teacher_forced}`);
    logprobs.forEach((l, i) => {
      assert.equal(l.topTokenIds.length, 5);
      assert.equal(l.topTokenIds[0], ids[i], 'greedy picks the most likely token');
      assert.equal(l.logprob, l.topLogprobs[0]);
      for (let k = 1; k < 5; k++) assert.ok(l.topLogprobs[k - 1]! >= l.topLogprobs[k]!);
    });
  });

  it('continues a fixed prompt exactly as recorded (also with a chunked prefill)', async () => {
    const f = JSON.parse(readFileSync(fixture, 'utf8')) as { prompt: string; promptTokenIds: number[]; continuationTokenIds: number[]; continuationText: string };
    assert.deepEqual(tokenizer.encode(f.prompt), f.promptTokenIds);
    const n = f.continuationTokenIds.length;
    assert.deepEqual(await greedy(runner, f.promptTokenIds, n), f.continuationTokenIds);
    assert.deepEqual(await greedy(runner, f.promptTokenIds, n, 5), f.continuationTokenIds);
    assert.equal(tokenizer.decode(f.continuationTokenIds), f.continuationText);
  });
});
