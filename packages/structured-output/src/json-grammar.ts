// Schema-independent JSON (RFC 8259) grammar pieces: whitespace, strings, numbers, literals, any value.
// Invariant: at most ONE whitespace unit (space or \n) wherever JSON allows whitespace, so a model cannot
// loop on whitespace; every builder returns fresh nodes (grammar checks may prune nodes in place).

import { CharSet } from './char-set.js';
import { alt, chars, lit, optional, ref, repeat, seq, star, type GrammarNode } from './grammar.js';

const HEX = CharSet.of([[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]);
const DIGIT = CharSet.range(0x30, 0x39);
const CONTROL = CharSet.range(0x00, 0x1f);
const SURROGATE_HIGH = CharSet.range(0xd800, 0xdbff);
const SURROGATE_LOW = CharSet.range(0xdc00, 0xdfff);
/** Units a string may contain unescaped, surrogates excluded (they come in pairs). */
const PLAIN_STRING_UNIT = CharSet.all.minus(CONTROL).minus(CharSet.chars('"\\')).minus(CharSet.range(0xd800, 0xdfff));

export const ws = (): GrammarNode => optional(chars(CharSet.chars(' \n')));

/** ws? ',' ws? */
export const comma = (): GrammarNode => seq(ws(), lit(','), ws());

const escape = (): GrammarNode =>
  seq(lit('\\'), alt(chars(CharSet.chars('"\\/bfnrt')), seq(lit('u'), ...Array.from({ length: 4 }, () => chars(HEX)))));

/** One character of string content: a plain unit, a surrogate pair, or an escape. */
const stringChar = (): GrammarNode =>
  alt(chars(PLAIN_STRING_UNIT), seq(chars(SURROGATE_HIGH), chars(SURROGATE_LOW)), escape());

/** A JSON string with between minLength and maxLength characters (code points; an escape counts as one). */
export const jsonString = (minLength = 0, maxLength: number | null = null): GrammarNode =>
  seq(lit('"'), repeat(stringChar(), minLength, maxLength), lit('"'));

const digits1 = (): GrammarNode => repeat(chars(DIGIT), 1, null);
const naturalPart = (): GrammarNode => alt(lit('0'), seq(chars(CharSet.range(0x31, 0x39)), star(chars(DIGIT))));

export const jsonInteger = (): GrammarNode => seq(optional(lit('-')), naturalPart());

export const jsonNumber = (): GrammarNode =>
  seq(
    jsonInteger(),
    optional(seq(lit('.'), digits1())),
    optional(seq(chars(CharSet.chars('eE')), optional(chars(CharSet.chars('+-'))), digits1())),
  );

/** open ws? (items ws?)? close, where `items` (null: none allowed) is a non-empty element list. */
export function bracketed(open: string, items: GrammarNode | null, close: string, itemsRequired = false): GrammarNode {
  if (items === null) return seq(lit(open), ws(), lit(close));
  const body = seq(items, ws());
  return seq(lit(open), ws(), itemsRequired ? body : optional(body), lit(close));
}

/** item (ws? ',' ws? item)* */
const commaList = (item: () => GrammarNode): GrammarNode => seq(item(), star(seq(comma(), item())));

/** "key" ws? ':' ws? value */
export const member = (key: GrammarNode, value: GrammarNode): GrammarNode => seq(key, ws(), lit(':'), ws(), value);

/** Any JSON object whose values are any JSON values. */
export function anyObject(value: GrammarNode): GrammarNode {
  return bracketed('{', commaList(() => member(jsonString(), value)), '}');
}

/** Any JSON value (recursive through a resolved reference). */
export function anyValue(): GrammarNode {
  const self = ref('any JSON value');
  self.target = alt(
    anyObject(self),
    bracketed('[', commaList(() => self), ']'),
    jsonString(),
    jsonNumber(),
    lit('true'),
    lit('false'),
    lit('null'),
  );
  return self;
}
