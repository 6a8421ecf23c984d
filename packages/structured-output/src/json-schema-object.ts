// The `type: "object"` part of a JSON Schema: declared properties in declaration order (optional ones may be
// skipped), `required`, and `additionalProperties` (unspecified/false: none; true/schema: extra keys after the
// declared ones, never equal to a declared name). Invariant: commas appear exactly between emitted members.

import { custom, empty, lit, optional, seq, star, type GrammarNode } from './grammar.js';
import { bracketed, comma, member } from './json-grammar.js';
import { escapePointer } from './json-pointer.js';
import { keyNotIn } from './key-not-in.js';
import type { SchemaContext } from './schema-context.js';

interface Entry {
  node: GrammarNode;
  required: boolean;
}

function readProperties(ctx: SchemaContext, schema: Record<string, unknown>, path: string): [string, unknown][] | null {
  const props = schema['properties'] ?? {};
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    ctx.fail(path, 'invalid', "'properties' must be an object");
    return null;
  }
  return Object.entries(props);
}

function readRequired(ctx: SchemaContext, schema: Record<string, unknown>, path: string): Set<string> | null {
  const required = schema['required'] ?? [];
  if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
    ctx.fail(path, 'invalid', "'required' must be an array of strings");
    return null;
  }
  return new Set(required);
}

/** The members after entry i, each preceded by a comma (built right to left, shared). */
function tails(entries: Entry[], extra: GrammarNode | null): GrammarNode[] {
  const out: GrammarNode[] = new Array(entries.length + 1);
  out[entries.length] = extra === null ? empty() : star(seq(comma(), extra));
  for (let i = entries.length - 1; i >= 0; i--) {
    const next = seq(comma(), entries[i]!.node);
    out[i] = seq(entries[i]!.required ? next : optional(next), out[i + 1]!);
  }
  return out;
}

/** Non-empty member lists: the first emitted member has no comma; members before it must be optional. */
function memberLists(entries: Entry[], extra: GrammarNode | null): GrammarNode[] {
  const after = tails(entries, extra);
  const lists: GrammarNode[] = [];
  for (let i = 0; i < entries.length; i++) {
    lists.push(seq(entries[i]!.node, after[i + 1]!));
    if (entries[i]!.required) return lists;
  }
  if (extra !== null) lists.push(seq(extra, after[entries.length]!));
  return lists;
}

export function objectGrammar(ctx: SchemaContext, schema: Record<string, unknown>, path: string): GrammarNode {
  const props = readProperties(ctx, schema, path);
  const required = readRequired(ctx, schema, path);
  if (props === null || required === null) return empty();
  const additional = schema['additionalProperties'];
  const allowsExtra = additional !== undefined && additional !== false;
  for (const name of required) {
    if (!props.some(([p]) => p === name)) {
      return ctx.fail(path, allowsExtra ? 'unsupported' : 'invalid',
        `required property '${name}' is not declared in 'properties'${allowsExtra ? ' (not supported)' : ''}`);
    }
  }
  const entries = props.map(([name, propSchema]) => ({
    node: member(lit(JSON.stringify(name)), ctx.compile(propSchema, `${path}/properties/${escapePointer(name)}`)),
    required: required.has(name),
  }));
  const extra = allowsExtra
    ? member(custom(keyNotIn(props.map(([name]) => name))), ctx.compile(additional, `${path}/additionalProperties`))
    : null;
  const lists = memberLists(entries, extra);
  if (lists.length === 0) return bracketed('{', null, '}');
  return bracketed('{', lists.length === 1 ? lists[0]! : ctx.alt(lists), '}', entries.some((e) => e.required));
}
