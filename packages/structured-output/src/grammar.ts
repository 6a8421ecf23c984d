// The grammar every structured output compiles to: a graph of nodes (literal, char set, sequence, alternative,
// bounded/unbounded repetition, lazily resolved reference, custom char matcher). Invariant: node ids are unique
// process-wide, so a matcher state's key names its grammar position unambiguously.

import { CharSet } from './char-set.js';

/** A char-level matcher with immutable states, for languages that are awkward as nodes (e.g. keys not in a set). */
export interface CustomMatcher<S = unknown> {
  readonly start: S;
  step(state: S, unit: number): S | null;
  isAccepting(state: S): boolean;
  /** Some unit can follow (the state is not final). */
  canStep(state: S): boolean;
  /** Some unit in [lo, hi] can follow. */
  canStepIn(state: S, lo: number, hi: number): boolean;
  key(state: S): string;
}

export type GrammarNode =
  | { kind: 'lit'; id: number; text: string }
  | { kind: 'chars'; id: number; set: CharSet }
  | { kind: 'seq'; id: number; items: GrammarNode[] }
  | { kind: 'alt'; id: number; options: GrammarNode[] }
  | { kind: 'repeat'; id: number; item: GrammarNode; min: number; max: number | null }
  | { kind: 'ref'; id: number; name: string; target: GrammarNode | null }
  | { kind: 'custom'; id: number; matcher: CustomMatcher };

/** A compiled structured output: the language of `root` (vocabulary independent). */
export interface Grammar {
  readonly root: GrammarNode;
  /** What was compiled, for debugging and cache keys. */
  readonly source: string;
}

let numNodesCreated = 0;
const nextId = (): number => ++numNodesCreated;

export const lit = (text: string): GrammarNode => ({ kind: 'lit', id: nextId(), text });
export const chars = (set: CharSet): GrammarNode => ({ kind: 'chars', id: nextId(), set });
export const seq = (...items: GrammarNode[]): GrammarNode =>
  items.length === 1 ? items[0]! : { kind: 'seq', id: nextId(), items };
export const alt = (...options: GrammarNode[]): GrammarNode =>
  options.length === 1 ? options[0]! : { kind: 'alt', id: nextId(), options };
export const empty = (): GrammarNode => ({ kind: 'seq', id: nextId(), items: [] });
export const optional = (item: GrammarNode): GrammarNode => repeat(item, 0, 1);
export const repeat = (item: GrammarNode, min: number, max: number | null): GrammarNode =>
  ({ kind: 'repeat', id: nextId(), item, min, max });
export const star = (item: GrammarNode): GrammarNode => repeat(item, 0, null);
export const ref = (name: string): Extract<GrammarNode, { kind: 'ref' }> =>
  ({ kind: 'ref', id: nextId(), name, target: null });
export const custom = (matcher: CustomMatcher): GrammarNode => ({ kind: 'custom', id: nextId(), matcher });

/** Every node reachable from root (refs followed), each once. */
export function reachableNodes(root: GrammarNode): GrammarNode[] {
  const seen = new Set<GrammarNode>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...childNodes(node));
  }
  return [...seen];
}

export function childNodes(node: GrammarNode): GrammarNode[] {
  switch (node.kind) {
    case 'seq': return node.items;
    case 'alt': return node.options;
    case 'repeat': return [node.item];
    case 'ref': return node.target === null ? [] : [node.target];
    default: return [];
  }
}
