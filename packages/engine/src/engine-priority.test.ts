// vLLM's --scheduling-policy priority: admission (fcfs refuses priority ≠ 0, a priority must be an integer), waiting
// order by (priority, arrival), running decodes scheduled in that order, the worst-priority running sequence as the preemption victim, FCFS unchanged, and a
// property: the order of scheduling never changes a request's (greedy or seeded) tokens; audits clean, no block leaked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { GenerateRequest, SamplingParams, SchedulingPolicy } from '@mini-dynamo/protocol';
import { BlockAllocator } from './block-allocator.js';
import { Engine } from './engine.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';
import { Scheduler } from './scheduler.js';
import { Sequence } from './sequence.js';
import { enqueueWaiting, preemptionVictim, requeuePreempted } from './waiting-queue.js';

function prioritized(id: string, prompt: number[], priority: number | undefined, sampling: Partial<SamplingParams> = {}): GenerateRequest {
  const request = makeRequest(id, prompt, sampling);
  return priority === undefined ? request : { ...request, priority };
}

function setup(schedulingPolicy: SchedulingPolicy, config: Record<string, unknown> = {}, numBlocks = 64) {
  const preempted: string[] = [];
  const started: string[] = [];
  const engine = new Engine(new RecordingRunner({ info: { numBlocks, maxModelLen: 512 } }), { workerId: 'w', schedulingPolicy, ...config }, {
    onPreempted: (id) => void preempted.push(id),
    onFirstToken: (id) => void started.push(id),
  });
  return { engine, out: collect(engine), preempted, started };
}

test('fcfs refuses a priority other than 0; a priority must be an integer under either policy', () => {
  const fcfs = setup('fcfs').engine;
  const refused = fcfs.add(prioritized('p1', tokens(4), 1));
  assert.ok(!refused.ok && refused.error.code === 'invalid_request' && /priority scheduling is not enabled/.test(refused.error.message));
  assert.ok(fcfs.add(prioritized('p0', tokens(4), 0)).ok, 'priority 0 is every request’s default');
  assert.ok(fcfs.add(prioritized('none', tokens(4), undefined)).ok);
  const priority = setup('priority').engine;
  assert.ok(priority.add(prioritized('neg', tokens(4), -7)).ok);
  for (const bad of [1.5, Number.NaN, '2' as unknown as number]) {
    const r = priority.add(prioritized(`bad-${String(bad)}`, tokens(4), bad));
    assert.ok(!r.ok && r.error.code === 'invalid_request' && /priority must be an integer/.test(r.error.message), String(bad));
  }
});

test('priority: on a busy engine a later priority -1 request starts before earlier priority 0 ones; ties keep arrival order', async () => {
  const { engine, started } = setup('priority', { maxNumSeqs: 1 });
  engine.add(prioritized('long', tokens(8), 0, { maxTokens: 10 }));
  await engine.step();
  for (const id of ['a', 'b', 'c']) engine.add(prioritized(id, tokens(8, id.charCodeAt(0)), 0, { maxTokens: 2 }));
  engine.add(prioritized('later-2', tokens(8, 50), 2, { maxTokens: 2 }));
  engine.add(prioritized('urgent', tokens(8, 60), -1, { maxTokens: 2 }));
  engine.add(prioritized('urgent-too', tokens(8, 70), -1, { maxTokens: 2 }));
  await drain(engine);
  assert.deepEqual(started, ['long', 'urgent', 'urgent-too', 'a', 'b', 'c', 'later-2']);
  assert.equal(engine.load().numActiveBlocks, 0);
});

test('fcfs is unchanged: arrival order whatever the (zero) priorities', async () => {
  const { engine, started } = setup('fcfs', { maxNumSeqs: 1 });
  engine.add(prioritized('long', tokens(8), 0, { maxTokens: 10 }));
  await engine.step();
  for (const id of ['a', 'b', 'c', 'd']) engine.add(prioritized(id, tokens(8, id.charCodeAt(0)), id === 'c' ? 0 : undefined, { maxTokens: 2 }));
  await drain(engine);
  assert.deepEqual(started, ['long', 'a', 'b', 'c', 'd']);
});

/**
 * 4 blocks of 16: low (16 tokens, 1 block, first to arrive, priority 5), mid (20 tokens, 2 blocks), high (16, 1 block,
 * newest, priority -1). At the first decode the pool is full: fcfs preempts the newest (high); priority preempts the
 * worst (low) — for high's block, so not the sequence asking.
 */
async function firstVictim(policy: SchedulingPolicy): Promise<{ preempted: string[]; tokensOf: (id: string) => number[] }> {
  const { engine, out, preempted } = setup(policy, {}, 4);
  engine.add(prioritized('low', tokens(16, 1000), policy === 'priority' ? 5 : 0, { maxTokens: 6 }));
  engine.add(prioritized('mid', tokens(20, 2000), 0, { maxTokens: 6 }));
  engine.add(prioritized('high', tokens(16, 3000), policy === 'priority' ? -1 : 0, { maxTokens: 6 }));
  await drain(engine);
  for (const id of ['low', 'mid', 'high']) assert.equal(out.finishReason(id), 'length', id);
  assert.equal(engine.load().numActiveBlocks, 0);
  return { preempted, tokensOf: out.tokensOf };
}

test('under block pressure the victim is the worst-priority running request, not the newest', async () => {
  const fcfs = await firstVictim('fcfs');
  const priority = await firstVictim('priority');
  assert.equal(fcfs.preempted[0], 'high', 'fcfs: the newest');
  assert.equal(priority.preempted[0], 'low', 'priority: the worst (priority 5), though it arrived first');
  for (const id of ['low', 'mid', 'high']) assert.deepEqual(priority.tokensOf(id), fcfs.tokensOf(id), id);
});

test('waiting queue: (priority, arrival) order for new and preempted sequences; fcfs appends and puts preempted ones first', () => {
  const seq = (id: number, priority: number) => new Sequence(id, prioritized(`s${id}`, [1], priority), 16);
  const ids = (q: Sequence[]) => q.map((s) => s.seqId);
  const q: Sequence[] = [];
  for (const s of [seq(1, 0), seq(2, 3), seq(3, -1), seq(4, 0), seq(5, 3)]) enqueueWaiting(q, s, 'priority');
  assert.deepEqual(ids(q), [3, 1, 4, 2, 5]);
  requeuePreempted(q, seq(0, 3), 'priority');
  assert.deepEqual(ids(q), [3, 1, 4, 0, 2, 5], 'a preempted sequence goes back to its (priority, arrival) place');
  const f: Sequence[] = [];
  for (const s of [seq(1, 0), seq(2, 0)]) enqueueWaiting(f, s, 'fcfs');
  requeuePreempted(f, seq(3, 0), 'fcfs');
  assert.deepEqual(ids(f), [3, 1, 2]);
  const running = [seq(1, 0), seq(2, 4), seq(3, 4), seq(4, -2)];
  assert.equal(preemptionVictim(running, 7, 'priority').seqId, 3, 'worst priority, latest arrival');
  running[2]!.lastScheduledStep = 7;
  assert.equal(preemptionVictim(running, 7, 'priority').seqId, 2, 'never one already scheduled this step');
  assert.equal(preemptionVictim(running, 7, 'fcfs').seqId, 4, 'fcfs: the newest unscheduled');
});

test('running decodes are scheduled best priority first: an earlier-admitted worse one loses the last free block', () => {
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks: 3, blockSize: 4, enablePrefixCaching: false });
  const preempted: string[] = [];
  const scheduler = new Scheduler(allocator, { maxNumSeqs: 4, maxNumBatchedTokens: 64, maxSeqLen: 12, eosTokenIds: [2], schedulingPolicy: 'priority' },
    { onPreempted: (id) => void preempted.push(id) });
  const low = new Sequence(1, prioritized('low', [10, 11, 12], 5, { maxTokens: 8 }), 4);
  const high = new Sequence(2, prioritized('high', [20, 21, 22, 23], -1, { maxTokens: 8 }), 4);
  scheduler.add(low);
  let out = scheduler.schedule(); // low's prefill
  scheduler.complete(out, [13]);
  scheduler.add(high);
  out = scheduler.schedule(); // low's decode (same block), high admitted behind it
  assert.deepEqual(out.entries.map((e) => e.seq.seqId), [1, 2]);
  scheduler.complete(out, [14, 24]);
  out = scheduler.schedule(); // both need a new block, one is free
  assert.deepEqual(out.entries.map((e) => e.seq.seqId), [2], 'high decodes');
  assert.deepEqual(preempted, ['low'], 'the worse priority gives way though it runs first in arrival order');
});

interface Arrival { promptLength: number; family: number; maxTokens: number; priority: number; seeded: boolean; atStep: number }

const arrivalArb: fc.Arbitrary<Arrival> = fc.record({
  promptLength: fc.integer({ min: 1, max: 40 }), family: fc.nat(3), maxTokens: fc.integer({ min: 1, max: 24 }),
  priority: fc.integer({ min: -3, max: 3 }), seeded: fc.boolean(), atStep: fc.nat(6),
});

/** Runs the arrivals on a tiny pool (chunked prefill, prefix hits, preemption) and returns each request's tokens. */
async function outputsOf(arrivals: Arrival[], policy: SchedulingPolicy): Promise<Map<string, number[]>> {
  const { engine, out } = setup(policy, { maxNumSeqs: 3, maxNumBatchedTokens: 24 }, 8);
  const requests = arrivals.map((a, i) => prioritized(`r${i}`, tokens(a.promptLength, 100 + a.family * 500),
    policy === 'priority' ? a.priority : undefined, a.seeded ? { temperature: 1, seed: i } : {}));
  for (let step = 0; engine.hasWork() || arrivals.some((a) => a.atStep >= step); step++) {
    arrivals.forEach((a, i) => { if (a.atStep === step) assert.ok(engine.add({ ...requests[i]!, sampling: { ...requests[i]!.sampling, maxTokens: a.maxTokens } }).ok); });
    assert.ok(step < 10_000, 'engine did not drain');
    await engine.step();
    assert.ok(engine.audit().ok);
  }
  assert.equal(engine.load().numActiveBlocks, 0);
  return new Map(requests.map((r) => [r.requestId, out.tokensOf(r.requestId)]));
}

test('property: priority ordering never changes any request’s greedy or seeded tokens', async () => {
  await fc.assert(fc.asyncProperty(fc.array(arrivalArb, { minLength: 1, maxLength: 10 }), async (arrivals) => {
    const fcfs = await outputsOf(arrivals, 'fcfs');
    const priority = await outputsOf(arrivals, 'priority');
    for (const [id, tokenIds] of fcfs) {
      assert.deepEqual(priority.get(id), tokenIds, id);
      assert.equal(tokenIds.length, arrivals[Number(id.slice(1))]!.maxTokens, `${id} ran to its max tokens`);
    }
  }), { numRuns: 60 });
});
