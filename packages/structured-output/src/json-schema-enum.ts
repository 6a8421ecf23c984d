// `enum` / `const`: one of the listed JSON values, scalars written as JSON.stringify writes them, arrays and
// objects with the usual optional single whitespace (keys in the listed order). Invariant: with `type`, only
// values of those types are kept; an empty result is 'invalid'.

import { alt, lit, seq, type GrammarNode } from './grammar.js';
import { bracketed, comma, member } from './json-grammar.js';
import type { SchemaContext } from './schema-context.js';

function typeNames(value: unknown): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];
}

function separated(items: GrammarNode[]): GrammarNode | null {
  return items.length === 0 ? null : seq(...items.flatMap((item, i) => (i === 0 ? [item] : [comma(), item])));
}

/** Exactly `value` (JSON data), whitespace allowed where JSON allows it. */
function valueGrammar(value: unknown): GrammarNode {
  if (Array.isArray(value)) return bracketed('[', separated(value.map(valueGrammar)), ']', true);
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value).map(([k, v]) => member(lit(JSON.stringify(k)), valueGrammar(v)));
    return bracketed('{', separated(members), '}', true);
  }
  return lit(JSON.stringify(value));
}

export function enumGrammar(ctx: SchemaContext, s: Record<string, unknown>, keywords: string[], path: string): GrammarNode {
  const other = keywords.find((k) => k !== 'enum' && k !== 'const' && k !== 'type');
  if (other !== undefined) return ctx.fail(path, 'unsupported', `'${other}' alongside 'enum'/'const' is not supported`);
  if (keywords.includes('enum') && (!Array.isArray(s['enum']) || s['enum'].length === 0)) {
    return ctx.fail(path, 'invalid', "'enum' must be a non-empty array");
  }
  const values = keywords.includes('const') ? [s['const']] : (s['enum'] as unknown[]);
  const type = s['type'];
  const types = type === undefined ? null : Array.isArray(type) ? type : [type];
  const kept = values.filter((v) => types === null || typeNames(v).some((t) => types.includes(t)));
  if (kept.length === 0) return ctx.fail(path, 'invalid', "no value of 'enum'/'const' has the schema's 'type'");
  const distinct = new Map(kept.map((v) => [JSON.stringify(v), v]));
  return alt(...[...distinct.values()].map(valueGrammar));
}
