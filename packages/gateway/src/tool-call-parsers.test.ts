// Runs the ToolCallParser conformance suite against every parser (hermes, llama3_json), plus each format's own cases.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolCallParserConformance, streamed, type TestCall } from './tool-call-parser-conformance.js';
import { TOOL_CALL_PARSERS } from './tool-call-parsers.js';

const hermesCall = (c: TestCall) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.args })}\n</tool_call>`;
const llamaCall = (c: TestCall) => JSON.stringify({ name: c.name, parameters: c.args });

toolCallParserConformance({
  parser: TOOL_CALL_PARSERS.hermes,
  render: (before, calls, after) => before + calls.map(hermesCall).join('\n') + after,
  malformed: 'Checking. <tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>',
});

toolCallParserConformance({
  parser: TOOL_CALL_PARSERS.llama3_json,
  render: (before, calls, after) => before + calls.map(llamaCall).join('; ') + after,
  malformed: '{"name": "get_weather", "parameters": {"city": }}',
});

test('hermes: the arguments are the text the model wrote; a tag split anywhere is held back, not sent as content', () => {
  const { hermes } = TOOL_CALL_PARSERS;
  const text = 'Hi <tool_call>\n{"arguments": {"city": "Oslo"}, "name": "get_weather"}\n</tool_call>\nbye';
  const whole = hermes.extract(text);
  assert.deepEqual(whole, { content: 'Hi \nbye', calls: [{ name: 'get_weather', arguments: '{"city": "Oslo"}' }] });
  for (let cut = 0; cut <= text.length; cut++) assert.deepEqual(streamed(hermes, text, [cut]), whole, `cut at ${cut}`);
  const stream = hermes.stream();
  assert.deepEqual(stream.push('Hi <tool_'), [{ kind: 'content', text: 'Hi ' }]);
  assert.deepEqual(stream.push('x'), [{ kind: 'content', text: '<tool_x' }], 'no tag after all: the held text goes out');
  assert.deepEqual(hermes.extract('<tool_call>\n{"name": 7}\n</tool_call>').calls, [], 'a non-string name is no call');
  assert.deepEqual(hermes.extract('<tool_call>{"name": "f", "arguments": {}}').calls, [{ name: 'f', arguments: '{}' }], 'unclosed at the end');
});

test('llama3_json: <|python_tag|> and separators are dropped; braces in prose stay content', () => {
  const { llama3_json: llama } = TOOL_CALL_PARSERS;
  assert.deepEqual(llama.extract('<|python_tag|>{"name": "a", "parameters": {"x": 1}} ; {"name": "b", "arguments": {}}'), {
    content: null, calls: [{ name: 'a', arguments: '{"x": 1}' }, { name: 'b', arguments: '{}' }],
  });
  assert.deepEqual(llama.extract('use {braces} and {"k": 1} freely'), { content: 'use {braces} and {"k": 1} freely', calls: [] });
  assert.deepEqual(llama.extract('{"name": "a"}'), { content: null, calls: [{ name: 'a', arguments: '{}' }] }, 'no parameters: {}');
  assert.deepEqual(llama.extract('{"name": "a", "parameters": [1]}').calls, [], 'parameters must be an object');
});
