// vllmPromptLogprobs: vLLM's entry per prompt token ([0] null), the prompt token with its rank plus the top-N at
// ranks 1..N (an alternative that is the prompt token keeps its top-N rank), N cutting the alternatives, decode([id]).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vllmPromptLogprobs } from './vllm-prompt-logprobs.js';

const decode = (ids: number[]) => ids.map((id) => `t${id}`).join('');

test('[0] null; the prompt token (its own rank) + the top N; N cuts; a prompt token among the top keeps that rank', () => {
  const logprobs = [
    null,
    { logprob: -3, topTokenIds: [7, 8, 9], topLogprobs: [-0.1, -1, -2], rank: 12 },
    { logprob: -1, topTokenIds: [7, 5, 9], topLogprobs: [-0.5, -1, -2], rank: 2 },
  ];
  const entries = vllmPromptLogprobs(decode, [4, 6, 5], logprobs, 2);
  assert.equal(entries[0], null);
  assert.deepEqual(entries[1], {
    6: { logprob: -3, rank: 12, decoded_token: 't6' },
    7: { logprob: -0.1, rank: 1, decoded_token: 't7' },
    8: { logprob: -1, rank: 2, decoded_token: 't8' },
  });
  assert.deepEqual(entries[2], { 5: { logprob: -1, rank: 2, decoded_token: 't5' }, 7: { logprob: -0.5, rank: 1, decoded_token: 't7' } });
});

test('a runner that reports no rank: the top-N position when the prompt token is there, else null', () => {
  const logprobs = [null, { logprob: -1, topTokenIds: [3, 2], topLogprobs: [-0.5, -1] }, { logprob: -4, topTokenIds: [3], topLogprobs: [-0.5] }];
  const entries = vllmPromptLogprobs(decode, [1, 2, 9], logprobs, 0);
  assert.deepEqual(entries[1], { 2: { logprob: -1, rank: null, decoded_token: 't2' } }, 'N = 0: the prompt token only, top position unknown');
  assert.equal(vllmPromptLogprobs(decode, [1, 2, 9], logprobs, 2)[1]![2]!.rank, 2);
  assert.equal(entries[2]![9]!.rank, null);
});
