// packStep with draft rows: k + 1 logits rows each (after any prompt-logprobs rows of earlier sequences), and the
// attention group draft rows join (not padded to a long prefill chunk; beside plain decodes only, not padding them).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { KvPool } from './kv-pool.js';
import { attentionGroups, logitsRowsOf, packStep } from './step-packing.js';

const pool = new KvPool({ numLayers: 1, blockSize: 4, numKvHeads: 1, headDim: 2, numBlocks: 32 });
const GREEDY = samplingParams({ temperature: 0 });

function row(seqId: number, numTokens: number, startPosition: number, numDrafts = 0): StepSequence {
  const tokenIds = Array.from({ length: numTokens }, (_, i) => 10 + i);
  const s: StepSequence = {
    seqId, tokenIds, startPosition, blockTable: Array.from({ length: 8 }, (_, i) => seqId * 8 + i), sampling: GREEDY,
    outputTokenIds: [], numPromptTokens: 0,
  };
  if (numDrafts > 0) s.draftTokenIds = tokenIds.slice(1);
  return s;
}

function batch(...sequences: StepSequence[]): StepBatch {
  return { sequences, numTokens: sequences.reduce((n, s) => n + s.tokenIds.length, 0) };
}

describe('packStep with draft rows', () => {
  it('gives a draft row k + 1 logits rows in order, after a neighbour’s prompt-logprobs rows', () => {
    const scored = { ...row(0, 5, 0), promptLogprobs: { numTop: 1, targetTokenIds: [11, 12] } };
    const b = batch(scored, row(1, 4, 8, 3), { ...row(2, 3, 0), sampling: null }, row(3, 1, 6));
    const packed = packStep(b, pool);
    // Tokens: seq 0 at 0..4, seq 1 at 5..8, seq 2 at 9..11, seq 3 at 12.
    assert.deepEqual([...packed.logitsIndex], [0, 1, 4, 5, 6, 7, 8, 12]);
    assert.deepEqual(logitsRowsOf(b), [{ promptRow: 0, pickRow: 2 }, { promptRow: 3, pickRow: 3 }, { promptRow: 7, pickRow: null }, { promptRow: 7, pickRow: 7 }]);
  });

  it('draft rows join the single group beside a long prefill chunk, the multi group beside plain decodes', () => {
    assert.deepEqual(attentionGroups(batch(row(0, 1, 20), row(1, 5, 20, 4), row(2, 24, 0)), 4), ['single', 'single', 'multi']);
    assert.deepEqual(attentionGroups(batch(row(0, 1, 20), row(1, 5, 20, 4), row(2, 3, 20, 2)), 4), ['single', 'multi', 'multi']);
    assert.deepEqual(attentionGroups(batch(row(0, 1, 20), row(2, 24, 0)), 4), ['single', 'multi'], 'no drafts: by length');
    const packed = packStep(batch(row(0, 1, 20), row(1, 5, 20, 4), row(2, 24, 0)), pool);
    assert.deepEqual([packed.groups.single.numSeqs, packed.groups.single.maxQ, packed.groups.multi.maxQ], [2, 5, 24]);
  });
});
