import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes } from '@mini-dynamo/protocol';
import { ApproxIndexer } from './approx-indexer.js';
import { prefixIndexConformance } from './prefix-index-conformance.js';

prefixIndexConformance('ApproxIndexer', () => {
  const index = new ApproxIndexer();
  return { index, hold: (w, hashes) => index.recordRouting(w, hashes) };
});

const prompt = computeBlockHashes(Array.from({ length: 64 }, (_, i) => i * 3), 4);

test('routed blocks expire after the TTL', () => {
  let now = 1000;
  const ix = new ApproxIndexer({ ttlMs: 100, now: () => now });
  ix.addWorker('a');
  ix.recordRouting('a', prompt.slice(0, 8));
  now = 1050;
  ix.recordRouting('a', prompt.slice(0, 2)); // refreshes the first two
  now = 1120;
  assert.equal(ix.findMatches(prompt).get('a'), 2);
  assert.equal(ix.numBlocks('a'), 2);
  now = 1200;
  assert.equal(ix.findMatches(prompt).size, 0);
});

test('the per-worker cap drops the oldest blocks first', () => {
  const ix = new ApproxIndexer({ maxBlocksPerWorker: 5 });
  ix.addWorker('a');
  ix.recordRouting('a', prompt.slice(0, 4));
  ix.recordRouting('a', prompt.slice(8, 12));
  assert.equal(ix.numBlocks('a'), 5);
  assert.equal(ix.findMatches(prompt).size, 0, 'block 0..2 were evicted');
  assert.equal(ix.findMatches(prompt.slice(3)).get('a'), 1);
});
