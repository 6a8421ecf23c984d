// verifyDrafts' acceptance walk and the draft-row contract checks (pure; the runner tests are in speculative-runner.test.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type StepSequence } from '@mini-dynamo/protocol';
import { checkDraftRows, draftRowViolation, numPickRows, outputAt, verifyDrafts } from './draft-verification.js';

function draftRow(drafts: number[] | undefined, extra: Partial<StepSequence> = {}): StepSequence {
  return {
    seqId: 3, tokenIds: [9, ...(drafts ?? [])], startPosition: 5, blockTable: [0, 1], sampling: samplingParams({ temperature: 0 }),
    outputTokenIds: [7, 8, 9], numPromptTokens: 3, ...(drafts === undefined ? {} : { draftTokenIds: drafts }), ...extra,
  };
}

describe('verifyDrafts', () => {
  it('keeps drafts while each pick equals its draft and returns the first differing pick', () => {
    const asked: number[] = [];
    const picks = [10, 11, 99, 13];
    const verdict = verifyDrafts([10, 11, 12], (j) => { asked.push(j); return picks[j]!; });
    assert.deepEqual(verdict, { tokenId: 99, numAcceptedDrafts: 2 });
    assert.deepEqual(asked, [0, 1, 2], 'no pick past the rejection');
  });

  it('accepts every draft and returns the pick after the last one; rejects at 0; no drafts = a plain pick', () => {
    assert.deepEqual(verifyDrafts([4, 5], (j) => [4, 5, 6][j]!), { tokenId: 6, numAcceptedDrafts: 2 });
    assert.deepEqual(verifyDrafts([4, 5], () => 1), { tokenId: 1, numAcceptedDrafts: 0 });
    assert.deepEqual(verifyDrafts([], () => 42), { tokenId: 42, numAcceptedDrafts: 0 });
  });
});

describe('draft rows', () => {
  it('pick rows: 1 + k with drafts, 1 plain, 0 without sampling', () => {
    assert.equal(numPickRows(draftRow([1, 2, 3])), 4);
    assert.equal(numPickRows(draftRow(undefined)), 1);
    assert.equal(numPickRows(draftRow(undefined, { sampling: null })), 0);
  });

  it('the output so far at position j is outputTokenIds ‖ drafts[0..j)', () => {
    const s = draftRow([1, 2, 3]);
    assert.equal(outputAt(s, 0), s.outputTokenIds);
    assert.deepEqual(outputAt(s, 2), [7, 8, 9, 1, 2]);
  });

  it('names each contract violation and accepts a valid row', () => {
    assert.equal(draftRowViolation(draftRow([1, 2])), null);
    assert.equal(draftRowViolation(draftRow(undefined)), null);
    assert.match(draftRowViolation(draftRow([1, 2], { sampling: null }))!, /need sampling/);
    assert.match(draftRowViolation(draftRow([1, 2], { tokenIds: [9, 1, 3] }))!, /last token, \.\.\.draftTokenIds/);
    assert.match(draftRowViolation(draftRow([1, 2], { tokenIds: [9, 1] }))!, /last token/);
    assert.match(draftRowViolation(draftRow([1], { allowedTokenMask: new Uint32Array(16) }))!, /allowed-token mask/);
    assert.equal(draftRowViolation(draftRow([1], { sampling: samplingParams({ numLogprobs: 0 }) })), null);
    assert.match(draftRowViolation(draftRow([1], { promptLogprobs: { numTop: 1, targetTokenIds: [1] } }))!, /prompt logprobs/);
    assert.throws(() => checkDraftRows([draftRow(undefined), draftRow([1], { sampling: null })]), /sequence 3: drafts need sampling/);
  });
});
