// Property test: random add / step / abort (also while a step is in flight) / runner-failure sequences
// on a tiny pool, which forces chunked prefill, prefix hits, eviction and preemption. After every
// operation the allocator audit holds; every request ends exactly once; at the end no block is used.
// Some requests ask for logprobs (aligned with every tokens event) and prompt logprobs (at most once, on the
// first tokens event, the whole prompt's; exactly once for a request that ran to its end). The same property runs
// again with n-gram speculative decoding on over a mock that often copies (so drafts are accepted and rejected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SpeculativeConfig } from '@mini-dynamo/protocol';
import { Engine } from './engine.js';
import type { MockRunnerOptions } from './mock-runner.js';
import { collect, makeRequest, RecordingRunner } from './request-fixtures.js';

type Op =
  | { kind: 'add'; family: number; length: number; maxTokens: number; logprobs: number }
  | { kind: 'step'; count: number }
  | { kind: 'abort'; pick: number; inFlight: boolean }
  | { kind: 'fail' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), family: fc.nat(3), length: fc.integer({ min: 1, max: 40 }), maxTokens: fc.integer({ min: 1, max: 30 }), logprobs: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('step' as const), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat(), inFlight: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fail' as const }) },
);

interface PropertyRun {
  numOps: number;
  numPreemptions: number;
  numAcceptedDrafts: number;
}

async function checkRandomOperations(speculative: SpeculativeConfig | null, runnerOptions: MockRunnerOptions, numRuns: number): Promise<PropertyRun> {
  const stats: PropertyRun = { numOps: 0, numPreemptions: 0, numAcceptedDrafts: 0 };
  const observer = {
    onPreempted: () => void stats.numPreemptions++,
    onSpeculation: (numDrafts: number, numAccepted: number) => {
      assert.ok(numAccepted >= 0 && numAccepted <= numDrafts);
      stats.numAcceptedDrafts += numAccepted;
    },
  };
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 50, size: 'max' }), async (ops) => {
      const runner = new RecordingRunner({ ...runnerOptions, info: { numBlocks: 14, blockSize: 4, maxModelLen: 56 } });
      const engine = new Engine(runner, { workerId: 'p', maxNumBatchedTokens: 24, maxNumSeqs: 5, speculative }, observer);
      const out = collect(engine);
      const ids: string[] = [];
      const prompts = new Map<string, { prompt: number[]; logprobs: number }>();
      const check = () => {
        const audit = engine.audit();
        assert.ok(audit.ok, JSON.stringify(audit));
        const load = engine.load();
        assert.equal(load.numActiveBlocks, audit.numUsedBlocks);
      };
      for (const op of ops) {
        stats.numOps++;
        if (op.kind === 'add') {
          const id = `r${ids.length}`;
          const prompt = Array.from({ length: op.length }, (_, i) => (i < 16 ? op.family * 3 + (i % 2) + 10 : i + ids.length * 50));
          const sampling = { maxTokens: op.maxTokens, numLogprobs: op.logprobs > 0 ? 1 : null, numPromptLogprobs: op.logprobs > 1 ? 2 : null };
          if (engine.add(makeRequest(id, prompt, sampling)).ok) ids.push(id), prompts.set(id, { prompt, logprobs: op.logprobs });
        } else if (op.kind === 'step') {
          for (let i = 0; i < op.count; i++) await engine.step();
        } else if (op.kind === 'abort') {
          const id = ids[op.pick % Math.max(1, ids.length)];
          if (id === undefined) continue;
          const inFlight = op.inFlight ? engine.step() : null;
          engine.abort(id);
          check();
          await inFlight;
        } else {
          runner.failNext = true;
          await engine.step();
        }
        check();
      }
      while (engine.hasWork()) await engine.step();
      check();
      assert.equal(engine.load().numActiveBlocks, 0);
      for (const b of runner.batches) assert.ok(b.numTokens <= 24 && b.sequences.length <= 5);
      for (const id of ids) {
        const mine = out.events.filter((e) => e.requestId === id);
        assert.equal(mine.filter((e) => e.kind !== 'tokens').length, 1, `${id} ends once`);
        assert.notEqual(mine.at(-1)!.kind, 'tokens', `${id}: nothing after its end`);
        const end = mine.at(-1)!;
        if (end.kind === 'failed') assert.match(end.error.message, /injected runner failure/, 'only injected failures');
        const { prompt, logprobs } = prompts.get(id)!;
        const tokenEvents = mine.flatMap((e) => (e.kind === 'tokens' ? [e] : []));
        for (const e of tokenEvents) assert.equal(e.logprobs?.length, logprobs > 0 ? e.tokenIds.length : undefined, `${id}: logprobs aligned`);
        const withPrompt = tokenEvents.filter((e) => e.promptLogprobs !== undefined);
        const ranToEnd = end.kind === 'finished' && end.finishReason !== 'abort';
        assert.equal(withPrompt.length, logprobs > 1 && (ranToEnd || tokenEvents.length > 0) ? 1 : 0, `${id}: prompt logprobs once`);
        if (withPrompt.length === 1) {
          assert.equal(withPrompt[0], tokenEvents[0], `${id}: on the first tokens event`);
          assert.equal(withPrompt[0]!.promptLogprobs!.length, prompt.length);
          assert.equal(withPrompt[0]!.promptLogprobs![0], null);
        }
      }
    }),
    { numRuns },
  );
  return stats;
}

test('random engine operations keep the allocator sound and end every request exactly once', async () => {
  const { numOps, numPreemptions } = await checkRandomOperations(null, {}, 140); // ~3,500 operations on average
  assert.ok(numOps > 3000, `ran ${numOps} operations`); // 120 runs dipped under 3,000 for rare seeds
  assert.ok(numPreemptions > 20, `exercised preemption ${numPreemptions} times`);
});

test('the same with n-gram speculative decoding on a mock that often repeats the token 2 back', async () => {
  const speculative: SpeculativeConfig = { method: 'ngram', numSpeculativeTokens: 3, promptLookupMax: 3, promptLookupMin: 1 };
  const { numOps, numPreemptions, numAcceptedDrafts } = await checkRandomOperations(speculative, { copy: { distance: 2, probability: 0.7 } }, 80);
  assert.ok(numOps > 1500 && numPreemptions > 10, `ran ${numOps} operations, ${numPreemptions} preemptions`);
  assert.ok(numAcceptedDrafts > 100, `accepted ${numAcceptedDrafts} drafts`);
});
