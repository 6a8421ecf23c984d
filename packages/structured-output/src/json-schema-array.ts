// The `type: "array"` part of a JSON Schema: prefixItems, items (schema, true/absent: any value, false: none),
// minItems/maxItems. Invariant: element i uses prefixItems[i] while i < prefixItems.length, then `items`;
// the element count n always satisfies minItems <= n <= maxItems.

import { chars, empty, optional, repeat, seq, type GrammarNode } from './grammar.js';
import { CharSet } from './char-set.js';
import { bracketed, comma } from './json-grammar.js';
import type { SchemaContext } from './schema-context.js';

interface ArrayShape {
  prefix: GrammarNode[];
  /** Elements after the prefix (null: none allowed). */
  rest: GrammarNode | null;
  minItems: number;
  maxItems: number | null;
}

function count(ctx: SchemaContext, schema: Record<string, unknown>, keyword: string, path: string): number | null {
  const v = schema[keyword];
  if (v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  ctx.fail(path, 'invalid', `'${keyword}' must be a non-negative integer`);
  return null;
}

function readShape(ctx: SchemaContext, schema: Record<string, unknown>, path: string): ArrayShape {
  const prefixSchemas = schema['prefixItems'] ?? [];
  if (!Array.isArray(prefixSchemas)) ctx.fail(path, 'invalid', "'prefixItems' must be an array of schemas");
  const prefix = (Array.isArray(prefixSchemas) ? prefixSchemas : []).map((s, i) => ctx.compile(s, `${path}/prefixItems/${i}`));
  const items = schema['items'];
  if (Array.isArray(items)) ctx.fail(path, 'unsupported', "array-form 'items' (draft-07 tuples) is not supported; use 'prefixItems'");
  const rest = items === false ? null : ctx.compile(items ?? true, `${path}/items`);
  const minItems = count(ctx, schema, 'minItems', path) ?? 0;
  const maxItems = count(ctx, schema, 'maxItems', path);
  if (maxItems !== null && maxItems < minItems) ctx.fail(path, 'invalid', "'minItems' is greater than 'maxItems'");
  return { prefix, rest, minItems, maxItems };
}

/** What may follow once `numDone` (>= 1) elements are written. */
function tail(shape: ArrayShape, numDone: number): GrammarNode {
  const { prefix, rest, minItems, maxItems } = shape;
  if (maxItems !== null && numDone >= maxItems) return empty();
  if (numDone < prefix.length) {
    const next = seq(comma(), prefix[numDone]!, tail(shape, numDone + 1));
    return numDone >= minItems ? optional(next) : next;
  }
  if (rest === null) return numDone >= minItems ? empty() : chars(CharSet.none);
  return repeat(seq(comma(), rest), Math.max(0, minItems - numDone), maxItems === null ? null : maxItems - numDone);
}

export function arrayGrammar(ctx: SchemaContext, schema: Record<string, unknown>, path: string): GrammarNode {
  const shape = readShape(ctx, schema, path);
  const first = shape.prefix[0] ?? shape.rest;
  if (first === null || shape.maxItems === 0) return shape.minItems > 0 ? chars(CharSet.none) : bracketed('[', null, ']');
  return bracketed('[', seq(first, tail(shape, 1)), ']', shape.minItems > 0);
}
