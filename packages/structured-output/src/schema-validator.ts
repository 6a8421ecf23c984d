// Test support: an independent validator for the supported JSON Schema subset (no grammar code), used to check
// that constrained outputs satisfy their schema. Invariant: written from the JSON Schema rules, not from the
// compiler; additionalProperties unspecified means none (the strict default this package enforces).

import { isDeepStrictEqual } from 'node:util';
import { resolvePointer } from './json-pointer.js';

type Schema = Record<string, unknown> | boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number';
    case 'integer': return Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    default: return false;
  }
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y);
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const FORMATS: Record<string, (s: string) => boolean> = {
  date: validDate,
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => s.split('.').length === 4 && s.split('.').every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255),
};

function stringOk(s: Record<string, unknown>, v: string): boolean {
  const numChars = [...v].length;
  if (typeof s['minLength'] === 'number' && numChars < s['minLength']) return false;
  if (typeof s['maxLength'] === 'number' && numChars > s['maxLength']) return false;
  if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern']).test(v)) return false;
  return typeof s['format'] !== 'string' || FORMATS[s['format']]!(v);
}

function objectOk(s: Record<string, unknown>, v: Record<string, unknown>, root: Schema): boolean {
  const props = (s['properties'] ?? {}) as Record<string, Schema>;
  const required = (s['required'] ?? []) as string[];
  if (!required.every((r) => Object.hasOwn(v, r))) return false;
  const extra = s['additionalProperties'] ?? false;
  return Object.entries(v).every(([k, x]) =>
    Object.hasOwn(props, k) ? validate(props[k]!, x, root) : extra !== false && validate(extra as Schema, x, root));
}

function arrayOk(s: Record<string, unknown>, v: unknown[], root: Schema): boolean {
  const prefix = (s['prefixItems'] ?? []) as Schema[];
  const items = (s['items'] ?? true) as Schema;
  if (typeof s['minItems'] === 'number' && v.length < s['minItems']) return false;
  if (typeof s['maxItems'] === 'number' && v.length > s['maxItems']) return false;
  return v.every((x, i) => validate(i < prefix.length ? prefix[i]! : items, x, root));
}

/** Whether `value` satisfies `schema` (root: the document local $refs resolve in). */
export function validate(schema: Schema, value: unknown, root: Schema = schema): boolean {
  if (typeof schema === 'boolean') return schema;
  const s = schema;
  if (typeof s['$ref'] === 'string') return validate(resolvePointer(root, s['$ref'].slice(1)).value as Schema, value, root);
  for (const k of ['anyOf', 'oneOf']) if (Array.isArray(s[k]) && !(s[k] as Schema[]).some((m) => validate(m, value, root))) return false;
  if (Array.isArray(s['allOf']) && !(s['allOf'] as Schema[]).every((m) => validate(m, value, root))) return false;
  if ('const' in s && !isDeepStrictEqual(s['const'], value)) return false;
  if (Array.isArray(s['enum']) && !s['enum'].some((e) => isDeepStrictEqual(e, value))) return false;
  const types = s['type'] === undefined ? null : ([] as string[]).concat(s['type'] as string);
  if (types !== null && !types.some((t) => typeMatches(t, value))) return false;
  if (typeof value === 'string') return stringOk(s, value);
  if (Array.isArray(value)) return arrayOk(s, value, root);
  const isObjectSchema = types?.includes('object') || ['properties', 'required', 'additionalProperties'].some((k) => k in s);
  return !isObject(value) || !isObjectSchema || objectOk(s, value, root);
}
