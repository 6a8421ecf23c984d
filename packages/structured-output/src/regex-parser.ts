// Compiles the supported ECMAScript regex subset to grammar nodes (a Thompson-style NFA over code units):
// literals, escapes, classes, '.', groups, alternation, greedy/lazy quantifiers, '^'/'$' only at the ends.
// Invariant: the language is exactly what `new RegExp('^(?:' + p + ')$')` (no flags) fully matches.

import type { StructuredOutputError } from '@mini-dynamo/protocol';
import { CharSet, NOT_LINE_TERMINATOR } from './char-set.js';
import { alt, chars, empty, repeat, seq, type GrammarNode } from './grammar.js';
import { parseEscape } from './regex-escapes.js';

export interface ParsedRegex {
  node: GrammarNode;
  anchoredStart: boolean;
  anchoredEnd: boolean;
  hasTopLevelAlternation: boolean;
}

/** Largest repetition bound accepted in a {n,m} quantifier. */
const MAX_REPEAT_BOUND = 10_000;

class RegexParser {
  pos = 0;
  error: StructuredOutputError | null = null;
  anchoredEnd = false;

  constructor(readonly src: string) {}

  fail(code: StructuredOutputError['code'], message: string): GrammarNode {
    this.error ??= { code, message: `pattern at offset ${this.pos}: ${message}` };
    this.pos = this.src.length;
    return empty();
  }

  alternation(depth: number): GrammarNode[] {
    const options = [this.concat(depth)];
    while (this.error === null && this.src[this.pos] === '|') {
      this.pos++;
      options.push(this.concat(depth));
    }
    return options;
  }

  concat(depth: number): GrammarNode {
    const items: GrammarNode[] = [];
    while (this.error === null && this.pos < this.src.length && !'|)'.includes(this.src[this.pos]!)) {
      if (this.src[this.pos] === '$' && this.pos === this.src.length - 1 && depth === 0) {
        this.pos++;
        this.anchoredEnd = true;
      } else items.push(this.quantified(this.atom(depth)));
    }
    return seq(...items);
  }

  quantified(atom: GrammarNode): GrammarNode {
    const bounds = this.quantifier();
    if (bounds === null) return atom;
    if (this.src[this.pos] === '?') this.pos++;
    if (bounds.min > MAX_REPEAT_BOUND || (bounds.max ?? 0) > MAX_REPEAT_BOUND) {
      return this.fail('unsupported', `repetition bounds above ${MAX_REPEAT_BOUND} are not supported`);
    }
    if (bounds.max !== null && bounds.max < bounds.min) return this.fail('invalid', 'numbers out of order in {} quantifier');
    if (this.quantifierAhead()) return this.fail('invalid', 'nothing to repeat');
    return repeat(atom, bounds.min, bounds.max);
  }

  quantifierAhead(): boolean {
    const c = this.src[this.pos];
    return c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos)));
  }

  quantifier(): { min: number; max: number | null } | null {
    const c = this.src[this.pos];
    const simple = c === '*' ? { min: 0, max: null } : c === '+' ? { min: 1, max: null } : c === '?' ? { min: 0, max: 1 } : null;
    if (simple !== null) {
      this.pos++;
      return simple;
    }
    if (c !== '{') return null;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
    if (m === null) {
      this.fail('unsupported', "a literal '{' must be escaped as '\\{'");
      return null;
    }
    this.pos += m[0].length;
    const min = Number(m[1]);
    return { min, max: m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]) };
  }

  atom(depth: number): GrammarNode {
    const c = this.src[this.pos]!;
    if (c === '(') return this.group(depth);
    if (c === '[') return this.charClass();
    if ('*+?'.includes(c) || (c === '{' && this.quantifierAhead())) return this.fail('invalid', 'nothing to repeat');
    this.pos++;
    if (c === '.') return chars(NOT_LINE_TERMINATOR);
    if (c === '^') return this.fail('unsupported', "'^' is only supported at the start of the pattern");
    if (c === '$') return this.fail('unsupported', "'$' is only supported at the end of the pattern");
    if (c === '\\') {
      const escaped = this.escape(false);
      return escaped === null ? empty() : chars(escaped.set);
    }
    return chars(CharSet.range(c.charCodeAt(0), c.charCodeAt(0)));
  }

  /** Parses an escape after its backslash; null on error (recorded). */
  escape(inClass: boolean): { set: CharSet; isClass: boolean } | null {
    const r = parseEscape(this.src, this.pos, inClass);
    if (!r.ok) {
      this.fail(r.code, r.message);
      return null;
    }
    this.pos += r.numUnits;
    return { set: r.set, isClass: r.isClass };
  }

  group(depth: number): GrammarNode {
    this.pos++;
    if (this.src[this.pos] === '?') {
      if (this.src[this.pos + 1] !== ':') return this.fail('unsupported', 'lookaround, named groups and inline flags are not supported');
      this.pos += 2;
    }
    const options = this.alternation(depth + 1);
    if (this.error !== null) return empty();
    if (this.src[this.pos] !== ')') return this.fail('invalid', 'unterminated group');
    this.pos++;
    return alt(...options);
  }

  charClass(): GrammarNode {
    this.pos++;
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    let set = CharSet.none;
    while (this.error === null && this.src[this.pos] !== ']') {
      if (this.pos >= this.src.length) return this.fail('invalid', 'unterminated character class');
      set = set.union(this.classRange());
    }
    this.pos++;
    return chars(negated ? set.complement() : set);
  }

  /** One class member: a unit, an escape, or a range lo-hi. */
  classRange(): CharSet {
    const lo = this.classUnit();
    if (lo === null || this.src[this.pos] !== '-' || this.src[this.pos + 1] === ']' || this.pos + 1 >= this.src.length) {
      return lo?.set ?? CharSet.none;
    }
    this.pos++;
    const hi = this.classUnit();
    if (hi === null) return CharSet.none;
    if (lo.isClass || hi.isClass) return lo.set.union(CharSet.chars('-')).union(hi.set);
    const [a, b] = [lo.set.ranges[0]!, hi.set.ranges[0]!];
    if (a > b) {
      this.fail('invalid', 'range out of order in character class');
      return CharSet.none;
    }
    return CharSet.range(a, b);
  }

  classUnit(): { set: CharSet; isClass: boolean } | null {
    const c = this.src.charCodeAt(this.pos);
    this.pos++;
    if (c === 0x5c) return this.escape(true);
    return { set: CharSet.range(c, c), isClass: false };
  }
}

/** Parses a pattern; '^'/'$' are only accepted as its first/last character. */
export function parseRegex(pattern: string): { ok: true; value: ParsedRegex } | { ok: false; error: StructuredOutputError } {
  const parser = new RegexParser(pattern);
  const anchoredStart = pattern.startsWith('^');
  if (anchoredStart) parser.pos = 1;
  const options = parser.alternation(0);
  if (parser.error === null && parser.pos < pattern.length) parser.fail('invalid', "unmatched ')'");
  if (parser.error !== null) return { ok: false, error: parser.error };
  return {
    ok: true,
    value: { node: alt(...options), anchoredStart, anchoredEnd: parser.anchoredEnd, hasTopLevelAlternation: options.length > 1 },
  };
}
