import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonSchema } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from './compile.js';
import { acceptsText, isViablePrefix } from './synthetic-vocab.js';

const compileSchema = (schema: JsonSchema) => compileStructuredOutput({ kind: 'json', schema });

test('schema errors name the JSON pointer, the keyword, and unsupported vs invalid', () => {
  const cases: [JsonSchema, 'unsupported' | 'invalid', string][] = [
    [{ type: 'object', properties: { age: { type: 'number', minimum: 0 } } }, 'unsupported', "schema at /properties/age: keyword 'minimum' is only supported with type 'integer'"],
    [{ type: 'integer', minimum: 3, maximum: 2 }, 'invalid', 'no integer lies within the bounds'],
    [{ type: 'integer', minimum: 3, exclusiveMaximum: 3 }, 'invalid', 'no integer lies within the bounds'],
    [{ type: 'integer', minimum: 'a' }, 'invalid', 'must be finite numbers'],
    [{ type: 'number', multipleOf: 2 }, 'unsupported', "schema: keyword 'multipleOf' is not supported"],
    [{ type: 'object', properties: { a: { enum: [] } } }, 'invalid', "schema at /properties/a: 'enum' must be a non-empty array"],
    [{ $ref: '#/$defs/missing' }, 'invalid', "schema: '$ref' '#/$defs/missing' does not resolve"],
    [{ $ref: 'https://example.com/s.json' }, 'unsupported', "only local '$ref's"],
    [{ type: 'array', items: { type: 'strin' } }, 'invalid', "schema at /items: 'type' must be one of"],
    [{ type: 'object', properties: { a: false }, required: ['a'] }, 'invalid', 'schema at /properties/a: no JSON value satisfies it'],
    [{ type: 'object', properties: { a: { type: 'array', items: false, minItems: 1 } }, required: ['a'] }, 'invalid', 'schema at /properties/a: no JSON value satisfies it'],
    [{ type: 'object', required: ['x'] }, 'invalid', "required property 'x' is not declared"],
    [{ type: 'object', required: ['x'], additionalProperties: true }, 'unsupported', "required property 'x'"],
    [{ allOf: [{ type: 'string' }, { maxLength: 3 }] }, 'unsupported', "'allOf' with more than one schema"],
    [{ anyOf: [] }, 'invalid', "'anyOf' must be a non-empty array"],
    [{ type: 'string', anyOf: [{ maxLength: 2 }] }, 'unsupported', "'type' alongside 'anyOf'"],
    [{ type: 'string', format: 'email' }, 'unsupported', "format 'email' is not supported"],
    [{ type: 'string', pattern: '(?=a)' }, 'unsupported', 'schema: pattern at offset'],
    [{ type: 'string', pattern: 'a|^b' }, 'unsupported', "'^' is only supported at the start"],
    [{ type: 'string', pattern: '^a|b$' }, 'unsupported', 'top-level'],
    [{ type: 'string', pattern: '[', maxLength: 2 }, 'unsupported', "combining 'pattern'"],
    [{ type: 'array', minItems: 3, maxItems: 2 }, 'invalid', "'minItems' is greater than 'maxItems'"],
    [{ type: 'string', minLength: 5, maxLength: 2 }, 'invalid', 'schema: no JSON value satisfies it'],
    [{ type: 'object', properties: { a: { type: 'string', minLength: 3, maxLength: 1 } }, required: ['a'] }, 'invalid', 'schema at /properties/a: no JSON value satisfies it'],
    [{ type: 'string', maxLength: -1 }, 'invalid', 'non-negative integers'],
    [{ enum: ['a', 1], type: 'boolean' }, 'invalid', "no value of 'enum'/'const' has the schema's 'type'"],
    [{ $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }, { type: 'null' }] } }, $ref: '#/$defs/a' }, 'invalid', 'refers back to itself'],
    [{ properties: { a: { nullable: true } } }, 'unsupported', "schema at /properties/a: keyword 'nullable' is not supported"],
    [{ properties: { 'a/b': { type: 'number', maximum: 3 } } }, 'unsupported', 'schema at /properties/a~1b:'],
    [{ type: 'array', items: [{ type: 'string' }] }, 'unsupported', "schema: array-form 'items'"],
    [[] as unknown as JsonSchema, 'invalid', 'a schema must be an object or a boolean'],
  ];
  for (const [schema, code, fragment] of cases) {
    const r = compileSchema(schema);
    assert.ok(!r.ok, JSON.stringify(schema));
    assert.equal(r.error.code, code, `${JSON.stringify(schema)}: ${r.error.message}`);
    assert.ok(r.error.message.includes(fragment), `${JSON.stringify(schema)}: ${r.error.message}`);
  }
});

test('annotations are ignored; true/{} accept any value; false is an empty language', () => {
  const annotated = { type: 'string', title: 't', description: 'd', default: 'x', examples: ['y'], $schema: 's', $id: 'i',
    $comment: 'c', deprecated: false, readOnly: true, writeOnly: false, strict: true };
  assert.ok(compileSchema(annotated).ok);
  for (const schema of [true, {}]) {
    for (const text of ['1', '"x"', '[1,{"a":null}]', 'true']) assert.ok(acceptsText({ kind: 'json', schema }, text), text);
  }
  const r = compileSchema(false);
  assert.ok(!r.ok && r.error.code === 'invalid');
});

test('a dead anyOf branch is pruned instead of leaving a dead end', () => {
  const spec = { kind: 'json' as const, schema: { anyOf: [{ type: 'array', items: false, minItems: 1 }, { type: 'integer' }] } };
  assert.ok(compileStructuredOutput(spec).ok);
  assert.ok(!isViablePrefix(spec, '['), 'the array branch cannot complete, so it cannot start');
  assert.ok(acceptsText(spec, '7'));
  const lengths = { kind: 'json' as const, schema: { anyOf: [{ type: 'string', minLength: 3, maxLength: 1 }, { type: 'integer' }] } };
  assert.ok(compileStructuredOutput(lengths).ok);
  assert.ok(!isViablePrefix(lengths, '"'), 'minLength > maxLength: the string branch cannot complete, so it cannot start');
});

test('choice and regex spec validation', () => {
  assert.ok(!compileStructuredOutput({ kind: 'choice', choices: [] }).ok);
  assert.ok(compileStructuredOutput({ kind: 'choice', choices: ['a', 'a', ''] }).ok);
  const r = compileStructuredOutput({ kind: 'regex', pattern: '[^\\s\\S]' });
  assert.ok(!r.ok && r.error.message === 'the pattern matches no string');
});
