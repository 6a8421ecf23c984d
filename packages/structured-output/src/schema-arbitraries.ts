// Test support: fast-check arbitraries for schemas of the supported subset and for values valid under them,
// plus the single-whitespace serialisation. Invariant: every generated schema is satisfiable and every
// generated value satisfies its schema (checked independently by schema-validator in the tests).

import fc from 'fast-check';

type Schema = Record<string, unknown>;
const NAMES = ['name', 'age', 'tags', 'a', 'b_c', 'ü', 'x y', 'q"t'];
const isWellFormed = (s: string): boolean => !/\p{Cs}/u.test(s);
const normalise = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const leafSchema: fc.Arbitrary<Schema> = fc.oneof(
  fc.constant({ type: 'string' }),
  fc.record({ type: fc.constant('string'), minLength: fc.nat(2), maxLength: fc.integer({ min: 2, max: 5 }) }),
  fc.constant({ type: 'integer' }),
  fc.tuple(fc.integer({ min: -120, max: 120 }), fc.nat(300)).map(([minimum, width]) => ({ type: 'integer', minimum, maximum: minimum + width })),
  fc.constant({ type: 'number' }),
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: 'null' }),
  fc.constant({ type: ['string', 'null'] }),
  fc.constant({ type: 'string', pattern: '^[a-c]+x?$' }),
  fc.constant({ type: 'string', pattern: '\\d-\\d' }),
  fc.constantFrom('date', 'uuid', 'ipv4').map((format) => ({ type: 'string', format })),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 3 }).map((values) => ({ enum: values.map(normalise) })),
  fc.constant({}),
);

function objectSchema(inner: fc.Arbitrary<Schema>): fc.Arbitrary<Schema> {
  return fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 3 }).chain((names) =>
    fc.record({
      type: fc.constant('object'),
      properties: fc.tuple(...names.map(() => inner)).map((schemas) => Object.fromEntries(names.map((n, i) => [n, schemas[i]]))),
      required: fc.subarray(names),
      additionalProperties: fc.oneof(fc.constant(undefined), fc.constant(false), fc.constant(true), inner),
    }, { requiredKeys: ['type', 'properties', 'required'] }));
}

function arraySchema(inner: fc.Arbitrary<Schema>): fc.Arbitrary<Schema> {
  const bounds = fc.tuple(fc.nat(2), fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }));
  return fc.oneof(
    fc.tuple(inner, bounds).map(([items, [minItems, maxItems]]) => ({ type: 'array', items, minItems, maxItems })),
    fc.tuple(fc.array(inner, { minLength: 1, maxLength: 2 }), fc.oneof(fc.constant(false), inner)).map(([prefixItems, items]) => ({ type: 'array', prefixItems, items })),
  );
}

export const schemaArb: fc.Arbitrary<Schema> = fc.letrec<{ node: Schema }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafSchema,
    objectSchema(tie('node')),
    arraySchema(tie('node')),
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
  ),
})).node;

const wellFormedString = (minLength = 0, maxLength = 8): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength, maxLength }).filter(isWellFormed);

function stringArb(s: Schema): fc.Arbitrary<string> {
  if (typeof s['pattern'] === 'string') return fc.stringMatching(new RegExp(s['pattern'])).filter(isWellFormed);
  if (s['format'] === 'date') {
    return fc.date({ min: new Date('1000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  }
  if (s['format'] === 'uuid') return fc.uuid();
  if (s['format'] === 'ipv4') return fc.ipV4();
  return wellFormedString((s['minLength'] as number | undefined) ?? 0, (s['maxLength'] as number | undefined) ?? 8);
}

function typedArb(type: string, s: Schema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string': return stringArb(s);
    case 'integer': return fc.integer({ min: (s['minimum'] as number | undefined) ?? -2e9, max: (s['maximum'] as number | undefined) ?? 2e9 });
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true }).map(normalise);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'object': return objectArb(s);
    default: return arrayArb(s);
  }
}

function objectArb(s: Schema): fc.Arbitrary<unknown> {
  const props = Object.entries((s['properties'] ?? {}) as Record<string, Schema>);
  const required = new Set(s['required'] as string[]);
  const extra = s['additionalProperties'];
  const declared = fc.tuple(...props.map(([n, p]) => (required.has(n) ? valueArb(p) : fc.option(valueArb(p), { nil: undefined, freq: 2 }))));
  const extraKey = fc.stringMatching(/^k[a-z ]{0,3}$/);
  const extras = extra === undefined || extra === false ? fc.constant({}) : fc.dictionary(extraKey, valueArb(extra === true ? {} : extra as Schema), { maxKeys: 2 });
  return fc.tuple(declared, extras).map(([values, more]) =>
    Object.fromEntries([...props.map(([n], i) => [n, values[i]] as const).filter(([, v]) => v !== undefined), ...Object.entries(more)]));
}

function arrayArb(s: Schema): fc.Arbitrary<unknown> {
  const prefix = (s['prefixItems'] ?? []) as Schema[];
  const items = s['items'] as Schema | false | undefined;
  const rest = items === false ? fc.constant([]) : fc.array(valueArb(items ?? {}), {
    minLength: Math.max(0, ((s['minItems'] as number | undefined) ?? 0) - prefix.length),
    maxLength: ((s['maxItems'] as number | undefined) ?? 4) - prefix.length,
  });
  return fc.tuple(fc.tuple(...prefix.map(valueArb)), fc.nat(prefix.length), rest).map(([head, numHead, tail]) =>
    (numHead < prefix.length ? head.slice(0, numHead) : [...head, ...tail]));
}

/** Values satisfying a schema produced by schemaArb. */
export function valueArb(s: Schema): fc.Arbitrary<unknown> {
  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  if (Array.isArray(s['anyOf'])) return fc.oneof(...(s['anyOf'] as Schema[]).map(valueArb));
  if (s['type'] === undefined) return fc.jsonValue({ maxDepth: 2 }).map(normalise);
  return fc.oneof(...([] as string[]).concat(s['type'] as string).map((t) => typedArb(t, s)));
}

/** JSON with exactly one whitespace character in every slot JSON allows (and one before the value). */
export function spacedJson(value: unknown, space = ' '): string {
  const inner = (v: unknown): string => {
    if (Array.isArray(v)) return `[${space}${v.map(inner).join(`${space},${space}`)}${v.length > 0 ? space : ''}]`;
    if (typeof v === 'object' && v !== null) {
      const members = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${space}:${space}${inner(x)}`);
      return `{${space}${members.join(`${space},${space}`)}${members.length > 0 ? space : ''}}`;
    }
    return JSON.stringify(v);
  };
  return space + inner(value);
}
