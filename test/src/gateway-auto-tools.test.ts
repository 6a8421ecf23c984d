// Auto tool choice (vLLM --enable-auto-tool-choice --tool-call-parser) through the official openai client against real
// loopback servers (mock runner): the tiny model never calls a tool by itself, so each request forces its exact
// output with structured_outputs.choice — allowed with tool_choice "auto", which forces nothing — and the parser turns
// it into tool_calls, non-streamed and streamed (the SDK's ChatCompletionStream and by hand, n=2 with own ids);
// once on the real stories260K model (ORT) too.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, client, MODEL, mockServer, mockServerForSuite, ortServer, streamedChatChoices } from './gateway-support.js';
import { REPO_ROOT } from './infra-support.js';

type Body = OpenAI.ChatCompletionCreateParamsNonStreaming;
const TOOLS: OpenAI.ChatCompletionTool[] = [{
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}];
const HERMES_CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>';
const LLAMA_CALLS = '{"name": "get_weather", "parameters": {"city": "Oslo"}}; {"name": "get_weather", "parameters": {"city": "Rome"}}';

/** A chat request whose output is forced to `text` (ASCII: stories260K's byte-fallback vocabulary spells it). */
const forced = (text: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL, messages: [{ role: 'user', content: 'Weather in Oslo?' }], max_tokens: 200, tools: TOOLS,
  structured_outputs: { choice: [text] }, ...extra,
}) as Body;

type Accumulated = { content: string; calls: { id?: string; name: string; arguments: string }[]; finish: string | null };

/** Each choice's stream as a client merges it: content appended, tool_calls merged by index. */
async function accumulate(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<Map<number, Accumulated>> {
  const choices = new Map<number, Accumulated>();
  for (const [index, { content, deltas, finish }] of await streamedChatChoices(stream)) {
    const calls: Accumulated['calls'] = [];
    for (const d of deltas) {
      if (d.id !== undefined) {
        assert.equal(d.function?.arguments, '', "a call's first delta carries id and name, no arguments yet");
        calls[d.index] = { id: d.id, name: d.function!.name!, arguments: '' };
      } else calls[d.index]!.arguments += d.function?.arguments ?? '';
    }
    choices.set(index, { content, calls, finish });
  }
  return choices;
}

function functionCall(call: OpenAI.ChatCompletionMessageToolCall | undefined): OpenAI.ChatCompletionMessageFunctionToolCall['function'] & { id: string } {
  assert.ok(call !== undefined && call.type === 'function');
  return { id: call.id, ...call.function };
}

describe('auto tool choice, hermes parser (mock runner)', () => {
  const suite = mockServerForSuite({ enableAutoToolChoice: true, toolCallParser: 'hermes' });

  test("tool_choice 'auto' with a forced call: tool_calls, content null, finish 'tool_calls'; n=2 each with its own id", async () => {
    const whole = await suite.openai.chat.completions.create(forced(HERMES_CALL, { tool_choice: 'auto', n: 2 }));
    assert.equal(whole.choices.length, 2);
    for (const c of whole.choices) {
      assert.equal(c.finish_reason, 'tool_calls');
      assert.equal(c.message.content, null);
      assert.equal(c.message.tool_calls!.length, 1);
      const call = functionCall(c.message.tool_calls![0]);
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Oslo' });
      assert.match(call.id, /^chatcmpl-tool-/);
    }
    assert.notEqual(whole.choices[0]!.message.tool_calls![0]!.id, whole.choices[1]!.message.tool_calls![0]!.id);
  });

  test('tools without tool_choice default to auto; the text beside the call is the content', async () => {
    const whole = await suite.openai.chat.completions.create(forced(`Checking.${HERMES_CALL} Done.`));
    const c = whole.choices[0]!;
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, 'Checking. Done.');
    assert.deepEqual(JSON.parse(functionCall(c.message.tool_calls![0]).arguments), { city: 'Oslo' });
  });

  test("streamed n=2: content, then each choice's call (own id, name first, argument pieces), finish 'tool_calls'", async () => {
    const choices = await accumulate(await suite.openai.chat.completions.create({ ...forced(`Checking.${HERMES_CALL}`, { n: 2 }), stream: true }));
    assert.deepEqual([...choices.keys()].sort(), [0, 1]);
    for (const acc of choices.values()) {
      assert.equal(acc.finish, 'tool_calls');
      assert.equal(acc.content, 'Checking.');
      assert.equal(acc.calls.length, 1);
      assert.equal(acc.calls[0]!.name, 'get_weather');
      assert.equal(acc.calls[0]!.arguments, '{"city": "Oslo"}', 'the pieces add up to the non-streamed arguments');
      assert.match(acc.calls[0]!.id!, /^chatcmpl-tool-/);
    }
    assert.notEqual(choices.get(0)!.calls[0]!.id, choices.get(1)!.calls[0]!.id);
  });

  test("the SDK's ChatCompletionStream assembles the same message", async () => {
    const stream = suite.openai.chat.completions.stream({ ...forced(HERMES_CALL, { tool_choice: 'auto' }), stream: true });
    const final = await stream.finalChatCompletion();
    const c = final.choices[0]!;
    assert.equal(c.finish_reason, 'tool_calls');
    const call = functionCall(c.message.tool_calls?.[0]);
    assert.equal(call.name, 'get_weather');
    assert.equal(call.arguments, '{"city": "Oslo"}');
  });

  test('auto tools but no call in the output: plain content, finish stop (forced) or length (free)', async () => {
    const forcedText = await suite.openai.chat.completions.create(forced('Sunny all week.', { tool_choice: 'auto' }));
    assert.equal(forcedText.choices[0]!.finish_reason, 'stop');
    assert.equal(forcedText.choices[0]!.message.content, 'Sunny all week.');
    assert.equal(forcedText.choices[0]!.message.tool_calls, undefined);
    const free = await suite.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], tools: TOOLS, max_tokens: 3 });
    assert.equal(free.choices[0]!.finish_reason, 'length');
    assert.equal(typeof free.choices[0]!.message.content, 'string');
    const streamed = await accumulate(await suite.openai.chat.completions.create({ ...forced('Sunny all week.'), stream: true }));
    assert.deepEqual(streamed.get(0), { content: 'Sunny all week.', calls: [], finish: 'stop' });
    await assertNoLeakedBlocks(suite.server);
  });
});

describe('auto tool choice, llama3_json parser (mock runner)', () => {
  const suite = mockServerForSuite({ enableAutoToolChoice: true, toolCallParser: 'llama3_json', numWorkers: 1 });

  test('two `; `-separated calls come out as two tool_calls, non-streamed and streamed alike', async () => {
    const whole = await suite.openai.chat.completions.create(forced(LLAMA_CALLS));
    const c = whole.choices[0]!;
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, null);
    const calls = c.message.tool_calls!.map(functionCall);
    assert.deepEqual(calls.map((x) => [x.name, x.arguments]), [['get_weather', '{"city": "Oslo"}'], ['get_weather', '{"city": "Rome"}']]);
    const streamed = (await accumulate(await suite.openai.chat.completions.create({ ...forced(LLAMA_CALLS), stream: true }))).get(0)!;
    assert.equal(streamed.finish, 'tool_calls');
    assert.deepEqual(streamed.calls.map((x) => [x.name, x.arguments]), calls.map((x) => [x.name, x.arguments]));
    assert.equal(streamed.content, '');
  });
});

describe('without the auto-tool-choice flags', () => {
  const suite = mockServerForSuite({ numWorkers: 1 });

  test("tool_choice 'auto' is a 400 naming the flags; tools alone still mean 'none'", async () => {
    await assert.rejects(suite.openai.chat.completions.create(forced(HERMES_CALL, { tool_choice: 'auto' })),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice' && /--enable-auto-tool-choice and --tool-call-parser/.test(e.message));
    const plain = await suite.openai.chat.completions.create(forced(HERMES_CALL));
    assert.equal(plain.choices[0]!.message.content, HERMES_CALL);
    assert.equal(plain.choices[0]!.message.tool_calls, undefined);
    assert.equal(plain.choices[0]!.finish_reason, 'stop');
  });

  test('`mini-dynamo serve` with one flag of the pair exits 1 before loading anything, naming the other', () => {
    const cli = join(REPO_ROOT, 'packages', 'gateway', 'dist', 'cli.js');
    const { MINI_DYNAMO_TOOL_CALL_PARSER: _parser, MINI_DYNAMO_ENABLE_AUTO_TOOL_CHOICE: _auto, ...env } = process.env;
    const run = spawnSync(process.execPath, [cli, 'serve', '--port', '0', '--runner', 'mock', '--enable-auto-tool-choice'], { env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^mini-dynamo: --enable-auto-tool-choice requires --tool-call-parser \(one of hermes, llama3_json\)$/m);
    assert.doesNotMatch(run.stderr, /loading tokenizer/);
  });

  test('one auto-tool-choice option without the other is a startup error', async () => {
    await assert.rejects(mockServer({ enableAutoToolChoice: true }), /--enable-auto-tool-choice requires --tool-call-parser/);
    await assert.rejects(mockServer({ toolCallParser: 'hermes' }), /--tool-call-parser hermes requires --enable-auto-tool-choice/);
  });
});

describe('auto tool choice on the real model (ORT, stories260K)', () => {
  let server: ServerHandle;
  test('a sampled forced hermes call comes back as tool_calls, streamed alike', async (t) => {
    server = await ortServer({ numBlocks: 128, enableAutoToolChoice: true, toolCallParser: 'hermes' });
    t.after(() => server.close());
    const openai = client(server);
    const body = forced(`Sure.${HERMES_CALL}`, { temperature: 1, seed: 7 });
    const c = (await openai.chat.completions.create(body)).choices[0]!;
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, 'Sure.');
    assert.deepEqual(JSON.parse(functionCall(c.message.tool_calls![0]).arguments), { city: 'Oslo' });
    const streamed = (await accumulate(await openai.chat.completions.create({ ...body, stream: true }))).get(0)!;
    assert.deepEqual([streamed.content, streamed.calls[0]!.name, streamed.calls[0]!.arguments, streamed.finish],
      ['Sure.', 'get_weather', '{"city": "Oslo"}', 'tool_calls']);
    await assertNoLeakedBlocks(server);
  });
});
