// vLLM `prompt_logprobs` on the real stories260K model (ORT) through the official openai client: each prompt
// token's logprob and alternatives equal the completions echo path's (echo + logprobs) exactly, its rank is 1
// where it is the most likely token; an echo with max_tokens 0 scores the same prompt identically; no block leaks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoLeakedBlocks, MODEL, readGolden, ortServerForSuite } from './gateway-support.js';

type Entry = Record<string, { logprob: number; rank: number | null; decoded_token: string }> | null;

describe('prompt_logprobs on the real model (ORT, stories260K)', () => {
  const suite = ortServerForSuite();
  const golden = readGolden();
  const prompt = [...golden.prompt_ids, ...golden.greedy_ids_64.slice(0, 24)];

  test('prompt_logprobs = the echo path\'s prompt logprobs, exactly; greedy prompt tokens rank 1', async () => {
    const body = { model: MODEL, prompt, max_tokens: 1, temperature: 0 };
    const echoed = await suite.openai.completions.create({ ...body, echo: true, logprobs: 3 });
    const { data: raw } = await suite.openai.completions.create({ ...body, prompt_logprobs: 3 } as never).withResponse();
    const entries = (raw as unknown as { choices: { prompt_logprobs: Entry[] }[] }).choices[0]!.prompt_logprobs;
    const lp = echoed.choices[0]!.logprobs!;
    assert.equal(entries.length, prompt.length);
    assert.equal(entries[0], null);
    for (let i = 1; i < prompt.length; i++) {
      const dict = entries[i]!;
      const own = dict[String(prompt[i])]!;
      assert.equal(own.logprob, lp.token_logprobs![i], `prompt token ${i}`);
      assert.equal(own.decoded_token.trim(), lp.tokens![i]!.trim());
      const alternatives = Object.values(dict).filter((e) => e.rank !== null && e.rank <= 3).map((e) => e.logprob).sort((a, b) => b - a);
      const echoAlternatives = Object.values(lp.top_logprobs![i]!).sort((a, b) => b - a).slice(0, 3);
      assert.deepEqual(alternatives.slice(0, echoAlternatives.length), echoAlternatives);
      if (i > golden.prompt_ids.length) assert.equal(own.rank, 1, `greedy token ${i} is the most likely`);
      assert.ok(own.rank !== null && own.rank >= 1);
    }
    await assertNoLeakedBlocks(suite.server);
  });

  test('echo with max_tokens 0: the prompt alone with the same logprobs as max_tokens 1, length, 0 completion tokens', async () => {
    const body = { model: MODEL, prompt, temperature: 0, echo: true, logprobs: 1 };
    const zero = await suite.openai.completions.create({ ...body, max_tokens: 0 });
    const one = await suite.openai.completions.create({ ...body, max_tokens: 1 });
    const [z, o] = [zero.choices[0]!, one.choices[0]!];
    assert.deepEqual([z.finish_reason, zero.usage!.completion_tokens, zero.usage!.prompt_tokens], ['length', 0, prompt.length]);
    assert.deepEqual(z.logprobs!.token_logprobs, o.logprobs!.token_logprobs!.slice(0, prompt.length));
    assert.deepEqual(z.logprobs!.top_logprobs, o.logprobs!.top_logprobs!.slice(0, prompt.length));
    assert.ok(o.text.startsWith(z.text) && z.text.length > 0);
    await assertNoLeakedBlocks(suite.server);
  });
});
