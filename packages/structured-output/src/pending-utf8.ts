// A matcher position inside an incomplete UTF-8 character: the base MatchState plus the 1..3 bytes seen so far.
// Invariant: one exists only when some character the base can take next starts with these bytes; never accepting.

import type { ByteState, MatchState } from './match-state.js';
import { prefixRange, sequenceLength } from './utf8.js';

export class PendingUtf8 implements ByteState {
  readonly isAccepting = false;
  readonly isFinal = false;
  /** The base's key plus the pending bytes: equal keys mean equal futures. */
  readonly key: string;
  private readonly transitions = new Map<number, ByteState | null>();

  private constructor(private readonly base: MatchState, private readonly bytes: readonly number[]) {
    this.key = `${base.key}|${bytes.join('.')}`;
  }

  /** The state after `bytes` (a lead byte and continuations) from `base`; null when ill-formed or not viable. */
  static after(base: MatchState, bytes: readonly number[]): ByteState | null {
    const range = prefixRange(bytes);
    if (range === null) return null;
    if (bytes.length === sequenceLength(bytes[0]!)) return base.stepCodePoint(range.lo);
    return base.canTakeCodePointIn(range.lo, range.hi) ? new PendingUtf8(base, bytes) : null;
  }

  stepByte(byte: number): ByteState | null {
    const memo = this.transitions.get(byte);
    if (memo !== undefined) return memo;
    return this.base.remember(this.transitions, byte, PendingUtf8.after(this.base, [...this.bytes, byte]));
  }
}
