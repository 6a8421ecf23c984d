// Rewrites a regex grammar over decoded string content into one over JSON string source text: units that JSON
// must escape (", \, controls) are replaced by their canonical escape (JSON.stringify's form).
// Invariant: the result matches exactly the JSON.stringify-style encodings of the strings the input matches.

import { CharSet } from './char-set.js';
import { alt, chars, lit, repeat, seq, type GrammarNode } from './grammar.js';

const NEEDS_ESCAPE = CharSet.range(0x00, 0x1f).union(CharSet.chars('"\\'));
const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

function escapeUnit(unit: number): string {
  return SHORT_ESCAPES[unit] ?? `\\u${unit.toString(16).padStart(4, '0')}`;
}

function escapedUnits(set: CharSet): number[] {
  const units: number[] = [];
  const special = set.intersect(NEEDS_ESCAPE).ranges;
  for (let i = 0; i < special.length; i += 2) for (let u = special[i]!; u <= special[i + 1]!; u++) units.push(u);
  return units;
}

/** A copy of a regex grammar (a tree: no refs, no custom nodes) that matches JSON-escaped text. */
export function jsonEscaped(node: GrammarNode): GrammarNode {
  switch (node.kind) {
    case 'chars': {
      const specials = escapedUnits(node.set);
      if (specials.length === 0) return node;
      return alt(chars(node.set.minus(NEEDS_ESCAPE)), ...specials.map((u) => lit(escapeUnit(u))));
    }
    case 'lit': return lit(JSON.stringify(node.text).slice(1, -1));
    case 'seq': return node.items.length === 0 ? node : seq(...node.items.map(jsonEscaped));
    case 'alt': return alt(...node.options.map(jsonEscaped));
    case 'repeat': return repeat(jsonEscaped(node.item), node.min, node.max);
    default: return node;
  }
}
