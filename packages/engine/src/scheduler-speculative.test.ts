// Scheduler with n-gram speculation, driven by hand: a decode's drafts and the blocks they take, computed tokens
// advancing by the accepted positions only (rejected ones never reach the prefix cache), the fallback to a plain
// decode when the drafts' blocks are not free (no preemption for drafts), the budget kept for other decodes, and k by
// the step's number of running decodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KvCacheEvent, SpeculativeConfig } from '@mini-dynamo/protocol';
import { BlockAllocator } from './block-allocator.js';
import { makeRequest } from './request-fixtures.js';
import { Scheduler, type SchedulerOutput } from './scheduler.js';
import { Sequence } from './sequence.js';

const NGRAM: SpeculativeConfig = { method: 'ngram', numSpeculativeTokens: 3, promptLookupMax: 4, promptLookupMin: 1 };

function setup(numBlocks: number, maxNumBatchedTokens = 64, speculative: SpeculativeConfig = NGRAM) {
  const kvEvents: KvCacheEvent[] = [];
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks, blockSize: 4, enablePrefixCaching: true, onKvEvent: (e) => kvEvents.push(e) });
  const tally = { numDrafts: 0, numAccepted: 0, numPreemptions: 0 };
  const scheduler = new Scheduler(allocator, { maxNumSeqs: 4, maxNumBatchedTokens, maxSeqLen: numBlocks * 4, eosTokenIds: [2], speculative }, {
    onSpeculation: (d, a) => { tally.numDrafts += d; tally.numAccepted += a; },
    onPreempted: () => void tally.numPreemptions++,
  });
  const audit = () => assert.ok(allocator.audit([...scheduler.sequences()].map((s) => s.blockTable)).ok);
  const storedBlocks = () => kvEvents.flatMap((e) => (e.data.type === 'stored' ? e.data.blocks.map((b) => b.tokenIds.join('.')) : []));
  return { allocator, scheduler, tally, audit, storedBlocks };
}

const seq = (id: number, prompt: number[], maxTokens = 20) => new Sequence(id, makeRequest(`s${id}`, prompt, { maxTokens }), 4);
/** Complete a step with these sampled tokens and accepted-draft counts (by batch row). */
const finish = (scheduler: Scheduler, out: SchedulerOutput, sampled: number[], accepted: (number | null)[] = []) =>
  scheduler.complete(out, sampled, accepted);

test('a decode verifies its drafts; only accepted positions are computed and cached; rejected blocks stay uncached', () => {
  const { allocator, scheduler, tally, audit, storedBlocks } = setup(16);
  const a = seq(1, [1, 3, 5, 4, 1, 3, 5]);
  scheduler.add(a);
  finish(scheduler, scheduler.schedule(), [4]);
  assert.deepEqual(a.tokenIds, [1, 3, 5, 4, 1, 3, 5, 4]);
  const step2 = scheduler.schedule();
  assert.deepEqual(step2.entries.map((e) => [e.numTokens, e.draftTokenIds]), [[4, [1, 3, 5]]]);
  assert.deepEqual(step2.batch.sequences[0]!.tokenIds, [4, 1, 3, 5]);
  assert.deepEqual(step2.batch.sequences[0]!.draftTokenIds, [1, 3, 5]);
  assert.equal(a.blockTable.length, 3, 'blocks for numComputedTokens + 1 + drafts');
  const [outcome] = finish(scheduler, step2, [7], [0]);
  assert.deepEqual([outcome!.numNewTokens, outcome!.emittedTokenIds], [1, [7]]);
  assert.equal(a.numComputedTokens, 8, 'the rejected drafts are not computed');
  assert.deepEqual(storedBlocks(), ['1.3.5.4', '1.3.5.4'], 'block 2 held only rejected drafts: not cached');
  assert.equal(a.blockTable.length, 3, 'the block stays for the next step');
  audit();
  const step3 = scheduler.schedule();
  assert.deepEqual(step3.entries.map((e) => [e.numTokens, e.draftTokenIds]), [[1, undefined]], '7 never occurred before');
  finish(scheduler, step3, [1]);
  const step4 = scheduler.schedule(); // ... 4 7 1 → "1" last followed by 3 5 4
  assert.deepEqual(step4.entries[0]!.draftTokenIds, [3, 5, 4]);
  const [all] = finish(scheduler, step4, [9], [3]);
  assert.deepEqual(all!.emittedTokenIds, [3, 5, 4, 9]);
  assert.equal(a.numComputedTokens, 13);
  assert.deepEqual(a.tokenIds.slice(8), [7, 1, 3, 5, 4, 9]);
  assert.deepEqual(storedBlocks(), ['1.3.5.4', '1.3.5.4', '7.1.3.5'], 'full blocks of accepted tokens are cached');
  assert.deepEqual(tally, { numDrafts: 6, numAccepted: 3, numPreemptions: 0 });
  audit();
  assert.equal(allocator.numUsedBlocks, 4);
});

test('a draft that ends the request drops the rest: a stop token inside the drafts, maxTokens', () => {
  const { allocator, scheduler, audit } = setup(16);
  const a = seq(1, [1, 3, 2, 6, 1], 20);
  const b = seq(2, [8, 9, 10, 11, 8], 3);
  scheduler.add(a);
  scheduler.add(b);
  finish(scheduler, scheduler.schedule(), [3, 9]);
  const step = scheduler.schedule();
  assert.deepEqual(step.entries.map((e) => e.draftTokenIds), [[2, 6, 1], [10]], 'b: maxTokens 3 leaves room for 1 draft + bonus');
  const [stopped, capped] = finish(scheduler, step, [5, 4], [3, 1]);
  assert.deepEqual([stopped!.numNewTokens, stopped!.emittedTokenIds, stopped!.finishReason], [1, [], 'stop'], 'EOS 2 is the first draft');
  assert.deepEqual([capped!.numNewTokens, capped!.emittedTokenIds, capped!.finishReason], [2, [10, 4], 'length']);
  assert.equal(scheduler.hasWork(), false);
  audit();
  assert.equal(allocator.numUsedBlocks, 0);
});

test("drafts take only free blocks, sparing one per decode still to schedule: otherwise a plain decode, nobody preempted", () => {
  const { scheduler, tally, audit } = setup(5);
  const a = seq(1, [1, 3, 5, 4, 1, 3, 5]);
  const b = seq(2, [20, 21, 22, 23, 24, 25, 26, 27]);
  scheduler.add(a);
  scheduler.add(b);
  finish(scheduler, scheduler.schedule(), [4, 28]);
  const step = scheduler.schedule(); // 1 block free: a's drafts need it, b's decode needs it
  assert.deepEqual(step.entries.map((e) => [e.seq.seqId, e.numTokens, e.draftTokenIds]), [[1, 1, undefined], [2, 1, undefined]]);
  assert.equal(tally.numPreemptions, 0);
  audit();
});

test('drafts leave a budget token for every other decode', () => {
  const { scheduler } = setup(32, 4);
  const seqs = [1, 6, 10].map((t, i) => seq(i + 1, [t]));
  for (const s of seqs) scheduler.add(s);
  const prefill = scheduler.schedule();
  finish(scheduler, prefill, prefill.entries.map((e) => e.seq.tokenIds[0]!)); // each repeats its token: [t, t]
  const step = scheduler.schedule();
  assert.deepEqual(step.entries.map((e) => [e.numTokens, e.draftTokenIds]), [[2, [1]], [1, undefined], [1, undefined]], 'budget 4 = 1 draft + 3 decodes');
  assert.equal(step.batch.numTokens, 4);
});

test('k by running decodes: 3 decodes run plain under [[1,1,3],[2,2,1],[3,8,0]], 2 get 1 draft each, 1 gets 3', () => {
  const { scheduler } = setup(64, 64, { ...NGRAM, numSpeculativeTokensPerBatchSize: [[1, 1, 3], [2, 2, 1], [3, 8, 0]] });
  const seqs = [1, 6, 10].map((t, i) => seq(i + 1, [t, t, t, t, 5], [3, 5, 20][i])); // "t t t t 5 t…": drafts exist
  for (const s of seqs) scheduler.add(s);
  finish(scheduler, scheduler.schedule(), [1, 6, 10]);
  const three = scheduler.schedule();
  assert.deepEqual(three.entries.map((e) => e.draftTokenIds), [undefined, undefined, undefined], '3 decodes: k = 0');
  finish(scheduler, three, [1, 6, 10]);
  const stillThree = scheduler.schedule();
  assert.equal(stillThree.entries.length, 3);
  finish(scheduler, stillThree, [1, 6, 10]); // a ends (3 tokens)
  const two = scheduler.schedule();
  assert.deepEqual(two.entries.map((e) => e.draftTokenIds?.length), [1, 1], '2 decodes: k = 1');
  finish(scheduler, two, [6, 10], [0, 0]);
  finish(scheduler, scheduler.schedule(), [6, 10], [0, 0]); // b ends (5 tokens)
  const one = scheduler.schedule();
  assert.deepEqual(one.entries.map((e) => e.draftTokenIds), [[10, 10, 10]], '1 decode: k = 3 (a period-1 loop)');
});
