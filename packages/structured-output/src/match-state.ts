// Immutable matcher states over a Grammar: a set of "heads", each a hash-consed persistent stack whose top frame
// consumes the next code unit. Invariant: states are never mutated (only their transition memo grows); stepping
// shares stack tails, so a trie walk branches for free; equal keys mean equal futures.

import type { GrammarNode } from './grammar.js';
import { StackTable, type Stack } from './stack-table.js';

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
export class MatchState {
  private readonly generation: number;
  private readonly transitions = new Map<number, MatchState | null>();

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
    const next = closure.state();
    if (this.generation === this.table.generation) {
      this.transitions.set(unit, next);
      this.table.count();
    }
    return next;
  }

  /** The state after all of `text`, or null when text leaves the language's prefixes. */
  stepText(text: string): MatchState | null {
    let state: MatchState | null = this;
    for (let i = 0; i < text.length && state !== null; i++) state = state.step(text.charCodeAt(i));
    return state;
  }
}
