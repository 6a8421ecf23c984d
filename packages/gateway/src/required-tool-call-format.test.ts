// The 'required' array format: whole arrays give their calls with the model's own `parameters` text; anything that
// is no complete array of calls is content; and (fast-check) any split of a valid array, however spaced and with
// either key first, streams to exactly extract()'s calls, each call's header once its name is complete.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { callArb, collectDeltas, streamed, type TestCall } from './tool-call-parser-conformance.js';
import { requiredToolCallFormat as format } from './required-tool-call-format.js';

test('a whole array: each call with its parameters text as written (whitespace kept), no content', () => {
  const text = ' [ {"name": "a", "parameters": {"x": 1.0, "s": "\\u00e9"}} ,\n{"parameters": { }, "name": "b"} ]\n';
  assert.deepEqual(format.extract(text), { content: null, calls: [{ name: 'a', arguments: '{"x": 1.0, "s": "\\u00e9"}' }, { name: 'b', arguments: '{ }' }] });
  assert.deepEqual(format.extract('[{"name":"c"}]').calls, [{ name: 'c', arguments: '{}' }], 'no parameters: {}');
});

test('a text that is no complete array of calls is all content', () => {
  for (const text of ['', '[', '[]', '[{"name": "a"', '[{"name": "a", "parameters": {}}', '[{"name": "a", "parameters": {}},', '{"name": "a", "parameters": {}}',
    '[{"name": 1, "parameters": {}}]', '[{"name": "a", "parameters": [1]}]', '[{"name": "a", "parameters": {}}] x', '[{"name": "a", "parameters": {}},]', '[1]']) {
    assert.deepEqual(format.extract(text), { content: text.trim() === '' ? null : text, calls: [] }, text);
  }
});

/** The array as a model might write it: compact or spaced, `name` or `parameters` first. */
function render(calls: TestCall[], spaced: boolean, parametersFirst: boolean): string {
  const space = spaced ? ' ' : '';
  const call = (c: TestCall) => {
    const name = `"name":${space}${JSON.stringify(c.name)}`;
    const parameters = `"parameters":${space}${JSON.stringify(c.args, null, spaced ? 1 : undefined)}`;
    return `{${parametersFirst ? `${parameters},${space}${name}` : `${name},${space}${parameters}`}}`;
  };
  return `${space}[${calls.map(call).join(`,${space}`)}]${space}`;
}

test('streamed in any pieces, the deltas are exactly the calls extract() finds, arguments as written', () => {
  fc.assert(fc.property(fc.array(callArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }),
    (calls, spaced, parametersFirst, rawCuts) => {
      const text = render(calls, spaced, parametersFirst);
      const cuts = [...new Set(rawCuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const whole = format.extract(text);
      assert.deepEqual(whole.calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown })), JSON.parse(JSON.stringify(calls)));
      assert.equal(whole.content, null);
      assert.deepEqual(streamed(format, text, cuts), whole);
    }), { numRuns: 300 });
});

test("a call's header goes out as soon as its name string closes, its parameters after it in pieces", () => {
  const stream = format.stream();
  assert.deepEqual(stream.push('[{"name": "get_weat'), []);
  assert.deepEqual(stream.push('her"'), [{ kind: 'call', index: 0, name: 'get_weather' }]);
  assert.deepEqual(stream.push(', "parameters": {"ci'), [{ kind: 'arguments', index: 0, text: '{"ci' }]);
  assert.deepEqual(stream.push('ty": "Oslo"}}, {"parameters": {"a": 1}, "na'), [{ kind: 'arguments', index: 0, text: 'ty": "Oslo"}' }]);
  assert.deepEqual(stream.push('me": "b"}]'), [{ kind: 'call', index: 1, name: 'b' }, { kind: 'arguments', index: 1, text: '{"a": 1}' }]);
  assert.deepEqual(stream.finish(), { deltas: [], numCalls: 2 });
});

test('cut short: what went out stays as sent and finish() counts no calls; with no header out, the text goes out as content', () => {
  const text = '[{"name": "a", "parameters": {"x": 1}}, {"name": "b", "parameters": {"y"';
  const stream = format.stream();
  const sent = collectDeltas(stream.push(text));
  assert.deepEqual(sent, { content: null, calls: [{ name: 'a', arguments: '{"x": 1}' }, { name: 'b', arguments: '{"y"' }] });
  assert.deepEqual(stream.finish(), { deltas: [], numCalls: 0 });
  assert.deepEqual(format.extract(text), { content: text, calls: [] }, 'non-streamed: content');
  const early = format.stream();
  assert.deepEqual(early.push('[{"name": "a'), []);
  assert.deepEqual(early.finish(), { deltas: [{ kind: 'content', text: '[{"name": "a' }], numCalls: 0 });
});
