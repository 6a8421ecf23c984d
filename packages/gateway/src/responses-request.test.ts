// The Responses request → chat request mapping: messages, text.format, tools and tool_choice; the 400s naming the
// Responses field (unknown fields, previous_response_id, chat-path errors renamed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, badRequest, unavailable } from './api-error.js';
import { asResponsesError, chatBodyOf, parseResponsesBody } from './responses-request.js';

const param = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ApiError && e.status === 400);
    return e.param;
  }
  assert.fail('no 400');
};

test('instructions lead, a string input is one user message, list items keep their roles and join their text parts', () => {
  assert.deepEqual(chatBodyOf(parseResponsesBody({ model: 'm', input: 'Hi', instructions: 'Be brief.' })).messages.map((m) => [m.role, m.content]),
    [['system', 'Be brief.'], ['user', 'Hi']]);
  const chat = chatBodyOf(parseResponsesBody({
    model: 'm', input: [
      { role: 'developer', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'c', annotations: [] }] },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"x":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: '42' },
    ],
  }));
  assert.deepEqual(chat.messages.map((m) => [m.role, m.content ?? null]), [['developer', 'ab'], ['assistant', 'c'], ['assistant', null], ['tool', '42']]);
  assert.deepEqual(chat.messages[2]!.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }]);
  assert.equal(chat.messages[3]!.tool_call_id, 'call_1');
});

test('sampling fields, text.format and function tools become their chat fields', () => {
  const schema = { type: 'object', properties: {} };
  const chat = chatBodyOf(parseResponsesBody({
    model: 'm', input: 'x', max_output_tokens: 7, temperature: 0, top_p: 0.5, seed: 3, stream: true, user: 'u',
    text: { format: { type: 'json_schema', name: 's', schema, strict: true } },
    tools: [{ type: 'function', name: 'f', parameters: schema }], tool_choice: { type: 'function', name: 'f' }, parallel_tool_calls: false,
  }));
  assert.deepEqual([chat.max_tokens, chat.temperature, chat.top_p, chat.seed, chat.stream, chat.user], [7, 0, 0.5, 3, true, 'u']);
  assert.deepEqual(chat.response_format, { type: 'json_schema', json_schema: { name: 's', schema, strict: true } });
  assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'f', parameters: schema } }]);
  assert.deepEqual(chat.tool_choice, { type: 'function', function: { name: 'f' } });
  assert.equal(chat.parallel_tool_calls, false);
  assert.deepEqual(chatBodyOf(parseResponsesBody({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } })).response_format, { type: 'json_object' });
});

test('unknown fields, previous_response_id and unsupported values are 400s naming the field; nulls are absent', () => {
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: 'x', reasoning: { effort: 'low' } })), 'reasoning');
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: 'x', previous_response_id: 'resp_1' })), 'previous_response_id');
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: 'x', background: true })), 'background');
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: 'x', tools: [{ type: 'file_search' }] })), 'tools.0.type');
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file' }] }] })), 'input.0.content.0.type');
  assert.equal(param(() => parseResponsesBody({ model: 'm', input: [{ role: 'tool', content: 'x' }] })), 'input.0.role');
  assert.equal(param(() => parseResponsesBody([])), null);
  assert.equal(parseResponsesBody({ model: 'm', input: 'x', reasoning: null, store: true, background: false }).store, true);
});

test('chat-path 400s are renamed to the Responses fields; other errors pass as they are', () => {
  const renamed = (p: string) => (asResponsesError(badRequest(`Invalid value for '${p}': bad`, p, 'c')) as ApiError);
  assert.equal(renamed('max_tokens').param, 'max_output_tokens');
  assert.equal(renamed('max_tokens').message, "Invalid value for 'max_output_tokens': bad");
  assert.equal(renamed('messages').param, 'input');
  assert.equal(renamed('response_format.json_schema.schema').param, 'text.format');
  assert.equal(renamed('tools.2.function.parameters').param, 'tools.2.parameters');
  assert.equal(renamed('tool_choice.function.name').param, 'tool_choice.name');
  assert.equal(renamed('temperature').param, 'temperature');
  const busy = unavailable('busy', 'overloaded');
  assert.equal(asResponsesError(busy), busy);
});
