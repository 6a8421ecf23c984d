// The real stories260K model through OrtModelRunner: greedy from BOS reproduces the shared golden ids
// (computed by an independent float64 pass), and a fixed prompt's greedy continuation matches the recorded fixture.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingParams, type ModelRunner, type TokenLogprobs } from '@mini-dynamo/protocol';
import { defaultModelDir, loadModel } from './load-model.js';
import { loadTokenizer, type ModelTokenizer } from './model-tokenizer.js';
import { createOrtModelRunner } from './ort-model-runner.js';

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

describe('stories260K through OrtModelRunner', { skip: existsSync(golden) ? false : `no model at ${dir}` }, () => {
  let runner: ModelRunner;
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

  it('greedy decoding from BOS reproduces golden_greedy_bos_64.json exactly', async () => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[] };
    assert.deepEqual(await greedy(runner, ref.prompt_ids, 64), ref.greedy_ids_64);
  });

  it('raw logprobs of the greedy tokens: mean −logprob equals the golden teacher-forced NLL; sampled = top-1', async (t) => {
    const ref = JSON.parse(readFileSync(golden, 'utf8')) as { prompt_ids: number[]; greedy_ids_64: number[]; mean_nll_teacher_forced: number };
    const logprobs: TokenLogprobs[] = [];
    const ids = await greedy(runner, ref.prompt_ids, 64, 1000, logprobs);
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
