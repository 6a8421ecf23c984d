// Sequence unit tests: the one-pass prompt hashing of add() and the incremental per-block hashing of
// decode agree (plain and salted), so prefix hits and stored events name the same blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes } from '@mini-dynamo/protocol';
import { Sequence } from './sequence.js';
import { makeRequest, tokens } from './request-fixtures.js';

test('hashFullBlocks and incremental blockHash give the protocol chain, decode blocks included', () => {
  for (const salt of [null, 'tenant-a']) {
    const prompt = tokens(50);
    const eager = new Sequence(1, makeRequest('e', prompt, {}, salt), 16);
    eager.hashFullBlocks();
    const lazy = new Sequence(2, makeRequest('l', prompt, {}, salt), 16);
    for (const t of tokens(30, 900)) {
      eager.appendToken(t);
      lazy.appendToken(t);
    }
    const expected = computeBlockHashes(eager.tokenIds, 16, salt);
    assert.equal(expected.length, 5);
    for (let i = 0; i < expected.length; i++) {
      assert.equal(eager.blockHash(i), expected[i], `eager block ${i} salt ${salt}`);
      assert.equal(lazy.blockHash(i), expected[i], `lazy block ${i} salt ${salt}`);
    }
  }
});
