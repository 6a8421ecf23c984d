// Completions `echo` + `logprobs` (what lm-eval-harness's loglikelihood sends) on the real stories260K
// model through the gateway and the official openai client. Prompt = BOS + the 64 golden greedy tokens:
// the mean −logprob of those 64 prompt tokens equals the golden teacher-forced NLL (an independent float64
// reference); each equals the logprob a greedy generation reports for the same token at the same position;
// a chunked prefill (max_num_batched_tokens 16, chunk boundaries inside the prompt) agrees within 1e-5; a
// repeated request (a prefix-cache hit it must not take) gives the same answer and later plain requests
// still hit the cache.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, client, MODEL, ortServer, readGolden } from './gateway-support.js';

type Logprobs = Required<OpenAI.Completions.CompletionChoice.Logprobs>;

describe('completions echo + logprobs on the real model (ORT, stories260K)', () => {
  const servers: ServerHandle[] = [];
  let whole: OpenAI;
  let chunked: OpenAI;
  const golden = readGolden();
  const prompt = [...golden.prompt_ids, ...golden.greedy_ids_64]; // BOS + 64 tokens
  // lm-eval-harness local-completions loglikelihood sends exactly this body (its _create_payload)
  const lmEvalBody = { model: MODEL, prompt, max_tokens: 1, temperature: 0, logprobs: 1, echo: true, seed: 1234 };
  before(async () => {
    servers.push(await ortServer());
    servers.push(await ortServer({ maxNumBatchedTokens: 16, maxNumSeqs: 4 }));
    [whole, chunked] = servers.map(client) as [OpenAI, OpenAI];
  });
  after(() => Promise.all(servers.map((s) => s.close())));

  test('mean −logprob of the 64 prompt tokens = golden NLL; each = the greedy run\'s logprob; [0] null; chunked agrees', async (t) => {
    const result = await whole.completions.create(lmEvalBody);
    const choice = result.choices[0]!;
    const lp = choice.logprobs as Logprobs;
    assert.equal(lp.tokens.length, prompt.length + 1);
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.top_logprobs[0], null);
    assert.equal(lp.tokens.join(''), choice.text);
    const promptLogprobs = lp.token_logprobs.slice(1, prompt.length) as number[];
    const meanNll = -promptLogprobs.reduce((s, x) => s + x, 0) / promptLogprobs.length;
    t.diagnostic(`echo: mean NLL of the 64 prompt tokens ${meanNll} (golden ${golden.mean_nll_teacher_forced})`);
    assert.ok(Math.abs(meanNll - golden.mean_nll_teacher_forced) < 1e-3, `${meanNll} vs ${golden.mean_nll_teacher_forced}`);
    // lm-eval's is_greedy: each prompt token (the golden greedy continuation) is the max of its dict.
    lp.top_logprobs.slice(1, prompt.length).forEach((dict, i) => assert.equal(lp.token_logprobs[i + 1], Math.max(...Object.values(dict!))));

    const greedyBody = { model: MODEL, prompt: golden.prompt_ids, max_tokens: 64, temperature: 0, ignore_eos: true, logprobs: 1 };
    const greedy = await whole.completions.create(greedyBody as OpenAI.CompletionCreateParamsNonStreaming);
    const generated = greedy.choices[0]!.logprobs!.token_logprobs!;
    const maxDiff = Math.max(...promptLogprobs.map((x, i) => Math.abs(x - generated[i]!)));
    t.diagnostic(`prompt logprobs vs a greedy run's generated logprobs: max |diff| ${maxDiff}`);
    assert.ok(maxDiff < 1e-5, `max |diff| ${maxDiff}`);
    assert.deepEqual(lp.tokens.slice(1, prompt.length), greedy.choices[0]!.logprobs!.tokens);

    const inChunks = (await chunked.completions.create(lmEvalBody)).choices[0]!;
    const chunkedLp = inChunks.logprobs as Logprobs;
    assert.equal(inChunks.text, choice.text);
    assert.deepEqual(chunkedLp.tokens, lp.tokens);
    assert.deepEqual(chunkedLp.text_offset, lp.text_offset);
    const chunkDiff = Math.max(...lp.token_logprobs.slice(1).map((x, i) => Math.abs(x! - chunkedLp.token_logprobs[i + 1]!)));
    t.diagnostic(`whole vs chunked (16-token chunks) prefill: max |diff| ${chunkDiff}`);
    assert.ok(chunkDiff < 1e-5, `max |diff| ${chunkDiff}`);
  });

  test('the same echo request twice gives the same answer (no prefix-cache hit taken); a plain request then hits', async () => {
    const first = await whole.completions.create(lmEvalBody);
    const second = await whole.completions.create(lmEvalBody);
    assert.deepEqual(second.choices, first.choices);
    assert.equal(second.usage!.prompt_tokens_details?.cached_tokens, 0, 'every prompt position was computed');
    const plain = await whole.completions.create({ model: MODEL, prompt, max_tokens: 1, temperature: 0 });
    assert.ok((plain.usage!.prompt_tokens_details?.cached_tokens ?? 0) > 0, 'the echo requests stored their blocks');
    for (const s of servers) await assertNoLeakedBlocks(s);
  });
});
