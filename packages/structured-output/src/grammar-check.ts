// Whole-grammar checks run once at compile time: productivity (can a node derive a finite string?), nullability,
// pruning of branches that cannot complete, and left recursion. Invariant: after pruneDeadEnds every node a
// matcher can enter is productive, so every viable prefix can still be completed.

import { childNodes, reachableNodes, type GrammarNode } from './grammar.js';

export type GrammarDefect =
  | { kind: 'empty-language'; node: GrammarNode }
  | { kind: 'left-recursion'; refName: string };

/** Least fixpoint of a monotone node predicate over the reachable graph. */
function fixpoint(nodes: GrammarNode[], rule: (node: GrammarNode, holds: Set<GrammarNode>) => boolean): Set<GrammarNode> {
  const holds = new Set<GrammarNode>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodes) {
      if (!holds.has(node) && rule(node, holds)) {
        holds.add(node);
        changed = true;
      }
    }
  }
  return holds;
}

function productiveRule(node: GrammarNode, p: Set<GrammarNode>): boolean {
  switch (node.kind) {
    case 'lit': case 'custom': return true;
    case 'chars': return !node.set.isEmpty;
    case 'seq': return node.items.every((n) => p.has(n));
    case 'alt': return node.options.some((n) => p.has(n));
    case 'repeat': return isSatisfiableCount(node) && (node.min === 0 || p.has(node.item));
    case 'ref': return node.target !== null && p.has(node.target);
  }
}

/** A repetition whose maximum is below its minimum (e.g. minLength > maxLength) matches nothing. */
const isSatisfiableCount = (node: Extract<GrammarNode, { kind: 'repeat' }>): boolean => node.max === null || node.max >= node.min;

function nullableRule(node: GrammarNode, n: Set<GrammarNode>): boolean {
  switch (node.kind) {
    case 'lit': return node.text === '';
    case 'chars': return false;
    case 'custom': return node.matcher.isAccepting(node.matcher.start);
    case 'seq': return node.items.every((i) => n.has(i));
    case 'alt': return node.options.some((o) => n.has(o));
    case 'repeat': return isSatisfiableCount(node) && (node.min === 0 || n.has(node.item));
    case 'ref': return node.target !== null && n.has(node.target);
  }
}

export function productiveNodes(root: GrammarNode): Set<GrammarNode> {
  return fixpoint(reachableNodes(root), productiveRule);
}

/** Nodes a matcher may enter before consuming any unit once it enters `node`. */
function startChildren(node: GrammarNode, nullable: Set<GrammarNode>): GrammarNode[] {
  if (node.kind === 'seq') {
    const firstSolid = node.items.find((i) => !nullable.has(i));
    return firstSolid === undefined ? node.items : node.items.slice(0, node.items.indexOf(firstSolid) + 1);
  }
  if (node.kind === 'repeat' && node.max === 0) return [];
  return childNodes(node);
}

function findLeftRecursion(root: GrammarNode): string | null {
  const nullable = fixpoint(reachableNodes(root), nullableRule);
  const state = new Map<GrammarNode, 'open' | 'done'>();
  const visit = (node: GrammarNode): string | null => {
    const s = state.get(node);
    if (s === 'done') return null;
    if (s === 'open') return node.kind === 'ref' ? node.name : '';
    state.set(node, 'open');
    for (const child of startChildren(node, nullable)) {
      const found = visit(child);
      if (found !== null) return found === '' && node.kind === 'ref' ? node.name : found;
    }
    state.set(node, 'done');
    return null;
  };
  return visit(root);
}

/** Drops alternatives and repetitions that cannot complete; reports an empty language or left recursion. */
export function pruneDeadEnds(root: GrammarNode): GrammarDefect | null {
  const productive = productiveNodes(root);
  if (!productive.has(root)) return { kind: 'empty-language', node: root };
  for (const node of reachableNodes(root)) {
    if (node.kind === 'alt') node.options = node.options.filter((o) => productive.has(o));
    if (node.kind === 'repeat' && !productive.has(node.item)) node.max = 0;
  }
  const refName = findLeftRecursion(root);
  return refName === null ? null : { kind: 'left-recursion', refName };
}
