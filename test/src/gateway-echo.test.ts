// Completions `echo` through the gateway with the mock runner and the official openai client: the prompt
// text leads each choice's text; with `logprobs` its tokens lead the logprobs (the first null), with the
// mock's exact values; n, several prompts, streamed = non-streamed, the 400s, no leaked blocks; the prompt
// logprobs cross a standalone worker's HTTP hop (NDJSON) intact.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MOCK_RUNNER_INFO, mockLogprobs, mockNextToken } from '@mini-dynamo/engine';
import { defaultModelDir } from '@mini-dynamo/model';
import { samplingParams, type EngineEvent } from '@mini-dynamo/protocol';
import { startStandaloneWorker } from '@mini-dynamo/worker';
import { startNatsServer } from './router-fixtures.js';
import {
  assertNoLeakedBlocks, assertOpenAiError, assertTextOffsets, codePoints, mergeCompletionChunks, MODEL, mockServerForSuite, rawPost,
} from './gateway-support.js';

const VOCAB = 512; // stories260K's, which the mock runner takes from the model folder
const INFO = { ...MOCK_RUNNER_INFO, vocabSize: VOCAB, eosTokenIds: [2] }; // stories260K's EOS
const PROMPT = 'Once upon a time';
type CompletionLogprobs = Required<OpenAI.Completions.CompletionChoice.Logprobs>;

/** The mock's logprob of prompt token i (i ≥ 1) given the one before it (engine's mock-logprobs.ts). */
const promptLogprob = (ids: number[], i: number, numTop: number) => mockLogprobs(mockNextToken(ids[i - 1]!, i, 0, INFO), numTop, VOCAB, ids[i]);

describe('completions echo (mock runner)', () => {
  const suite = mockServerForSuite();

  test('echo + logprobs: prompt tokens first ([0] null, exact mock values), then the generated ones as without echo', async () => {
    const { openai, server } = suite;
    const { tokens: ids } = await (await fetch(`${server.url}/tokenize`, { method: 'POST', body: JSON.stringify({ model: MODEL, prompt: PROMPT }) })).json() as { tokens: number[] };
    const body = { model: MODEL, prompt: PROMPT, max_tokens: 3, temperature: 0, logprobs: 2 };
    const plain = await openai.completions.create(body);
    const echoed = await openai.completions.create({ ...body, echo: true });
    const choice = echoed.choices[0]!;
    assert.equal(choice.text, PROMPT + plain.choices[0]!.text);
    assert.equal(echoed.usage!.prompt_tokens, ids.length);
    const lp = choice.logprobs as CompletionLogprobs;
    const gen = plain.choices[0]!.logprobs as CompletionLogprobs;
    assert.equal(lp.tokens.length, ids.length + 3);
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.top_logprobs[0], null);
    for (let i = 1; i < ids.length; i++) {
      const want = promptLogprob(ids, i, 2);
      assert.equal(lp.token_logprobs[i], want.logprob, `prompt token ${i}`);
      // The mock's alternatives are arbitrary ids (byte tokens may share a string, which the dict merges).
      const dict = lp.top_logprobs[i]!;
      assert.ok(Object.hasOwn(dict, lp.tokens[i]!), 'the prompt token is in its dict');
      for (const v of Object.values(dict)) assert.ok([...want.topLogprobs, want.logprob].includes(v), `${v} in ${JSON.stringify(want)}`);
    }
    assert.deepEqual(lp.tokens.slice(ids.length), gen.tokens);
    assert.deepEqual(lp.token_logprobs.slice(ids.length), gen.token_logprobs);
    assert.deepEqual(lp.top_logprobs.slice(ids.length), gen.top_logprobs);
    assert.deepEqual(lp.text_offset.slice(ids.length), gen.text_offset.map((o) => o + codePoints(PROMPT)));
    assertTextOffsets(choice.text, lp);
    // Token-id prompts echo their decoded text.
    const byIds = await openai.completions.create({ ...body, prompt: ids, echo: true });
    assert.deepEqual(byIds.choices[0], choice);
  });

  test('echo without logprobs: the prompt text only; with n and several prompts each choice echoes its own prompt', async () => {
    const { openai } = suite;
    const prompts = [PROMPT, 'The cat sat'];
    const body = { model: MODEL, prompt: prompts, max_tokens: 4, temperature: 0, n: 2 };
    const plain = await openai.completions.create(body);
    const echoed = await openai.completions.create({ ...body, echo: true });
    assert.equal(echoed.choices.length, 4);
    for (const c of echoed.choices) {
      assert.equal(c.logprobs, null);
      assert.equal(c.text, prompts[Math.floor(c.index / 2)]! + plain.choices[c.index]!.text);
    }
    const off = await openai.completions.create({ ...body, echo: false });
    assert.deepEqual(off.choices.map((c) => c.text), plain.choices.map((c) => c.text));
  });

  test('streamed echo: the first chunk of each choice carries the prompt; merged chunks equal the whole response', async () => {
    const { openai } = suite;
    const body = { model: MODEL, prompt: PROMPT, max_tokens: 5, temperature: 0, logprobs: 1, echo: true, n: 2 };
    const whole = await openai.completions.create(body);
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of await openai.completions.create({ ...body, stream: true })) chunks.push(chunk);
    const seen = new Set<number>();
    for (const c of chunks.flatMap((chunk) => chunk.choices)) {
      if (!seen.has(c.index)) assert.equal(c.text, PROMPT, 'the prompt comes first, alone');
      seen.add(c.index);
    }
    const merged = mergeCompletionChunks(chunks);
    whole.choices.forEach((c, i) => {
      assert.equal(merged[i]!.text, c.text);
      assert.deepEqual(merged[i]!.logprobs, c.logprobs);
    });
    const noLogprobs: string[] = [];
    for await (const chunk of await openai.completions.create({ ...body, logprobs: undefined, n: 1, stream: true })) noLogprobs.push(chunk.choices[0]?.text ?? '');
    assert.equal(noLogprobs[0], PROMPT);
    assert.equal(noLogprobs.join(''), whole.choices[0]!.text);
  });

  test('the KV router gives an echo + logprobs request no overlap credit: its worker recomputes the whole prompt', async () => {
    const { openai } = suite;
    const prompt = 'The little dog ran to the big red barn to find his friend the cat, who was asleep in the hay. '.repeat(2);
    const overlapOf = async (body: OpenAI.CompletionCreateParamsNonStreaming) => {
      const { response } = await openai.completions.create(body).withResponse();
      return { overlap: Number(response.headers.get('x-mini-dynamo-overlap-blocks')), reason: response.headers.get('x-mini-dynamo-routing-reason') };
    };
    const plain = { model: MODEL, prompt, max_tokens: 2, temperature: 0 };
    await overlapOf(plain);
    const again = await overlapOf(plain);
    assert.ok(again.overlap > 0, 'a plain repeat is routed to its cached prefix');
    const scored = await overlapOf({ ...plain, echo: true, logprobs: 1 });
    assert.equal(scored.overlap, 0, 'no credit for a cache the worker will not read');
    assert.notEqual(scored.reason, 'kv_overlap');
    assert.ok((await overlapOf({ ...plain, echo: true })).overlap > 0, 'echo without logprobs reads the cache as usual');
  });

  test('bad echo values are OpenAI-shaped 400s naming the parameter; nothing leaks', async () => {
    const { server } = suite;
    const completion = { model: MODEL, prompt: 'hi', max_tokens: 2 };
    const cases: [object, string][] = [
      [{ ...completion, echo: 'yes' }, 'echo'],
      [{ ...completion, echo: 1 }, 'echo'],
      [{ ...completion, echo: true, logprobs: 21 }, 'logprobs'],
      [{ ...completion, echo: true, logprobs: -1 }, 'logprobs'],
      [{ ...completion, max_tokens: 0 }, 'max_tokens'],
      [{ ...completion, echo: false, max_tokens: 0 }, 'max_tokens'],
    ];
    for (const [body, param] of cases) {
      const error = assertOpenAiError(await rawPost(server.url, '/v1/completions', JSON.stringify(body)), 400);
      assert.equal(error.param, param, JSON.stringify(body));
    }
    await assertNoLeakedBlocks(server);
  });
});

test('prompt logprobs cross the standalone worker\'s HTTP hop: once, on the first tokens line, [0] null', async (t) => {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const started = await startStandaloneWorker({
    natsUrl: nats.url, workerId: 'echo-0', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu', blockSize: 16, numBlocks: 64, heartbeatMs: 200, log: () => {},
  });
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const worker = started.value;
  t.after(() => worker.close());
  const prompt = Array.from({ length: 20 }, (_, i) => 5 + i);
  const request = {
    requestId: 'echo-hop', promptTokenIds: prompt, cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
    sampling: samplingParams({ maxTokens: 3, ignoreEos: true, temperature: 0, numLogprobs: 1, numPromptLogprobs: 2 }),
  };
  const res = await fetch(`${worker.url}/generate`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
  const events = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as EngineEvent);
  const tokens = events.filter((e) => e.kind === 'tokens');
  assert.equal(tokens.length, 3);
  assert.deepEqual(tokens[0]!.promptLogprobs, prompt.map((id, i) => (i === 0 ? null : promptLogprob(prompt, i, 2))));
  assert.ok(tokens.slice(1).every((e) => e.promptLogprobs === undefined));
  assert.equal(events.at(-1)!.kind, 'finished');
});
