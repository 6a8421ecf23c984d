import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTokenConstraintFactory } from '@mini-dynamo/structured-output';
import { ApiError } from './api-error.js';
import { toolCallsOf, toolFinishReason, toolMode, type Tool } from './tool-calls.js';

const weather: Tool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const time: Tool = { type: 'function', function: { name: 'get_time' } };

const rejects = (f: () => unknown, param: string, pattern: RegExp) =>
  assert.throws(f, (e) => e instanceof ApiError && e.status === 400 && e.param === param && pattern.test(e.message));

test('tool_choice none (the default) leaves the output free, with or without tools', () => {
  assert.deepEqual(toolMode({}), { mode: { kind: 'none' }, constraint: null, parameters: [] });
  assert.deepEqual(toolMode({ tools: [weather] }), { mode: { kind: 'none' }, constraint: null, parameters: [] });
});

test('a named function constrains the output to its parameters (an empty object when it has none)', () => {
  const spec = { kind: 'json', schema: weather.function.parameters };
  assert.deepEqual(toolMode({ tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_weather' } } }), {
    mode: { kind: 'named', name: 'get_weather' }, constraint: spec, parameters: [{ param: 'tools.0.function.parameters', spec }],
  });
  assert.deepEqual(toolMode({ tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_time' } } }).constraint,
    { kind: 'json', schema: { type: 'object', properties: {} } });
  const empty: Tool = { type: 'function', function: { name: 'ping', parameters: {} } };
  assert.deepEqual(toolMode({ tools: [empty], tool_choice: { type: 'function', function: { name: 'ping' } } }).constraint,
    { kind: 'json', schema: { type: 'object', properties: {} } }, '`parameters: {}` still means an object, not any JSON value');
});

test("'required' constrains the output to an array of {name, parameters}; parallel_tool_calls false allows one", () => {
  const { mode, constraint } = toolMode({ tools: [weather, time], tool_choice: 'required', parallel_tool_calls: false });
  assert.deepEqual(mode, { kind: 'required' });
  const schema = (constraint as unknown as { schema: { minItems: number; maxItems?: number; items: { anyOf: { properties: { name: unknown } }[] } } }).schema;
  assert.equal(schema.minItems, 1);
  assert.deepEqual(toolMode({ tools: [weather, time], tool_choice: 'required' }).parameters.map((p) => p.param),
    ['tools.0.function.parameters', 'tools.1.function.parameters'], 'each tool is checked on its own, named by its field');
  assert.equal(schema.maxItems, 1);
  assert.deepEqual(schema.items.anyOf.map((a) => a.properties.name), [{ const: 'get_weather' }, { const: 'get_time' }]);
  assert.equal('maxItems' in (toolMode({ tools: [weather], tool_choice: 'required' }).constraint as unknown as { schema: object }).schema, false);
});

test('what vLLM refuses without a tool parser is a 400 naming tool_choice', () => {
  rejects(() => toolMode({ tools: [weather], tool_choice: 'auto' }), 'tool_choice',
    /^"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set/);
  rejects(() => toolMode({ tool_choice: 'required' }), 'tool_choice', /non-empty tools/);
  rejects(() => toolMode({ tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } }), 'tool_choice', /'nope'/);
});

test('a finished choice becomes tool calls; a cut named call keeps its partial arguments, a cut array stays text', () => {
  let n = 0;
  const ids = () => `call-${n++}`;
  assert.deepEqual(toolCallsOf({ kind: 'named', name: 'get_weather' }, '{"city":"Oslo"}', ids).toolCalls,
    [{ id: 'call-0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
  assert.deepEqual(toolCallsOf({ kind: 'required' }, '[{"name":"get_time","parameters":{}},{"name":"get_weather","parameters":{"city":"Rome"}}]', ids).toolCalls, [
    { id: 'call-1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    { id: 'call-2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
  ]);
  assert.deepEqual(toolCallsOf({ kind: 'named', name: 'get_weather' }, '{"city":"Os', ids).toolCalls,
    [{ id: 'call-3', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Os' } }]);
  assert.deepEqual(toolCallsOf({ kind: 'required' }, '[{"name": "get_weather", "parameters": { "city" : "Oslo" }}]', ids).toolCalls?.map((c) => c.function.arguments),
    ['{ "city" : "Oslo" }'], "'required' arguments are the parameters text the model wrote (as streamed)");
  assert.equal(toolCallsOf({ kind: 'required' }, '{"name":"get_time"}', ids).toolCalls, null);
  assert.equal(toolCallsOf({ kind: 'required' }, '[{"name":"get_time","parameters":{}}', ids).toolCalls, null, 'cut by max_tokens: content');
  assert.equal(toolCallsOf({ kind: 'none' }, '{}', ids).toolCalls, null);
});

test("'required': a call names one function with that function's parameters, never another's (the anyOf per tool)", () => {
  const { constraint } = toolMode({ tools: [weather, time, { type: 'function', function: { name: 'get_time_zone' } }], tool_choice: 'required' });
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  const eos = chars.length;
  const factory = createTokenConstraintFactory({ tokenTexts: chars, eosTokenIds: [eos] });
  const accepts = (text: string) => {
    const c = factory.create(constraint!);
    assert.ok(c.ok);
    return [...text].every((ch) => c.value.accept(chars.indexOf(ch))) && c.value.accept(eos);
  };
  assert.ok(accepts('[{"name":"get_weather","parameters":{"city":"Oslo"}}]'));
  assert.ok(accepts('[{"name":"get_time","parameters":{}},{"name":"get_time_zone","parameters":{}}]'));
  assert.equal(accepts('[{"name":"get_time","parameters":{"city":"Oslo"}}]'), false);
  assert.equal(accepts('[{"name":"get_weather","parameters":{}}]'), false);
  assert.equal(accepts('[{"name":"get_wea","parameters":{"city":"Oslo"}}]'), false);
  assert.equal(accepts('[]'), false);
});

test("finish reason: 'tool_calls' only for 'required' calls that ended by themselves", () => {
  assert.equal(toolFinishReason({ kind: 'required' }, 'stop', true), 'tool_calls');
  assert.equal(toolFinishReason({ kind: 'required' }, 'stop', false), 'stop', 'no complete array: content, stop');
  assert.equal(toolFinishReason({ kind: 'required' }, 'length', true), 'length');
  assert.equal(toolFinishReason({ kind: 'named', name: 'f' }, 'stop', true), 'stop');
  assert.equal(toolFinishReason({ kind: 'none' }, 'length', false), 'length');
});

test("with auto tool choice enabled, 'auto' is allowed and the default with tools; it constrains nothing", () => {
  const auto = { mode: { kind: 'auto', parser: 'hermes' }, constraint: null, parameters: [] };
  assert.deepEqual(toolMode({ tools: [weather], tool_choice: 'auto' }, 'hermes'), auto);
  assert.deepEqual(toolMode({ tools: [weather] }, 'hermes'), auto, 'tools without tool_choice → auto');
  assert.deepEqual(toolMode({}, 'hermes').mode, { kind: 'none' }, 'no tools → none');
  assert.deepEqual(toolMode({ tools: [weather], tool_choice: 'none' }, 'hermes').mode, { kind: 'none' });
  rejects(() => toolMode({ tool_choice: 'auto' }, 'hermes'), 'tool_choice', /non-empty tools/);
  assert.equal(toolMode({ tools: [weather], tool_choice: 'required' }, 'hermes').mode.kind, 'required', 'forcing choices are unchanged');
});

test("'auto': the parser's calls with the content beside them, 'tool_calls' however the choice ended; no call → plain content", () => {
  let n = 0;
  const ids = () => `call-${n++}`;
  const text = 'Checking.<tool_call>\n{"name": "elsewhere", "arguments": {"q": 1}}\n</tool_call>';
  const mode = { kind: 'auto', parser: 'hermes' } as const;
  const out = toolCallsOf(mode, text, ids);
  assert.deepEqual(out, { toolCalls: [{ id: 'call-0', type: 'function', function: { name: 'elsewhere', arguments: '{"q": 1}' } }], content: 'Checking.' },
    'a function not in tools is kept, as vLLM');
  assert.deepEqual(toolCallsOf({ kind: 'auto', parser: 'llama3_json' }, ' just text ', ids), { toolCalls: null, content: ' just text ' });
  assert.equal(toolFinishReason(mode, 'length', out.toolCalls !== null), 'tool_calls');
  assert.equal(toolFinishReason(mode, 'stop', false), 'stop');
  assert.deepEqual(toolCallsOf(mode, text, ids).toolCalls?.map((c) => c.function.name), ['elsewhere']);
});
