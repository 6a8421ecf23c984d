// The escape sequences of the supported ECMAScript regex subset (non-unicode mode, UTF-16 code units).
// Invariant: an escape is a char set (\d, \n, \x41 ...) or a precise refusal; it never silently changes meaning.

import { CharSet, DIGIT, JS_SPACE, WORD } from './char-set.js';

export type EscapeResult =
  | { ok: true; set: CharSet; numUnits: number; isClass: boolean }
  | { ok: false; code: 'unsupported' | 'invalid'; message: string };

const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT, D: DIGIT.complement(), w: WORD, W: WORD.complement(), s: JS_SPACE, S: JS_SPACE.complement(),
};
const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b };

const single = (unit: number, numUnits: number): EscapeResult =>
  ({ ok: true, set: CharSet.range(unit, unit), numUnits, isClass: false });

function hexEscape(src: string, at: number, numDigits: number): EscapeResult {
  const digits = src.slice(at + 1, at + 1 + numDigits);
  if (!new RegExp(`^[0-9a-fA-F]{${numDigits}}$`).test(digits)) {
    return { ok: false, code: 'unsupported', message: `'\\${src[at]}' must be followed by ${numDigits} hex digits` };
  }
  return single(parseInt(digits, 16), 1 + numDigits);
}

/** Parses the escape whose letter is at src[at] (just after the backslash). */
export function parseEscape(src: string, at: number, inClass: boolean): EscapeResult {
  const c = src[at];
  if (c === undefined) return { ok: false, code: 'invalid', message: 'pattern ends with a lone backslash' };
  const cls = CLASS_ESCAPES[c];
  if (cls !== undefined) return { ok: true, set: cls, numUnits: 1, isClass: true };
  const control = CONTROL_ESCAPES[c];
  if (control !== undefined) return single(control, 1);
  if (c === 'b' && inClass) return single(0x08, 1);
  if (c === '0' && !/[0-9]/.test(src[at + 1] ?? '')) return single(0, 1);
  if (c === 'x') return hexEscape(src, at, 2);
  if (c === 'u') return src[at + 1] === '{'
    ? { ok: false, code: 'unsupported', message: "'\\u{...}' escapes need the u flag (not supported)" }
    : hexEscape(src, at, 4);
  if (c === 'b' || c === 'B') return { ok: false, code: 'unsupported', message: `word boundary '\\${c}' is not supported` };
  if (/[1-9]/.test(c)) return { ok: false, code: 'unsupported', message: `backreference '\\${c}' is not supported` };
  if (/[0-9A-Za-z]/.test(c)) return { ok: false, code: 'unsupported', message: `escape '\\${c}' is not supported` };
  return single(src.charCodeAt(at), 1);
}
