// Hash-consing of matcher stacks and states for one grammar: structurally equal stacks are one object with one
// serial, and equal states (same head serials, same acceptance) are one MatchState-like entry, so per-state
// transition memos pay off. Invariant: a serial names one immutable stack forever (serials are never reused);
// the table resets itself past NUM_MAX_ENTRIES, which only costs re-computation.

import type { GrammarNode } from './grammar.js';

export interface Frame {
  readonly node: GrammarNode;
  /** seq: next item index; repeat: repetitions done (capped at min when unbounded); lit: units matched. */
  readonly pos: number;
  /** A custom node's matcher state (undefined for other nodes). */
  readonly custom: unknown;
}

export interface Stack {
  readonly frame: Frame;
  readonly next: Stack | null;
  readonly serial: number;
}

/** Stacks + states + memoised transitions kept before the table starts afresh. */
const NUM_MAX_ENTRIES = 250_000;

let numSerials = 0;

export class StackTable<S> {
  generation = 0;
  private numEntries = 0;
  private stacks = new Map<string, Stack>();
  private states = new Map<string, S>();

  push(node: GrammarNode, pos: number, next: Stack | null, customState?: unknown): Stack {
    const custom = node.kind === 'custom' ? (customState ?? node.matcher.start) : undefined;
    const frameKey = node.kind === 'custom' ? `${node.id}~${node.matcher.key(custom)}` : `${node.id}.${pos}`;
    const key = next === null ? frameKey : `${frameKey}@${next.serial}`;
    let stack = this.stacks.get(key);
    if (stack === undefined) {
      stack = { frame: { node, pos, custom }, next, serial: ++numSerials };
      this.stacks.set(key, stack);
      this.count();
    }
    return stack;
  }

  /** The interned state for `key`, built by `make` on first sight. */
  state(key: string, make: () => S): S {
    let state = this.states.get(key);
    if (state === undefined) {
      state = make();
      this.states.set(key, state);
      this.count();
    }
    return state;
  }

  /** Accounts for one memoised transition. */
  count(): void {
    if (++this.numEntries <= NUM_MAX_ENTRIES) return;
    this.generation++;
    this.numEntries = 0;
    this.stacks = new Map();
    this.states = new Map();
  }
}
