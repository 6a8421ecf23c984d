// JSON integers within inclusive bounds (minimum/maximum/exclusive* of `type: "integer"`), as a custom matcher
// over the digits typed so far. Invariant: a state is kept only while some extension of it is an integer in range
// (exact, with BigInt), so the matcher never leads into a dead end.

import type { CustomMatcher } from './grammar.js';

export interface IntegerBounds {
  min: bigint | null;
  max: bigint | null;
}

const COMPLETE = /^-?(0|[1-9]\d*)$/;
const NEXT_CHARS = '-0123456789';

const inRange = (v: bigint, b: IntegerBounds): boolean => (b.min === null || v >= b.min) && (b.max === null || v <= b.max);

/** Whether some integer written with this prefix lies within the bounds. */
function isViable(prefix: string, b: IntegerBounds): boolean {
  const isNegative = prefix.startsWith('-');
  const digits = isNegative ? prefix.slice(1) : prefix;
  if (digits === '') return isNegative ? b.min === null || b.min < 0n : true;
  if (digits.startsWith('0')) return digits === '0' && inRange(0n, b);
  const limit = isNegative ? (b.min === null ? null : -b.min) : b.max;
  const floor = isNegative ? (b.max === null ? null : -b.max) : b.min;
  if (limit === null) return true;
  const d = BigInt(digits);
  for (let scale = 1n; d * scale <= limit; scale *= 10n) {
    const [lo, hi] = [d * scale, (d + 1n) * scale - 1n];
    if (floor === null || hi >= floor) return lo <= limit;
  }
  return false;
}

export function integerRange(bounds: IntegerBounds): CustomMatcher<string> {
  const step = (state: string, unit: number): string | null => {
    const ch = String.fromCharCode(unit);
    if (!NEXT_CHARS.includes(ch) || (ch === '-' && state !== '') || /^-?0$/.test(state)) return null;
    return isViable(state + ch, bounds) ? state + ch : null;
  };
  return {
    start: '',
    step,
    isAccepting: (state) => COMPLETE.test(state) && inRange(BigInt(state), bounds),
    canStep: (state) => [...NEXT_CHARS].some((ch) => step(state, ch.charCodeAt(0)) !== null),
    canStepIn: (state, lo, hi) => [...NEXT_CHARS].some((ch) => {
      const unit = ch.charCodeAt(0);
      return unit >= lo && unit <= hi && step(state, unit) !== null;
    }),
    key: (state) => state,
  };
}

/** Integer bounds from a schema's minimum/maximum/exclusiveMinimum/exclusiveMaximum (numbers). */
export function integerBounds(s: Record<string, unknown>): IntegerBounds | 'bad' {
  const values = ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'].map((k) => s[k]);
  if (values.some((v) => v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))) return 'bad';
  const [min, exclusiveMin, max, exclusiveMax] = values as (number | undefined)[];
  const lows = [min === undefined ? null : BigInt(Math.ceil(min)), exclusiveMin === undefined ? null : BigInt(Math.floor(exclusiveMin)) + 1n];
  const highs = [max === undefined ? null : BigInt(Math.floor(max)), exclusiveMax === undefined ? null : BigInt(Math.ceil(exclusiveMax)) - 1n];
  const pick = (xs: (bigint | null)[], better: (a: bigint, b: bigint) => boolean): bigint | null =>
    xs.reduce<bigint | null>((acc, x) => (x === null ? acc : acc === null || better(x, acc) ? x : acc), null);
  return { min: pick(lows, (a, b) => a > b), max: pick(highs, (a, b) => a < b) };
}
