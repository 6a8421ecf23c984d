// Structured outputs and forced tool calls on the real stories260K model (ORT, CPU) through the official openai
// client: whatever the sampler draws, the text parses and satisfies the schema / choice / regex, streamed equals
// non-streamed, tool_choice turns the output into tool_calls, and what cannot be enforced is a 400 naming its field.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { assertNoLeakedBlocks, MODEL, ortServerForSuite, streamedChatChoices } from './gateway-support.js';

/** Bounded (every string and array has a maximum), so 200 tokens always reach the end of the value. */
const PET = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    kind: { enum: ['cat', 'dog', 'bird'] },
    happy: { type: 'boolean' },
    toys: { type: 'array', items: { enum: ['ball', 'box'] }, maxItems: 3 },
    owner: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^[A-Z][a-z]{1,8}$' }] },
  },
  required: ['name', 'kind', 'happy', 'toys'],
};

function assertPet(text: string): void {
  const pet = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(pet).filter((k) => k !== 'owner'), ['name', 'kind', 'happy', 'toys'], text);
  assert.ok(typeof pet['name'] === 'string' && [...pet['name']].length <= 12, text);
  assert.ok(['cat', 'dog', 'bird'].includes(pet['kind'] as string), text);
  assert.equal(typeof pet['happy'], 'boolean', text);
  assert.ok(Array.isArray(pet['toys']) && pet['toys'].length <= 3 && pet['toys'].every((t) => t === 'ball' || t === 'box'), text);
  if ('owner' in pet) assert.ok(pet['owner'] === null || /^[A-Z][a-z]{1,8}$/.test(pet['owner'] as string), text);
}

const WEATHER: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { enum: ['Paris', 'Oslo', 'Rome'] }, days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['city', 'days'] },
  },
};
const TIME: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'get_time' } };
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Once upon a time there was a dog' }];

describe('structured outputs on the real model (ORT, stories260K)', () => {
  const suite = ortServerForSuite({ numBlocks: 128 });

  test('response_format json_schema: greedy and 6 sampled choices all parse and satisfy the schema', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'pet', schema: PET, strict: true } };
    const greedy = await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 200, temperature: 0, response_format });
    assert.equal(greedy.choices[0]!.finish_reason, 'stop');
    assertPet(greedy.choices[0]!.message.content!);
    const sampled = await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 200, temperature: 1.2, seed: 7, n: 6, response_format });
    for (const c of sampled.choices) {
      assert.equal(c.finish_reason, 'stop');
      assertPet(c.message.content!);
    }
    assert.ok(new Set(sampled.choices.map((c) => c.message.content)).size > 1, 'sampling still varies inside the schema');
  });

  test('streamed structured output equals the non-streamed one', async () => {
    const body = { model: MODEL, messages, max_tokens: 200, temperature: 0, response_format: { type: 'json_schema' as const, json_schema: { name: 'pet', schema: PET } } };
    const whole = await suite.openai.chat.completions.create(body);
    const streamed = (await streamedChatChoices(await suite.openai.chat.completions.create({ ...body, stream: true }))).get(0)!.content;
    assert.equal(streamed, whole.choices[0]!.message.content);
  });

  test('guided_choice and guided_regex (vLLM) hold under sampling', async () => {
    const choice = await suite.openai.completions.create({
      model: MODEL, prompt: 'The dog was', max_tokens: 10, temperature: 1.5, seed: 1, n: 8, guided_choice: ['happy', 'sad', 'very sleepy'],
    } as OpenAI.CompletionCreateParamsNonStreaming);
    for (const c of choice.choices) assert.ok(['happy', 'sad', 'very sleepy'].includes(c.text) && c.finish_reason === 'stop', c.text);
    const pattern = '[A-Z][a-z]{1,10} (is|was) [1-9][0-9]? years old\\.';
    const regex = await suite.openai.completions.create({
      model: MODEL, prompt: 'Once upon a time', max_tokens: 40, temperature: 1, seed: 3, n: 4, structured_outputs: { regex: pattern },
    } as OpenAI.CompletionCreateParamsNonStreaming);
    for (const c of regex.choices) assert.match(c.text, new RegExp(`^(?:${pattern})$`));
  });

  test('a named tool_choice returns that function called with arguments matching its parameters, streamed alike', async () => {
    const body = { model: MODEL, messages, max_tokens: 100, temperature: 0, tools: [WEATHER, TIME], tool_choice: { type: 'function' as const, function: { name: 'get_weather' } } };
    const whole = await suite.openai.chat.completions.create(body);
    const message = whole.choices[0]!.message;
    assert.equal(message.content, null);
    const call = message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(call.function.name, 'get_weather');
    const args = JSON.parse(call.function.arguments) as { city: string; days: number };
    assert.ok(['Paris', 'Oslo', 'Rome'].includes(args.city) && Number.isInteger(args.days) && args.days >= 1 && args.days <= 7, call.function.arguments);
    let streamedArgs = '', name: string | undefined, id: string | undefined;
    for await (const chunk of await suite.openai.chat.completions.create({ ...body, stream: true })) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      name ??= delta?.function?.name;
      id ??= delta?.id;
      streamedArgs += delta?.function?.arguments ?? '';
    }
    assert.equal(name, 'get_weather');
    assert.match(id!, /^chatcmpl-tool-/);
    assert.equal(streamedArgs, call.function.arguments);
  });

  test("tool_choice 'required' without parallel calls makes exactly one valid call, streamed or not", async () => {
    const body = { model: MODEL, messages, max_tokens: 120, temperature: 1, seed: 11, tools: [WEATHER, TIME], tool_choice: 'required' as const, parallel_tool_calls: false };
    const whole = await suite.openai.chat.completions.create(body);
    const calls = whole.choices[0]!.message.tool_calls! as OpenAI.ChatCompletionMessageFunctionToolCall[];
    assert.equal(calls.length, 1);
    assert.ok(['get_weather', 'get_time'].includes(calls[0]!.function.name));
    assert.equal(typeof JSON.parse(calls[0]!.function.arguments), 'object');
    const streamed = (await streamedChatChoices(await suite.openai.chat.completions.create({ ...body, stream: true }))).get(0)!.deltas;
    assert.deepEqual(streamed.map((c) => c.function?.name).filter((n) => n !== undefined), [calls[0]!.function.name], 'one header, with the name');
    assert.deepEqual([streamed[0]!.function?.arguments, streamed[0]!.type, streamed.every((c) => c.index === 0)], ['', 'function', true]);
    assert.ok(streamed.length > 2, 'the arguments stream in pieces');
    assert.equal(streamed.map((c) => c.function?.arguments).join(''), calls[0]!.function.arguments, 'adding up to the non-streamed arguments');
  });

  test("the openai SDK's zod helpers work as against OpenAI: chat.completions.parse gives parsed objects and parsed tool arguments", async () => {
    const Pet = z.object({
      name: z.string().max(12), kind: z.enum(['cat', 'dog']), age: z.number().int().min(0).max(20),
      owner: z.string().max(8).nullable(), toys: z.array(z.enum(['ball', 'box'])).max(2),
    });
    const parsed = await suite.openai.chat.completions.parse({ model: MODEL, messages, max_tokens: 200, temperature: 0.8, seed: 5, response_format: zodResponseFormat(Pet, 'pet') });
    const pet = parsed.choices[0]!.message.parsed!;
    assert.deepEqual(Pet.parse(pet), pet, 'the SDK validated it with the zod schema');
    const getWeather = zodFunction({ name: 'get_weather', parameters: z.object({ city: z.enum(['Oslo', 'Rome']), days: z.number().int().min(1).max(7) }) });
    const called = await suite.openai.chat.completions.parse({
      model: MODEL, messages, max_tokens: 100, temperature: 0, tools: [getWeather], tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const args = (called.choices[0]!.message.tool_calls![0] as { function: { parsed_arguments: unknown } }).function.parsed_arguments;
    assert.ok(['Oslo', 'Rome'].includes((args as { city: string }).city), JSON.stringify(args));
  });

  test('what cannot be enforced is a 400 naming its field, and nothing leaks', async () => {
    const unsupported = { type: 'object', properties: { a: { type: 'number', multipleOf: 3 } } };
    await assert.rejects(suite.openai.chat.completions.create({
      model: MODEL, messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: unsupported } },
    }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'response_format' && /multipleOf/.test(e.message));
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'x', guided_regex: '(a)\\1' } as OpenAI.CompletionCreateParamsNonStreaming),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'guided_regex');
    await assert.rejects(suite.openai.chat.completions.create({ model: MODEL, messages, tools: [WEATHER], tool_choice: 'auto' }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice');
    await assert.rejects(suite.openai.chat.completions.create({
      model: MODEL, messages, tools: [{ type: 'function', function: { name: 'f', parameters: unsupported } }], tool_choice: 'required',
    }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tools.0.function.parameters' && /multipleOf/.test(e.message));
    await assertNoLeakedBlocks(suite.server);
  });
});
