// Conformance suite every PrefixIndex runs (KvIndexer, ApproxIndexer): prefix semantics, early
// exit on a broken chain, per-worker isolation and whole-worker removal.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes, type BlockHash } from '@mini-dynamo/protocol';
import type { PrefixIndex } from './prefix-index.js';

export interface PrefixIndexHarness {
  index: PrefixIndex;
  /** Make `workerId` hold exactly these blocks (in addition to what it holds). */
  hold(workerId: string, blockHashes: BlockHash[]): void;
}

const tokens = (n: number, offset = 0): number[] => Array.from({ length: n }, (_, i) => i + offset);

export function prefixIndexConformance(name: string, make: () => PrefixIndexHarness): void {
  describe(`PrefixIndex conformance: ${name}`, () => {
    const prompt = computeBlockHashes(tokens(64), 4); // 16 blocks

    test('reports leading blocks held per worker; absent workers are absent', () => {
      const h = make();
      ['a', 'b', 'c'].forEach((w) => h.index.addWorker(w));
      h.hold('a', prompt.slice(0, 10));
      h.hold('b', prompt.slice(0, 3));
      const m = h.index.findMatches(prompt);
      assert.deepEqual(Object.fromEntries(m), { a: 10, b: 3 });
      assert.equal(h.index.numBlocks('a'), 10);
    });

    test('a missing block ends the match even when later blocks are held', () => {
      const h = make();
      h.index.addWorker('a');
      h.hold('a', [...prompt.slice(0, 4), ...prompt.slice(5)]);
      assert.equal(h.index.findMatches(prompt).get('a'), 4);
      assert.equal(h.index.findMatches(prompt.slice(4)).size, 0, 'a query starting at the missing block matches nothing');
    });

    test('a different first block matches nothing (hashes are chained)', () => {
      const h = make();
      h.index.addWorker('a');
      h.hold('a', prompt);
      const other = computeBlockHashes([999, ...tokens(63, 1)], 4);
      assert.equal(h.index.findMatches(other).size, 0);
      assert.equal(h.index.findMatches([]).size, 0);
    });

    test('removeWorker drops every block of that worker only', () => {
      const h = make();
      h.index.addWorker('a');
      h.index.addWorker('b');
      h.hold('a', prompt);
      h.hold('b', prompt.slice(0, 8));
      h.index.removeWorker('a');
      assert.deepEqual(Object.fromEntries(h.index.findMatches(prompt)), { b: 8 });
      assert.equal(h.index.numBlocks('a'), 0);
      assert.deepEqual(h.index.workerIds(), ['b']);
    });

    test('many workers: each reports its own depth', () => {
      const h = make();
      for (let w = 0; w < 20; w++) {
        h.index.addWorker(`w${w}`);
        h.hold(`w${w}`, prompt.slice(0, w % 17));
      }
      const m = h.index.findMatches(prompt);
      for (let w = 0; w < 20; w++) assert.equal(m.get(`w${w}`), w % 17 === 0 ? undefined : w % 17);
    });
  });
}
