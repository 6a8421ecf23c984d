// Structured-output requests through the gateway with the official openai client (mock runner workers, whose
// argmax picks go through the grammar mask like the real runner's): every accepted form (response_format,
// guided_json/choice/regex, structured_outputs) on chat and completions comes back obeying its constraint;
// `text` is free text; conflicting, unsupported and malformed forms are 400s naming the field; forced tool calls
// finish as OpenAI's (n > 1, own call ids; 'required' calls streamed as header then argument pieces, adding up to the
// non-streamed calls; cut by max_tokens: content non-streamed, the calls already sent streamed); /tokenize takes tools; nothing leaks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertNoLeakedBlocks, assertOpenAiError, badParam, MODEL, mockServerForSuite, rawPost, streamedChatChoices } from './gateway-support.js';

type Chat = OpenAI.ChatCompletionCreateParamsNonStreaming;
type Completion = OpenAI.Completions.CompletionCreateParamsNonStreaming;
const chat = (extra: Record<string, unknown>) => ({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra }) as Chat;
const completion = (extra: Record<string, unknown>) => ({ model: MODEL, prompt: 'Once', max_tokens: 3, ...extra }) as Completion;

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

  test("'required' tool calls finish with 'tool_calls' (a named call with 'stop'), n=2 streamed alike with each choice's own ids", async () => {
    const { openai, server } = suite;
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'pick', parameters: { type: 'object', properties: { x: { enum: ['a', 'b'] } }, required: ['x'] } } },
      { type: 'function', function: { name: 'noop' } },
    ];
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 120, n: 2, tools, tool_choice: 'required' as const, parallel_tool_calls: false };
    const whole = await openai.chat.completions.create(body);
    for (const c of whole.choices) {
      assert.equal(c.finish_reason, 'tool_calls', JSON.stringify(c.message));
      assert.equal(c.message.tool_calls!.length, 1);
    }
    assert.notEqual(whole.choices[0]!.message.tool_calls![0]!.id, whole.choices[1]!.message.tool_calls![0]!.id);
    const streamed = await streamedChatChoices(await openai.chat.completions.create({ ...body, stream: true }));
    assert.deepEqual([...streamed].map(([index, c]) => [index, c.finish, c.content]).sort(), [[0, 'tool_calls', ''], [1, 'tool_calls', '']]);
    const calls = new Map([...streamed].map(([index, c]) => [index, c.deltas]));
    for (const [index, deltas] of calls) {
      const call = whole.choices[index]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      const [first, ...rest] = deltas;
      assert.deepEqual([first!.index, first!.type, first!.function?.name, first!.function?.arguments], [0, 'function', call.function.name, ''],
        "the call's header first, as soon as its name is complete");
      assert.match(first!.id!, /^chatcmpl-tool-/);
      assert.ok(rest.length > 1 && rest.every((d) => d.index === 0 && d.id === undefined && d.function?.name === undefined), 'then argument pieces');
      assert.equal(rest.map((d) => d.function?.arguments).join(''), call.function.arguments, 'which add up to the non-streamed arguments');
    }
    assert.notEqual(calls.get(0)![0]!.id, calls.get(1)![0]!.id);
    const assembled = await openai.chat.completions.stream({ ...body, stream: true }).finalChatCompletion();
    const withoutIds = (choices: OpenAI.ChatCompletion.Choice[]) => choices.map((c) => [c.finish_reason, c.message.tool_calls!.map((t) => ({ ...t, id: '' }))]);
    assert.deepEqual(withoutIds(assembled.choices), withoutIds(whole.choices), "the SDK's ChatCompletionStream assembles the non-streamed calls");
    const named = await openai.chat.completions.create({ ...body, tool_choice: { type: 'function', function: { name: 'pick' } } });
    assert.deepEqual(named.choices.map((c) => c.finish_reason), ['stop', 'stop']);
    await assertNoLeakedBlocks(server);
  });

  test("'required' cut by max_tokens: non-streamed it is content; streamed, the calls whose names went out stay, no content; 'length' both", async () => {
    const { openai, server } = suite;
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 100, tools: [{ type: 'function' as const, function: { name: 'noop' } }], tool_choice: 'required' as const };
    const whole = (await openai.chat.completions.create(body)).choices[0]!;
    assert.deepEqual([whole.finish_reason, whole.message.tool_calls], ['length', undefined], 'the mock runner repeats calls past max_tokens');
    const text = whole.message.content!;
    assert.match(text, /^\s*\[/);
    const streamed = (await streamedChatChoices(await openai.chat.completions.create({ ...body, stream: true }))).get(0)!;
    assert.deepEqual([streamed.finish, streamed.content], ['length', '']);
    const headers = streamed.deltas.filter((d) => d.id !== undefined);
    assert.deepEqual(headers.map((d) => [d.index, d.function?.name]), [...text.matchAll(/"name"\s*:\s*"noop"/g)].map((_, i) => [i, 'noop']),
      'one header for each name the text completes, in order');
    const args = headers.map((h) => streamed.deltas.filter((d) => d.index === h.index).map((d) => d.function?.arguments).join(''));
    assert.ok(args.length > 1 && args.slice(0, -1).every((a) => JSON.stringify(JSON.parse(a)) === '{}'), `earlier calls are whole: ${JSON.stringify(args)}`);
    const elements = args.map((a, i) => (i < args.length - 1 ? `{"name":"noop","parameters":${a}}` : `{"name":"noop"${a === '' ? '' : `,"parameters":${a}`}`));
    assert.ok(text.replace(/\s/g, '').startsWith(`[${elements.join(',')}`.replace(/\s/g, '')), "the streamed calls are the text's elements, the last cut");
    await assertNoLeakedBlocks(server);
  });

  test('a forcing tool_choice with a structured output is a 400 naming tool_choice; /tokenize takes tools and names a bad one', async () => {
    const { openai, server } = suite;
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'noop' } }];
    for (const tool_choice of ['required', { type: 'function', function: { name: 'noop' } }] as const) {
      await assert.rejects(openai.chat.completions.create(chat({ tools, tool_choice, response_format: { type: 'json_object' } })),
        badParam('tool_choice', 'conflicting_structured_outputs'));
    }
    const free = await openai.chat.completions.create(chat({ tools, tool_choice: 'none', guided_choice: ['ok'] }));
    assert.equal(free.choices[0]!.message.content, 'ok', "'none' forces nothing: the structured output applies");
    const messages = [{ role: 'user', content: 'hi' }];
    const tokenize = async (body: object) => rawPost(server.url, '/tokenize', JSON.stringify({ model: MODEL, messages, ...body }));
    const plain = await tokenize({});
    const withTools = await tokenize({ tools });
    assert.equal(withTools.status, 200, withTools.body);
    assert.deepEqual(JSON.parse(withTools.body).tokens, JSON.parse(plain.body).tokens, "stories260K's fallback template renders no tools");
    const bad = assertOpenAiError(await tokenize({ tools: [{ type: 'function', function: { name: 'no spaces' } }] }), 400);
    assert.equal(bad.param, 'tools.0.function.name');
    await assertNoLeakedBlocks(server);
  });
});
