// POST /v1/responses (OpenAI's Responses API, the subset vLLM serves) through the official openai client: text, instructions,
// list input, max_output_tokens → incomplete, streaming (SDK stream helper and raw create({stream: true}), events in order
// with rising sequence_number, deltas adding up to the final text), text.format json_schema, a forced function call
// (non-streamed and streamed, then answered as input items), auto tool choice (llama3_json), a worker dying mid-stream →
// `response.failed` + one `error` event, GET/DELETE /v1/responses/{id} → 404, 400s for unsupported fields / previous_response_id / bad input that reach no worker, no leaked KV
// block, `endpoint="responses"` metrics (mock runner); on stories260K (ORT) greedy output_text equals the chat content.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, assertOpenAiError, badParam, client, MODEL, mockServer, mockServerForSuite, ortServerForSuite, rawPost } from './gateway-support.js';

const SCHEMA = {
  type: 'object', properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false,
};
const TOOL: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 10 } }, required: ['city'], additionalProperties: false },
};

/** Requests the frontend routed to a worker so far (the input-sequence histogram counts one per dispatched choice). */
async function numDispatched(server: ServerHandle): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('dynamo_frontend_input_sequence_tokens_count'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function assertUsage(usage: OpenAI.Responses.ResponseUsage | undefined): void {
  assert.ok(usage);
  assert.ok(usage.input_tokens > 0 && usage.output_tokens > 0);
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  assert.equal(typeof usage.input_tokens_details.cached_tokens, 'number');
  assert.equal(usage.output_tokens_details.reasoning_tokens, 0);
}

describe('POST /v1/responses (mock runner)', () => {
  const suite = mockServerForSuite();

  test('a string input returns one completed assistant message; output_text is its text; echo fields are set', async () => {
    const r = await suite.openai.responses.create({ model: MODEL, input: 'Once upon a time', max_output_tokens: 8, temperature: 0, metadata: { k: 'v' }, store: false });
    assert.match(r.id, /^resp_[0-9a-f]{32}$/);
    assert.equal(r.object, 'response');
    assert.equal(r.model, MODEL);
    assert.ok(['completed', 'incomplete'].includes(r.status!));
    assert.equal(r.output.length, 1);
    const item = r.output[0]!;
    assert.equal(item.type, 'message');
    assert.ok(item.type === 'message' && item.role === 'assistant' && item.id.startsWith('msg_'));
    assert.ok(item.type === 'message' && item.content[0]!.type === 'output_text');
    assert.equal(r.output_text, item.type === 'message' && item.content[0]!.type === 'output_text' ? item.content[0]!.text : null);
    assert.deepEqual([r.max_output_tokens, r.temperature, r.metadata, r.error, r.instructions], [8, 0, { k: 'v' }, null, null]);
    assert.deepEqual(r.text?.format, { type: 'text' });
    assert.equal(r.tool_choice, 'none');
    assertUsage(r.usage);
  });

  test('max_output_tokens cuts the output: status incomplete, reason max_output_tokens, exactly that many tokens', async () => {
    const r = await suite.openai.responses.create({ model: MODEL, input: 'Tell me a long story', max_output_tokens: 3 });
    assert.equal(r.status, 'incomplete');
    assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(r.usage?.output_tokens, 3);
    const item = r.output[0];
    assert.equal(item?.type === 'message' ? item.status : null, 'incomplete');
  });

  test('instructions and list input are the chat messages: the prompt counts them all', async () => {
    const plain = await suite.openai.responses.create({ model: MODEL, input: 'Hi there', max_output_tokens: 2 });
    const instructed = await suite.openai.responses.create({ model: MODEL, input: 'Hi there', instructions: 'Be brief.', max_output_tokens: 2 });
    assert.ok(instructed.usage!.input_tokens > plain.usage!.input_tokens);
    assert.equal(instructed.instructions, 'Be brief.');
    const list = await suite.openai.responses.create({
      model: MODEL, max_output_tokens: 2, input: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hi ' }, { type: 'input_text', text: 'there' }] },
        { type: 'message', role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
      ],
    });
    assert.ok(list.usage!.input_tokens > instructed.usage!.input_tokens);
    await assertNoLeakedBlocks(suite.server);
  });

  test('streamed with the SDK helper: events in order, sequence_number rising by one, deltas add up to the final text', async () => {
    const stream = suite.openai.responses.stream({ model: MODEL, input: 'Once upon a time', max_output_tokens: 12 });
    const types: string[] = [];
    const seqs: number[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      seqs.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    assert.deepEqual(seqs, seqs.map((_, i) => i));
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.incomplete']);
    assert.ok(types.slice(4, -4).every((t) => t === 'response.output_text.delta'));
    assert.equal(final.output_text, deltas);
    assert.equal(final.status, 'incomplete');
    assertUsage(final.usage);
  });

  test('create({stream: true}) ends with response.completed/incomplete carrying the response; it equals the non-streamed one', async () => {
    const body = { model: MODEL, input: 'The cat', max_output_tokens: 6, temperature: 0 };
    const unary = await suite.openai.responses.create(body);
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of await suite.openai.responses.create({ ...body, stream: true })) events.push(e);
    const last = events.at(-1)!;
    assert.ok(last.type === 'response.completed' || last.type === 'response.incomplete');
    const done = events.find((e) => e.type === 'response.output_text.done');
    assert.ok(done?.type === 'response.output_text.done');
    assert.equal(done.text, unary.output_text);
    assert.equal(last.response.usage?.output_tokens, unary.usage?.output_tokens);
  });

  test('text.format json_schema: the output parses and satisfies the schema (non-streamed and streamed)', async () => {
    const text = { format: { type: 'json_schema' as const, name: 'person', schema: SCHEMA, strict: true } };
    const r = await suite.openai.responses.create({ model: MODEL, input: 'A person as JSON', max_output_tokens: 60, text });
    const parsed = JSON.parse(r.output_text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed).sort(), ['age', 'name']);
    assert.ok(Number.isInteger(parsed['age']) && typeof parsed['name'] === 'string');
    const streamed = await suite.openai.responses.stream({ model: MODEL, input: 'A person as JSON', max_output_tokens: 60, text }).finalResponse();
    assert.deepEqual(JSON.parse(streamed.output_text), parsed);
  });

  test('a forced function tool call is a function_call item with JSON arguments, streamed alike', async () => {
    const body = { model: MODEL, input: 'Weather in Oslo?', max_output_tokens: 60, tools: [TOOL], tool_choice: { type: 'function' as const, name: 'get_weather' } };
    const r = await suite.openai.responses.create(body);
    assert.equal(r.status, 'completed');
    const call = r.output.find((i) => i.type === 'function_call');
    assert.ok(call?.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(r.tool_choice, { type: 'function', name: 'get_weather' });
    assert.match(call.call_id, /^call_/);
    assert.equal(typeof (JSON.parse(call.arguments) as { city: unknown }).city, 'string');
    const stream = suite.openai.responses.stream(body);
    let args = '';
    const types: string[] = [];
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.function_call_arguments.delta') args += e.delta;
    }
    assert.ok(types.includes('response.output_item.added') && types.includes('response.function_call_arguments.done'));
    const final = await stream.finalResponse();
    const streamedCall = final.output.find((i) => i.type === 'function_call');
    assert.ok(streamedCall?.type === 'function_call');
    assert.equal(streamedCall.arguments, args);
    assert.equal(args, call.arguments);
    // The call's answer goes back as input items: the conversation continues.
    const next = await suite.openai.responses.create({
      model: MODEL, max_output_tokens: 4, tools: [TOOL], input: [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp": 3}' },
      ],
    });
    assert.equal(next.output[0]?.type, 'message');
    await assertNoLeakedBlocks(suite.server);
  });

  test('unsupported fields, previous_response_id and bad input are OpenAI 400s naming the field, reaching no worker', async () => {
    const before = await numDispatched(suite.server);
    const base = { model: MODEL, input: 'Hi' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, previous_response_id: 'resp_123' }, 'previous_response_id'],
      [{ ...base, reasoning: { effort: 'high' } }, 'reasoning'],
      [{ ...base, background: true }, 'background'],
      [{ ...base, tools: [{ type: 'web_search' }] }, 'tools.0.type'],
      [{ ...base, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'input.0.content.0.type'],
      [{ ...base, input: [] }, 'input'],
      [{ ...base, max_output_tokens: 0 }, 'max_output_tokens'],
      [{ ...base, text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema'],
      [{ ...base, tool_choice: 'required' }, 'tool_choice'],
      [{ ...base, tools: [TOOL], tool_choice: 'auto' }, 'tool_choice'], // auto needs --enable-auto-tool-choice, as on chat
      [{ ...base, max_output_tokens: 100_000 }, 'max_output_tokens'],
      [{ ...base, tools: [{ ...TOOL, parameters: { type: 'object', properties: { x: { type: 'nonsense' } } } }], tool_choice: 'required' }, 'tools.0.parameters'],
    ];
    for (const [body, param] of cases) {
      const reply = await rawPost(suite.server.url, '/v1/responses', JSON.stringify(body));
      const error = assertOpenAiError(reply, 400);
      assert.equal(error.param, param, reply.body);
      assert.equal(error.type, 'invalid_request_error');
    }
    const reply = await rawPost(suite.server.url, '/v1/responses', JSON.stringify({ ...base, previous_response_id: 'resp_1' }));
    assert.match(assertOpenAiError(reply, 400).message, /not supported: this server stores no responses/);
    await assert.rejects(suite.openai.responses.create({ ...base, reasoning: { effort: 'low' } }), badParam('reasoning', 'unsupported_parameter'));
    const notFound = await rawPost(suite.server.url, '/v1/responses', JSON.stringify({ ...base, model: 'gpt-5' }));
    assert.equal(assertOpenAiError(notFound, 404).code, 'model_not_found');
    assert.equal(await numDispatched(suite.server), before);
    const metrics = await (await fetch(`${suite.server.url}/metrics`)).text();
    assert.match(metrics, /dynamo_frontend_requests_total\{model="stories260K",endpoint="responses",request_type="unary",status="error"\} [1-9]/);
    assert.match(metrics, /dynamo_frontend_requests_total\{model="stories260K",endpoint="responses",request_type="stream",status="success"\} [1-9]/);
    await assertNoLeakedBlocks(suite.server);
  });

  test('a client that leaves mid-stream aborts the worker request: no block stays held', async () => {
    const stream = await suite.openai.responses.create({ model: MODEL, input: 'A long tale', max_output_tokens: 200, stream: true });
    for await (const e of stream) if (e.type === 'response.output_text.delta') break;
    await assertNoLeakedBlocks(suite.server);
  });
});

describe('POST /v1/responses with auto tool choice (llama3_json parser, mock runner)', () => {
  const suite = mockServerForSuite({ enableAutoToolChoice: true, toolCallParser: 'llama3_json', numWorkers: 1 });
  // The tiny model never calls a tool by itself: text.format forces the exact call text, which the parser then reads.
  const CALL = { name: 'get_weather', parameters: { city: 'Oslo' } };
  const body = {
    model: MODEL, input: 'Weather in Oslo?', max_output_tokens: 100, tools: [TOOL],
    text: { format: { type: 'json_schema' as const, name: 'call', schema: { const: CALL } } },
  };

  test("tools default to tool_choice 'auto': the parser's call is a function_call item, streamed alike", async () => {
    const r = await suite.openai.responses.create(body);
    assert.equal(r.tool_choice, 'auto');
    const call = r.output.find((i) => i.type === 'function_call');
    assert.ok(call?.type === 'function_call', JSON.stringify(r.output));
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), CALL.parameters);
    // Raw events (the SDK's stream helper would parse the message beside the call as the json_schema output).
    let streamed: OpenAI.Responses.Response | null = null;
    for await (const e of await suite.openai.responses.create({ ...body, stream: true })) if (e.type === 'response.completed') streamed = e.response;
    const streamedCall = streamed?.output.find((i) => i.type === 'function_call');
    assert.ok(streamedCall?.type === 'function_call', JSON.stringify(streamed?.output));
    assert.deepEqual(JSON.parse(streamedCall.arguments), CALL.parameters);
    await assertNoLeakedBlocks(suite.server);
  });

  test('streamed text then a call: the message is done before the function_call item is added; output_index rises', async () => {
    // `[` is content before the call and `]` content after it (with the forced output's whitespace) (a new message item, as OpenAI would open one).
    const format = { type: 'json_schema' as const, name: 'calls', schema: { const: [CALL] } };
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of await suite.openai.responses.create({ ...body, text: { format }, stream: true })) events.push(e);
    const items = events.flatMap((e) => e.type === 'response.output_item.added' || e.type === 'response.output_item.done'
      ? [`${e.type.slice('response.output_item.'.length)} ${e.output_index} ${e.item.type}`] : []);
    assert.deepEqual(items, ['added 0 message', 'done 0 message', 'added 1 function_call', 'done 1 function_call', 'added 2 message', 'done 2 message']);
    const types = events.map((e) => e.type);
    const addedAt = types.findIndex((t, i) => t === 'response.output_item.added' && (events[i] as { output_index: number }).output_index === 1);
    assert.deepEqual(types.slice(addedAt - 3, addedAt), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done']);
    const last = events.at(-1)!;
    assert.ok(last.type === 'response.completed', last.type);
    assert.deepEqual(last.response.output.map((i) => i.type), ['message', 'function_call', 'message']);
    assert.equal(last.response.output.map((i) => i.type === 'message' ? i.content.map((p) => p.type === 'output_text' ? p.text : '').join('') : '').join('').replace(/\s/g, ''), '[]');
    // The SDK's ResponseStream accumulates the same items in the same order (over the raw stream: its json_schema parse
    // of the message text is left out, the text beside the call being no JSON).
    const raw = await suite.openai.responses.create({ ...body, text: { format }, stream: true });
    const final = await ResponseStream.fromReadableStream(raw.toReadableStream()).finalResponse();
    assert.deepEqual(final.output.map((i) => `${i.type} ${(i as { status?: string }).status}`), ['message completed', 'function_call completed', 'message completed']);
    assert.equal(final.output_text.replace(/\s/g, ''), '[]');
    await assertNoLeakedBlocks(suite.server);
  });
});

test('a worker dying mid-stream ends the stream with `response.failed` then one `error` event (the SDK throws it), after text', async () => {
  let server: ServerHandle | null = null;
  const killer = { // kills the serving worker after its 3rd token (no migration: the request fails)
    onStart: () => {}, onEnd: () => {},
    onTokens(choice: { requestId: string }, numTokens: number) {
      if (numTokens > 0 && (tokenCounts[choice.requestId] = (tokenCounts[choice.requestId] ?? 0) + numTokens) >= 3) {
        queueMicrotask(() => server!.localWorkers.forEach((w) => w.kill('killed by the test')));
      }
    },
  };
  const tokenCounts: Record<string, number> = {};
  server = await mockServer({ numWorkers: 1, migrationLimit: 0, observer: killer });
  try {
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    await assert.rejects(async () => {
      const stream = await client(server!).responses.create({ model: MODEL, input: 'A long tale', max_output_tokens: 100, stream: true });
      for await (const e of stream) events.push(e);
    }, (e: unknown) => e instanceof OpenAI.APIError && /worker failed: killed by the test/i.test(e.message));
    const types = events.map((e) => e.type);
    assert.ok(types.includes('response.output_text.delta'), types.join());
    assert.ok(!types.includes('response.completed') && !types.includes('response.incomplete'));
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
    const failed = events.at(-1)!; // the `error` event after it is what the SDK threw
    assert.ok(failed.type === 'response.failed', types.join());
    assert.equal(failed.response.status, 'failed');
    assert.equal(failed.response.error?.code, 'server_error');
    assert.match(failed.response.error?.message ?? '', /worker failed: killed by the test/i);
    const deltas = events.flatMap((e) => e.type === 'response.output_text.delta' ? [e.delta] : []).join('');
    assert.deepEqual(failed.response.output.map((i) => i.type === 'message' && `${i.status} ${i.content.map((p) => p.type === 'output_text' ? p.text : '').join('')}`), [`incomplete ${deltas}`]);
  } finally {
    await server.close();
  }
});

test('GET / DELETE /v1/responses/{id}: an OpenAI 404 naming the id (nothing is stored), behind the API key', async () => {
  const server = await mockServer({ numWorkers: 1, apiKey: 'test' });
  try {
    const notFound = (e: unknown) => e instanceof OpenAI.NotFoundError && e.message.includes("Response with id 'resp_x' not found.")
      && (e.error as { type?: string }).type === 'not_found_error';
    await assert.rejects(client(server).responses.retrieve('resp_x'), notFound);
    await assert.rejects(client(server).responses.delete('resp_x'), notFound);
    const wrongKey = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(wrongKey.responses.retrieve('resp_x'), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  } finally {
    await server.close();
  }
});

describe('POST /v1/responses on stories260K (ORT)', () => {
  const suite = ortServerForSuite();

  test('greedy output_text equals the chat completion content for the same prompt (one shared path)', async () => {
    const input = 'Lily went to the park.';
    const chat = await suite.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: input }], max_tokens: 24, temperature: 0 });
    const r = await suite.openai.responses.create({ model: MODEL, input, max_output_tokens: 24, temperature: 0 });
    assert.ok(r.output_text.length > 0);
    assert.equal(r.output_text, chat.choices[0]!.message.content);
    assert.equal(r.usage?.input_tokens, chat.usage?.prompt_tokens);
    assert.equal(r.usage?.output_tokens, chat.usage?.completion_tokens);
    assert.equal(r.status, chat.choices[0]!.finish_reason === 'length' ? 'incomplete' : 'completed');
    let streamed = '';
    for await (const e of suite.openai.responses.stream({ model: MODEL, input, max_output_tokens: 24, temperature: 0 })) {
      if (e.type === 'response.output_text.delta') streamed += e.delta;
    }
    assert.equal(streamed, r.output_text);
    await assertNoLeakedBlocks(suite.server);
  });
});
