// Structured-output requests through the gateway with the official openai client (mock runner workers, whose
// argmax picks go through the grammar mask like the real runner's): every accepted form (response_format,
// guided_json/choice/regex, structured_outputs) on chat and completions comes back obeying its constraint;
// `text` is free text; conflicting, unsupported and malformed forms are 400s naming the field; nothing leaks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertNoLeakedBlocks, MODEL, mockServerForSuite } from './gateway-support.js';

type Chat = OpenAI.ChatCompletionCreateParamsNonStreaming;
type Completion = OpenAI.Completions.CompletionCreateParamsNonStreaming;
const chat = (extra: Record<string, unknown>) => ({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra }) as Chat;
const completion = (extra: Record<string, unknown>) => ({ model: MODEL, prompt: 'Once', max_tokens: 3, ...extra }) as Completion;
const badParam = (param: string, code?: string) => (e: unknown) =>
  e instanceof OpenAI.BadRequestError && e.param === param && (code === undefined || e.code === code);

/** Each accepted form with a check of the text it must produce. */
const ACCEPTED: [Record<string, unknown>, (text: string) => boolean][] = [
  // Unbounded (any object): the mock's picks may run out of tokens inside a string, so a cut prefix is accepted.
  [{ response_format: { type: 'json_object' } }, (t) => isJson(t, (v) => typeof v === 'object' && v !== null && !Array.isArray(v)) || /^\s?\{/.test(t)],
  [{ response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string', maxLength: 4 } }, required: ['name'] }, strict: true } } },
    (t) => isJson(t, (v) => typeof (v as { name?: unknown }).name === 'string')],
  [{ guided_json: { type: 'array', items: { type: 'boolean' }, maxItems: 2 } }, (t) => isJson(t, (v) => Array.isArray(v) && v.length <= 2)],
  [{ guided_json: '{"type": "boolean"}' }, (t) => isJson(t, (v) => typeof v === 'boolean')],
  [{ guided_choice: ['yes', 'no'] }, (t) => t === 'yes' || t === 'no'],
  [{ guided_regex: '[a-z]{2,5}' }, (t) => /^[a-z]{2,5}$/.test(t)],
  [{ structured_outputs: { choice: ['a', 'b'] } }, (t) => t === 'a' || t === 'b'],
  [{ structured_outputs: { json: { enum: [1, 'two', null] } } }, (t) => isJson(t, (v) => v === 1 || v === 'two' || v === null)],
  [{ structured_outputs: { regex: '\\d{3}' } }, (t) => /^\d{3}$/.test(t)],
];

function isJson(text: string, check: (value: unknown) => boolean): boolean {
  try {
    return check(JSON.parse(text));
  } catch {
    return false;
  }
}

describe('gateway structured outputs (mock runner)', () => {
  const suite = mockServerForSuite();

  test('every accepted form is enforced on chat and completions', async () => {
    const { openai } = suite;
    for (const [extra, obeys] of ACCEPTED) {
      const c = await openai.chat.completions.create(chat({ ...extra, max_tokens: 40 }));
      const t = await openai.completions.create(completion({ ...extra, max_tokens: 40 }));
      for (const [what, text, reason] of [['chat', c.choices[0]!.message.content!, c.choices[0]!.finish_reason], ['completions', t.choices[0]!.text, t.choices[0]!.finish_reason]]) {
        if (!('response_format' in extra && (extra['response_format'] as { type: string }).type === 'json_object')) {
          assert.equal(reason, 'stop', `${what} ${JSON.stringify(extra)} ends with its value: ${text}`);
        }
        assert.ok(obeys(text!), `${what} ${JSON.stringify(extra)} gave ${JSON.stringify(text)}`);
      }
    }
    const text = await openai.chat.completions.create(chat({ response_format: { type: 'text' } }));
    assert.equal(text.choices[0]!.finish_reason, 'length', 'response_format text is free text');
  });

  test('two constraints in one request: a 400 naming the second', async () => {
    const { openai } = suite;
    await assert.rejects(openai.chat.completions.create(chat({ response_format: { type: 'json_object' }, guided_choice: ['a'] })),
      badParam('guided_choice', 'conflicting_structured_outputs'));
    await assert.rejects(openai.completions.create(completion({ guided_regex: 'a', structured_outputs: { json: {} } })), badParam('structured_outputs.json'));
    await assert.rejects(openai.completions.create(completion({ structured_outputs: { choice: ['a'], regex: 'a' } })), badParam('structured_outputs.regex'));
    const textAndChoice = await openai.chat.completions.create(chat({ response_format: { type: 'text' }, guided_choice: ['only'], max_tokens: 10 }));
    assert.equal(textAndChoice.choices[0]!.message.content, 'only', 'text is no constraint: the choice goes on alone');
  });

  test('grammars and structural tags are a 400 "not supported"; malformed forms are 400s naming the field', async () => {
    const { openai, server } = suite;
    for (const [extra, param] of [
      [{ guided_grammar: 'root ::= "a"' }, 'guided_grammar'], [{ structural_tag: '{}' }, 'structural_tag'],
      [{ structured_outputs: { grammar: 'root ::= "a"' } }, 'structured_outputs.grammar'],
    ] as const) {
      await assert.rejects(openai.chat.completions.create(chat(extra)), (e: unknown) => badParam(param, 'unsupported_parameter')(e) && /not supported/.test((e as Error).message));
    }
    await assert.rejects(openai.completions.create(completion({ guided_json: '{not json' })), badParam('guided_json', 'invalid_value'));
    await assert.rejects(openai.completions.create(completion({ guided_json: '3' })), badParam('guided_json'));
    await assert.rejects(openai.completions.create(completion({ guided_choice: [] })), badParam('guided_choice'));
    await assert.rejects(openai.completions.create(completion({ response_format: { type: 'xml' } })), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param!.startsWith('response_format'));
    await assert.rejects(openai.chat.completions.create(chat({ response_format: { type: 'json_schema', json_schema: { schema: {} } } })), badParam('response_format.json_schema.name'));
    await assertNoLeakedBlocks(server);
  });
  test('a conversation with earlier tool calls and tool results is accepted (the template gets them), and a bad one is a 400', async () => {
    const { openai } = suite;
    const history: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call-1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call-1', content: 'rain' },
    ];
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { enum: ['Oslo', 'Rome'] } }, required: ['city'] } } }];
    const free = await openai.chat.completions.create({ model: MODEL, messages: history, tools, max_tokens: 3 });
    assert.equal(free.choices[0]!.message.tool_calls, undefined, "tool_choice defaults to 'none': plain content");
    const named = await openai.chat.completions.create({ model: MODEL, messages: history, tools, max_tokens: 20, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    const call = named.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.ok(['Oslo', 'Rome'].includes((JSON.parse(call.function.arguments) as { city: string }).city));
    const badHistory = [{ role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'f' } }] }];
    await assert.rejects(openai.chat.completions.create({ model: MODEL, messages: badHistory as OpenAI.ChatCompletionMessageParam[] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param!.startsWith('messages.0.tool_calls.0.function'));
    await assertNoLeakedBlocks(suite.server);
  });
});
