import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { schemaArb, spacedJson, valueArb } from './schema-arbitraries.js';
import { validate } from './schema-validator.js';
import { acceptsText, isViablePrefix, randomWalk } from './synthetic-vocab.js';

const json = (schema: Record<string, unknown> | null) => ({ kind: 'json' as const, schema });

test('every valid value of a generated schema is accepted compactly and with single spaces/newlines', () => {
  const cases = schemaArb.chain((schema) => fc.tuple(fc.constant(schema), valueArb(schema)));
  fc.assert(
    fc.property(cases, ([schema, value]) => {
      assert.ok(validate(schema, value), `generator/validator disagree: ${JSON.stringify(value)}`);
      for (const text of [JSON.stringify(value), spacedJson(value), spacedJson(value, '\n')]) {
        assert.ok(acceptsText(json(schema), text), `${JSON.stringify(schema)} refused ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 250, seed: 7 },
  );
});

test('constrained random walks over a synthetic vocabulary produce JSON satisfying the schema', (t) => {
  let numUnfinished = 0;
  const numRuns = 150;
  fc.assert(
    fc.property(schemaArb, fc.integer(), (schema, seed) => {
      const walk = randomWalk(json(schema), seed, 80);
      if (walk.end === 'bound') return void numUnfinished++;
      const value = JSON.parse(walk.text);
      assert.ok(validate(schema, value), `${JSON.stringify(schema)} produced ${walk.text}`);
    }),
    { numRuns, seed: 11 },
  );
  t.diagnostic(`${numUnfinished} of ${numRuns} walks hit the bound without a completion found`);
  assert.ok(numUnfinished < numRuns / 5, `${numUnfinished} of ${numRuns} walks unfinished`);
});

/** The values of the walks that finished (most do; deep nesting can exhaust the completion search). */
function finishedValues(spec: ReturnType<typeof json>, numWalks: number): unknown[] {
  const walks = Array.from({ length: numWalks }, (_, seed) => randomWalk(spec, seed, 80)).filter((w) => w.end !== 'bound');
  assert.ok(walks.length >= numWalks * 0.8, `${walks.length} of ${numWalks} walks finished`);
  return walks.map((w) => JSON.parse(w.text));
}

test('json_object (schema null): walks give a JSON object; arrays and scalars at top level are refused', () => {
  for (const value of finishedValues(json(null), 40)) {
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
  }
  assert.ok(acceptsText(json(null), ' {"a": [1, {"b": null}], "c": "\\u00e9"}'));
  for (const text of ['[]', '1', '"x"', '{} ', '{  }', '  {}']) assert.ok(!acceptsText(json(null), text), text);
});

test('whitespace: at most one character per slot, one before the value, none after', () => {
  const schema = { type: 'object', properties: { a: { type: 'array', items: { type: 'integer' } } } };
  assert.ok(acceptsText(json(schema), '\n{ "a" : [ 1 , 2 ] }'));
  for (const text of ['{"a":[1,  2]}', '{"a":[1,2]}\n', '  {"a":[]}', '{"a":[1,2]  }', '{"a":\t[]}']) {
    assert.ok(!acceptsText(json(schema), text), text);
  }
});

test('properties come in declaration order; optional ones may be skipped; extra keys only when allowed', () => {
  const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' }, c: { type: 'boolean' } }, required: ['b'] };
  for (const text of ['{"b":"x"}', '{"a":1,"b":"x"}', '{"b":"x","c":true}', '{"a":1,"b":"x","c":false}']) {
    assert.ok(acceptsText(json(schema), text), text);
  }
  for (const text of ['{}', '{"a":1}', '{"b":"x","a":1}', '{"c":true,"b":"x"}', '{"b":"x","d":1}', '{"b":"x",}']) {
    assert.ok(!acceptsText(json(schema), text), text);
  }
  const open = { ...schema, additionalProperties: { type: 'null' } };
  assert.ok(acceptsText(json(open), '{"b":"x","d":null,"bb":null}'));
  assert.ok(!acceptsText(json(open), '{"b":"x","b":null}'), 'an extra key never repeats a declared one');
  assert.ok(!acceptsText(json(open), '{"d":null,"b":"x"}'), 'extra keys come after the declared ones');
});

test('recursive $ref (a linked list) and a $ref-defined enum', () => {
  const schema = {
    $defs: { node: { type: 'object', properties: { v: { $ref: '#/$defs/color' }, next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } }, required: ['v', 'next'] },
      color: { enum: ['red', 'green'] } },
    $ref: '#/$defs/node',
  };
  assert.ok(acceptsText(json(schema), '{"v":"red","next":{"v":"green","next":null}}'));
  assert.ok(!acceptsText(json(schema), '{"v":"blue","next":null}'));
  for (const value of finishedValues(json(schema), 30)) assert.ok(validate(schema, value), JSON.stringify(value));
});

test('string formats, patterns with characters JSON must escape, and lengths in code points', () => {
  const date = json({ type: 'string', format: 'date' });
  for (const ok of ['"2024-02-29"', '"2000-02-29"', '"1999-12-31"']) assert.ok(acceptsText(date, ok), ok);
  for (const bad of ['"2023-02-29"', '"1900-02-29"', '"2024-04-31"', '"2024-13-01"']) assert.ok(!acceptsText(date, bad), bad);
  const quoted = json({ type: 'string', pattern: '^a"\\n$' });
  assert.ok(acceptsText(quoted, JSON.stringify('a"\n')));
  assert.ok(!acceptsText(quoted, '"a"'));
  const short = json({ type: 'string', maxLength: 2 });
  assert.ok(acceptsText(short, '"😀é"'));
  assert.ok(acceptsText(short, '"\\u00e9x"'));
  assert.ok(!acceptsText(short, '"abc"'));
});

test('integer bounds are exact, including exclusive and huge bounds', () => {
  const cases: [Record<string, unknown>, number[], string[]][] = [
    [{ minimum: 18, maximum: 120 }, [18, 19, 99, 100, 120], ['17', '121', '1000', '-18', '0', '018']],
    [{ exclusiveMinimum: -5, exclusiveMaximum: 5 }, [-4, 0, 4], ['-5', '5', '-10', '10', '-']],
    [{ minimum: -3 }, [-3, 0, 7, 123456789], ['-4', '-30']],
    [{ maximum: -10 }, [-10, -11, -999], ['-9', '0', '5']],
    [{ minimum: 0, maximum: 0 }, [0], ['1', '-1']],
    [{ minimum: 1e20, maximum: 1e20 + 65536 }, [], ['1', '99999999999999999999']],
  ];
  for (const [bounds, good, bad] of cases) {
    const spec = json({ type: 'integer', ...bounds });
    for (const v of good) assert.ok(acceptsText(spec, String(v)), `${JSON.stringify(bounds)} ${v}`);
    for (const text of bad) assert.ok(!acceptsText(spec, text), `${JSON.stringify(bounds)} ${text}`);
    for (let seed = 0; seed < 20; seed++) {
      const walk = randomWalk(spec, seed);
      assert.notEqual(walk.end, 'bound');
      const value = BigInt(walk.text.trim());
      const { minimum: lo, maximum: hi, exclusiveMinimum: xlo, exclusiveMaximum: xhi } = bounds as Record<string, number | undefined>;
      assert.ok((lo === undefined || value >= BigInt(lo)) && (hi === undefined || value <= BigInt(hi)), `${value}`);
      assert.ok((xlo === undefined || value > BigInt(xlo)) && (xhi === undefined || value < BigInt(xhi)), `${value}`);
    }
  }
  assert.ok(acceptsText(json({ type: 'integer', minimum: 1e20 }), '100000000000000000000'));
  assert.ok(isViablePrefix(json({ type: 'integer', minimum: 1e20 }), '9'), 'a longer number still fits');
  assert.ok(!isViablePrefix(json({ type: 'integer', minimum: 18, maximum: 120 }), '13'));
});
