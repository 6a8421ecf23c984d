// Immutable matcher states over a Grammar: a set of "heads", each a hash-consed persistent stack whose top frame
// consumes the next code unit. Invariant: states are never mutated (only their transition memo grows); stepping
// shares stack tails, so a trie walk branches for free; equal keys mean equal futures. Bytes step it as UTF-8:
// ASCII steps directly, a multi-byte character waits in a PendingUtf8 and steps its UTF-16 units once complete.

import type { GrammarNode } from './grammar.js';
import { PendingUtf8 } from './pending-utf8.js';
import { StackTable, type Frame, type Stack } from './stack-table.js';
import { highSurrogate, lowSurrogate } from './utf8.js';

/** A matcher position reached by UTF-8 bytes (a MatchState, or one inside an incomplete character). */
export interface ByteState {
  /** Canonical key: equal keys mean equal futures. */
  readonly key: string;
  readonly isAccepting: boolean;
  /** Nothing may follow. */
  readonly isFinal: boolean;
  stepByte(byte: number): ByteState | null;
}

/** Whether a head's top frame can consume some code unit in [lo, hi]. */
function frameAllowsIn(frame: Frame, lo: number, hi: number): boolean {
  const { node, pos, custom } = frame;
  if (node.kind === 'lit') {
    const unit = node.text.charCodeAt(pos);
    return unit >= lo && unit <= hi;
  }
  if (node.kind === 'chars') return node.set.intersectsRange(lo, hi);
  return node.kind === 'custom' && node.matcher.canStepIn(custom, lo, hi);
}

/** Expands stacks until their top frame consumes input (the epsilon closure), collecting heads. */
class Closure {
  readonly heads: Stack[] = [];
  accepting = false;
  private readonly seen = new Set<Stack>();

  constructor(private readonly table: StackTable<MatchState>) {}

  add(stack: Stack | null): void {
    if (stack === null) {
      this.accepting = true;
      return;
    }
    if (this.seen.has(stack)) return;
    this.seen.add(stack);
    this.expand(stack, stack.frame.node, stack.frame.pos, stack.next);
  }

  private push(node: GrammarNode, pos: number, next: Stack | null): Stack {
    return this.table.push(node, pos, next);
  }

  private expand(stack: Stack, node: GrammarNode, pos: number, rest: Stack | null): void {
    switch (node.kind) {
      case 'lit':
        if (pos === node.text.length) this.add(rest);
        else this.heads.push(stack);
        return;
      case 'chars':
        this.heads.push(stack);
        return;
      case 'seq':
        if (pos === node.items.length) this.add(rest);
        else this.add(this.push(node.items[pos]!, 0, pos + 1 === node.items.length ? rest : this.push(node, pos + 1, rest)));
        return;
      case 'alt':
        for (const option of node.options) this.add(this.push(option, 0, rest));
        return;
      case 'repeat':
        this.expandRepeat(node, pos, rest);
        return;
      case 'ref':
        this.add(this.push(node.target!, 0, rest));
        return;
      case 'custom':
        if (node.matcher.isAccepting(stack.frame.custom)) this.add(rest);
        if (node.matcher.canStep(stack.frame.custom)) this.heads.push(stack);
        return;
    }
  }

  private expandRepeat(node: Extract<GrammarNode, { kind: 'repeat' }>, numDone: number, rest: Stack | null): void {
    if (numDone >= node.min) this.add(rest);
    if (node.max !== null && numDone >= node.max) return;
    const numNext = node.max === null ? Math.min(numDone + 1, node.min) : numDone + 1;
    this.add(this.push(node.item, 0, this.push(node, numNext, rest)));
  }

  /** Advances one head past `unit`, adding the resulting stacks. */
  advance(head: Stack, unit: number): void {
    const { node, pos, custom } = head.frame;
    if (node.kind === 'lit') {
      if (node.text.charCodeAt(pos) === unit) this.add(pos + 1 === node.text.length ? head.next : this.push(node, pos + 1, head.next));
    } else if (node.kind === 'chars') {
      if (node.set.has(unit)) this.add(head.next);
    } else if (node.kind === 'custom') {
      const nextState = node.matcher.step(custom, unit);
      if (nextState !== null) this.add(this.table.push(node, 0, head.next, nextState));
    }
  }

  state(): MatchState | null {
    if (this.heads.length === 0 && !this.accepting) return null;
    const key = this.heads.map((h) => h.serial).sort((a, b) => a - b).join(',') + (this.accepting ? '$' : '');
    return this.table.state(key, () => new MatchState(this.table, this.heads, this.accepting, key));
  }
}

/** A viable prefix's set of positions in the grammar (interned: equal states are one object per table). */
export class MatchState implements ByteState {
  private readonly generation: number;
  private readonly transitions = new Map<number, MatchState | null>();
  /** Lead bytes (0x80 and up) to the pending character they start. */
  private readonly leadTransitions = new Map<number, ByteState | null>();

  constructor(
    private readonly table: StackTable<MatchState>,
    private readonly heads: readonly Stack[],
    readonly isAccepting: boolean,
    /** Canonical key: equal keys mean equal futures. */
    readonly key: string,
  ) {
    this.generation = table.generation;
  }

  static initial(root: GrammarNode): MatchState {
    const table = new StackTable<MatchState>();
    const closure = new Closure(table);
    closure.add(table.push(root, 0, null));
    return closure.state() ?? new MatchState(table, [], false, '');
  }

  /** Nothing may follow: no head can consume a unit. */
  get isFinal(): boolean {
    return this.heads.length === 0;
  }

  step(unit: number): MatchState | null {
    const memo = this.transitions.get(unit);
    if (memo !== undefined) return memo;
    const closure = new Closure(this.table);
    for (const head of this.heads) closure.advance(head, unit);
    return this.remember(this.transitions, unit, closure.state());
  }

  /** Memoises `value` under `key` while this state's table generation is current (bounded memory); returns it. */
  remember<K, V>(memo: Map<K, V>, key: K, value: V): V {
    if (this.generation === this.table.generation) {
      memo.set(key, value);
      this.table.count();
    }
    return value;
  }

  stepByte(byte: number): ByteState | null {
    if (byte < 0x80) return this.step(byte);
    const memo = this.leadTransitions.get(byte);
    if (memo !== undefined) return memo;
    return this.remember(this.leadTransitions, byte, PendingUtf8.after(this, [byte]));
  }

  /** A whole character: one code unit, or a surrogate pair above U+FFFF. */
  stepCodePoint(codePoint: number): MatchState | null {
    if (codePoint < 0x10000) return this.step(codePoint);
    return this.step(highSurrogate(codePoint))?.step(lowSurrogate(codePoint)) ?? null;
  }

  /** Whether some head can consume a code unit in [lo, hi]. */
  allowsUnitIn(lo: number, hi: number): boolean {
    return this.heads.some((head) => frameAllowsIn(head.frame, lo, hi));
  }

  /** Whether some character in [lo, hi] (all BMP or all supplementary) can come next. */
  canTakeCodePointIn(lo: number, hi: number): boolean {
    if (hi < 0x10000) return this.allowsUnitIn(lo, hi);
    if (!this.allowsUnitIn(highSurrogate(lo), highSurrogate(hi))) return false;
    for (let first = lo; first <= hi; first = (first | 0x3ff) + 1) {
      const high = highSurrogate(first);
      if (!this.allowsUnitIn(high, high)) continue;
      const last = Math.min(hi, first | 0x3ff);
      if (this.step(high)?.allowsUnitIn(lowSurrogate(first), lowSurrogate(last))) return true;
    }
    return false;
  }

  /** The state after all of `text`, or null when text leaves the language's prefixes. */
  stepText(text: string): MatchState | null {
    let state: MatchState | null = this;
    for (let i = 0; i < text.length && state !== null; i++) state = state.step(text.charCodeAt(i));
    return state;
  }
}
