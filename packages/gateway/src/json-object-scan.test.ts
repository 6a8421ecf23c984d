// scanJsonObject: top-level value spans of whole and cut objects (escapes, nested brackets in strings, primitives),
// invalid structure, and its invariant under fast-check: a span found in a prefix is the same in the whole text,
// and a scan resumed through a ScanCache finds what a fresh one does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scanJsonObject, type ObjectScan, type ScanCache } from './json-object-scan.js';

const spans = (text: string, scan: ObjectScan) =>
  scan.kind === 'invalid' ? null : Object.fromEntries([...scan.keys].map(([k, s]) => [k, text.slice(s.start, s.end ?? text.length)]));

test('a whole object: each key with its value text, the end after the closing brace', () => {
  const text = 'x{"a": "q\\"}", "b" : {"c": [1, "]"]}, "n": -1.5e3 ,"t":true}rest';
  const scan = scanJsonObject(text, 1);
  assert.equal(scan.kind, 'complete');
  assert.equal(text.slice(scan.kind === 'complete' ? scan.end : 0), 'rest');
  assert.deepEqual(spans(text, scan), { a: '"q\\"}"', b: '{"c": [1, "]"]}', n: '-1.5e3', t: 'true' });
  assert.equal(scanJsonObject('{}', 0).kind, 'complete');
});

test('a cut object is partial with the values so far; broken structure is invalid', () => {
  const cut = '{"name": "f", "arguments": {"city": "Os';
  const scan = scanJsonObject(cut, 0);
  assert.equal(scan.kind, 'partial');
  assert.deepEqual(scan.kind === 'partial' && [...scan.keys.values()].map((s) => s.end === null), [false, true]);
  for (const bad of ['{braces}', '{"a" 1}', '{"a": 1 2}', '{"a": }', '{,}', '{"a": 1,}']) assert.equal(scanJsonObject(bad, 0).kind, 'invalid', bad);
});

test('a span found in any prefix is the same span in the whole text', () => {
  const value = fc.jsonValue({ maxDepth: 2 });
  fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 }), fc.boolean(), (object, spaced) => {
    const text = JSON.stringify(object, null, spaced ? 1 : undefined);
    const whole = scanJsonObject(text, 0);
    assert.equal(whole.kind, 'complete');
    if (whole.kind !== 'complete') return;
    const cache: ScanCache = new Map();
    for (let cut = 1; cut < text.length; cut++) {
      const part = scanJsonObject(text.slice(0, cut), 0);
      assert.deepEqual(spans(text.slice(0, cut), scanJsonObject(text.slice(0, cut), 0, cache)), spans(text.slice(0, cut), part), 'resumed = fresh');
      assert.equal(part.kind, 'partial', text.slice(0, cut));
      if (part.kind !== 'partial') return;
      for (const [key, span] of part.keys) {
        assert.equal(whole.keys.get(key)?.start, span.start);
        if (span.end !== null) assert.equal(whole.keys.get(key)?.end, span.end);
      }
    }
    assert.deepEqual(spans(text, scanJsonObject(text, 0, cache)), spans(text, whole));
  }), { numRuns: 200 });
});
