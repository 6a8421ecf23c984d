// vLLM chat `echo` through the gateway (mock runner, official openai client): the last message's content, when it is
// the assistant's, leads each choice's content (text parts joined by '\n'); a user-ended chat is unchanged; streamed:
// its own content chunk per choice right after the role chunks, merged = non-streamed; a bad value is a 400.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { assertNoLeakedBlocks, assertOpenAiError, MODEL, mockServerForSuite, rawPost } from './gateway-support.js';

type Message = OpenAI.Chat.ChatCompletionMessageParam;
const PARTIAL = 'Once upon a time';

describe('chat echo (mock runner)', () => {
  const suite = mockServerForSuite();
  const messages: Message[] = [{ role: 'user', content: 'Tell me a story.' }, { role: 'assistant', content: PARTIAL }];
  const body = { model: MODEL, messages, max_tokens: 4, temperature: 0, n: 2 };
  const create = (extra: object) => suite.openai.chat.completions.create({ ...body, ...extra } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);

  test('the assistant\'s last message leads each choice\'s content; not when the chat ends with a user turn', async () => {
    const plain = await create({});
    const echoed = await create({ echo: true });
    assert.equal(echoed.choices.length, 2);
    echoed.choices.forEach((c, i) => assert.equal(c.message.content, PARTIAL + plain.choices[i]!.message.content));
    assert.deepEqual([echoed.usage!.prompt_tokens, echoed.usage!.completion_tokens], [plain.usage!.prompt_tokens, plain.usage!.completion_tokens], 'echo adds no tokens');
    const parts = await create({ echo: true, messages: [messages[0]!, { role: 'assistant', content: [{ type: 'text', text: 'Once' }, { type: 'text', text: 'upon' }] }] });
    assert.ok(parts.choices[0]!.message.content!.startsWith('Once\nupon'));
    const userLast: Message[] = [{ role: 'user', content: PARTIAL }];
    const withEcho = await create({ echo: true, messages: userLast });
    const without = await create({ messages: userLast });
    assert.deepEqual(withEcho.choices.map((c) => c.message.content), without.choices.map((c) => c.message.content));
    await assertNoLeakedBlocks(suite.server);
  });

  test('streamed: role chunks, then one echo chunk per choice, then the generated text; merged = non-streamed', async () => {
    const whole = await create({ echo: true });
    const stream = await suite.openai.chat.completions.create({ ...body, echo: true, stream: true } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks.slice(0, 2).map((c) => [c.choices[0]!.index, c.choices[0]!.delta.role]), [[0, 'assistant'], [1, 'assistant']]);
    assert.deepEqual(chunks.slice(2, 4).map((c) => [c.choices[0]!.index, c.choices[0]!.delta.content]), [[0, PARTIAL], [1, PARTIAL]]);
    const merged = ['', ''];
    for (const c of chunks) for (const ch of c.choices) merged[ch.index] += ch.delta.content ?? '';
    assert.deepEqual(merged, whole.choices.map((c) => c.message.content));
  });

  test('a bad echo value is a 400 naming it', async () => {
    const error = assertOpenAiError(await rawPost(suite.server.url, '/v1/chat/completions', JSON.stringify({ ...body, echo: 'yes' })), 400);
    assert.equal(error.param, 'echo');
  });
});
