// The JSON object key of an additional property: a quoted string without escapes whose content is not one of
// the declared property names. Invariant: a state is either still a prefix of some declared name or diverged
// (prefix null), so the matcher stays finite; every non-closed state can still be closed.

import type { CustomMatcher } from './grammar.js';

type KeyState =
  | { phase: 'before' }
  | { phase: 'inside'; prefix: string | null }
  | { phase: 'closed' };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isPlainKeyUnit(unit: number): boolean {
  return unit >= 0x20 && unit !== QUOTE && unit !== BACKSLASH;
}

/** Whether [lo, hi] holds a plain key unit: at least one unit from 0x20 up that is neither quote nor backslash. */
function hasPlainKeyUnitIn(lo: number, hi: number): boolean {
  const from = Math.max(lo, 0x20);
  const numExcluded = [QUOTE, BACKSLASH].filter((u) => u >= from && u <= hi).length;
  return hi - from + 1 > numExcluded;
}

export function keyNotIn(names: readonly string[]): CustomMatcher<KeyState> {
  const excluded = new Set(names);
  const prefixes = new Set(names.flatMap((n) => Array.from({ length: n.length + 1 }, (_, i) => n.slice(0, i))));
  return {
    start: { phase: 'before' },
    step(state, unit) {
      if (state.phase === 'before') return unit === QUOTE ? { phase: 'inside', prefix: '' } : null;
      if (state.phase === 'closed') return null;
      if (unit === QUOTE) return state.prefix !== null && excluded.has(state.prefix) ? null : { phase: 'closed' };
      if (!isPlainKeyUnit(unit)) return null;
      const longer = state.prefix === null ? null : state.prefix + String.fromCharCode(unit);
      return { phase: 'inside', prefix: longer !== null && prefixes.has(longer) ? longer : null };
    },
    isAccepting: (state) => state.phase === 'closed',
    canStep: (state) => state.phase !== 'closed',
    canStepIn: (state, lo, hi) => (state.phase === 'before' ? lo <= QUOTE && QUOTE <= hi : state.phase === 'inside' && hasPlainKeyUnitIn(lo, hi)),
    key: (state) => (state.phase === 'inside' ? `i${state.prefix === null ? '*' : JSON.stringify(state.prefix)}` : state.phase),
  };
}
