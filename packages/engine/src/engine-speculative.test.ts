// N-gram speculative decoding in the engine, on the MockRunner: the same requests give identical token streams,
// finish reasons and completion counts with speculation on and off (greedy, seeded, penalties, stop ids, EOS,
// ignore_eos, max_tokens, model length, prefix-cache sharing, a pool small enough to preempt), with the allocator
// audit clean after every step, one tokens event per request per step, consistent acceptance counts, and no
// drafts for rows that need one token's pick (structured output, prompt logprobs); requests with logprobs get drafts
// and the same logprobs, aligned with each event's tokens; k by the number of running decodes
// (num_speculative_tokens_per_batch_size, disable_by_batch_size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  GenerateRequest, ModelRunner, SpeculativeConfig, StepBatch, StepOutput, TokenLogprobs,
} from '@mini-dynamo/protocol';
import { ChoiceConstraintFactory } from './constraint-fixtures.js';
import { Engine } from './engine.js';
import { MockRunner, type MockRunnerOptions } from './mock-runner.js';
import { collect, makeRequest, RecordingRunner } from './request-fixtures.js';

const NGRAM: SpeculativeConfig = { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 4, promptLookupMin: 1 };
/** Mostly repeats the token 8 back: an 8-periodic prompt keeps (mostly) repeating, so n-gram drafts get accepted. */
const COPY: MockRunnerOptions = { copy: { distance: 8, probability: 0.85 } };
/** The block pool geometry lives in the runner's info (the mock's KV store follows it). */
const SMALL_POOL: MockRunnerOptions['info'] = { maxModelLen: 64, blockSize: 4, numBlocks: 30 };

/** A runner that keeps each step's batch and output (drafts in, accepted counts out). */
class SpyRunner implements ModelRunner {
  readonly inner: MockRunner;
  readonly steps: { batch: StepBatch; output: StepOutput }[] = [];
  constructor(options: MockRunnerOptions) { this.inner = new MockRunner({ checkKv: true, ...options }); }
  get info() { return this.inner.info; }
  async step(batch: StepBatch): Promise<StepOutput> {
    const copy = { numTokens: batch.numTokens, sequences: batch.sequences.map((s) => ({ ...s, outputTokenIds: [...s.outputTokenIds] })) };
    const output = await this.inner.step(batch);
    this.steps.push({ batch: copy, output });
    return output;
  }
  close() { return this.inner.close(); }
}

interface RunResult {
  streams: Map<string, { tokens: number[]; logprobs: TokenLogprobs[]; finish: string | undefined; numCompletionTokens: number | undefined }>;
  /** Per step: decode rows scheduled and whether any verified drafts. */
  decodeSteps: { numDecodeSeqs: number; drafted: boolean }[];
  numDraftRows: number;
  numDrafts: number;
  numAccepted: number;
  numPreemptions: number;
  numSteps: number;
}

/** Run the requests to the end, checking the audit, one tokens event per request per step and acceptance counts. */
async function run(requests: GenerateRequest[], options: MockRunnerOptions, config: Record<string, unknown>, speculative: SpeculativeConfig | null): Promise<RunResult> {
  const runner = new SpyRunner({ info: { maxModelLen: 64, blockSize: 4, numBlocks: 256 }, ...options });
  const result: RunResult = { streams: new Map(), decodeSteps: [], numDraftRows: 0, numDrafts: 0, numAccepted: 0, numPreemptions: 0, numSteps: 0 };
  const engine = new Engine(runner, { workerId: 'spec', speculative, ...config }, {
    onSpeculation: (d, a, rows) => {
      assert.ok(d > 0 && a >= 0 && a <= d && rows >= 1 && rows <= d, `onSpeculation(${d}, ${a}, ${rows})`);
      result.numDraftRows += rows;
      result.numDrafts += d;
      result.numAccepted += a;
    },
    onPreempted: () => void result.numPreemptions++,
    onStep: (stats) => {
      const { batch } = runner.steps.at(-1)!;
      const numVerified = batch.sequences.reduce((n, s) => n + (s.draftTokenIds ? 1 + s.draftTokenIds.length : 0), 0);
      result.decodeSteps.push({ numDecodeSeqs: stats.numDecodeSeqs, drafted: numVerified > 0 });
      assert.equal(stats.numPrefillTokens + stats.numDecodeTokens, batch.numTokens);
      assert.ok(stats.numDecodeTokens >= numVerified, 'decode token counts include the verified drafts');
    },
  });
  const out = collect(engine);
  for (const r of requests) assert.ok(engine.add(r).ok);
  for (let numSteps = 0; engine.hasWork(); numSteps++) {
    assert.ok(numSteps < 5000, 'engine did not drain');
    const before = out.events.length;
    await engine.step();
    const audit = engine.audit();
    assert.ok(audit.ok, JSON.stringify(audit));
    checkStep(runner.steps.at(-1), out.events.slice(before), (seqId) => requests[seqId - 1]!.requestId);
    result.numSteps++;
  }
  assert.equal(engine.load().numActiveBlocks, 0, 'no block leaked');
  for (const r of requests) {
    const id = r.requestId;
    const logprobs = out.events.flatMap((e) => (e.kind === 'tokens' && e.requestId === id ? e.logprobs ?? [] : []));
    result.streams.set(id, { tokens: out.tokensOf(id), logprobs, finish: out.finishReason(id), numCompletionTokens: out.usage(id)?.numCompletionTokens });
  }
  return result;
}

/** One tokens event per request; a verified row streams accepted + 1 tokens unless it finished in this step. */
function checkStep(step: SpyRunner['steps'][number] | undefined, events: ReturnType<typeof collect>['events'], requestIdOf: (seqId: number) => string): void {
  const tokenEvents = events.flatMap((e) => (e.kind === 'tokens' ? [e] : []));
  assert.equal(new Set(tokenEvents.map((e) => e.requestId)).size, tokenEvents.length, 'one tokens event per request per step');
  for (const e of tokenEvents) if (e.logprobs !== undefined) assert.equal(e.logprobs.length, e.tokenIds.length, 'logprobs align with tokens');
  if (step === undefined) return;
  step.batch.sequences.forEach((s, k) => {
    if (s.draftTokenIds === undefined) return;
    const n = step.output.numAcceptedDrafts![k]!;
    const requestId = requestIdOf(s.seqId);
    const numEmitted = tokenEvents.find((e) => e.requestId === requestId)?.tokenIds.length ?? 0;
    if (events.some((e) => e.requestId === requestId && e.kind === 'finished')) assert.ok(numEmitted <= n + 1, 'cut at the end');
    else assert.equal(numEmitted, n + 1, 'accepted drafts + the sampled token');
    assert.deepEqual((tokenEvents.find((e) => e.requestId === requestId)?.tokenIds ?? []).slice(0, Math.min(n, numEmitted)), s.draftTokenIds.slice(0, Math.min(n, numEmitted)));
  });
}

/** 8-periodic prompts (the copy mock continues them), some sharing a prefix, with every finish rule in play. */
function requests(): GenerateRequest[] {
  const periodic = (base: number, length: number, eos = false) =>
    Array.from({ length }, (_, i) => (eos && i % 8 === 5 ? 2 : base + ((i % 8) * 13) % 50));
  return [
    makeRequest('greedy', periodic(100, 20), { maxTokens: 40 }),
    makeRequest('seeded', periodic(200, 19), { maxTokens: 40, temperature: 0.8, seed: 11 }),
    makeRequest('unseeded-temp', periodic(300, 17), { maxTokens: 30, temperature: 1 }),
    makeRequest('shared-a', periodic(100, 24), { maxTokens: 25 }),
    makeRequest('shared-b', periodic(100, 24), { maxTokens: 25, seed: 3 }),
    makeRequest('stop-id', periodic(400, 16), { maxTokens: 40, stopTokenIds: [400 + (5 * 13) % 50] }),
    makeRequest('eos', periodic(500, 16, true), { maxTokens: 40 }),
    makeRequest('ignore-eos', periodic(600, 16, true), { maxTokens: 30, ignoreEos: true }),
    makeRequest('max-tokens', periodic(700, 16), { maxTokens: 3 }),
    makeRequest('penalties', periodic(800, 16), { maxTokens: 30, frequencyPenalty: 0.5, presencePenalty: 0.3, minTokens: 5 }),
    makeRequest('repetition', periodic(900, 16), { maxTokens: 30, repetitionPenalty: 1.3 }),
    makeRequest('model-length', periodic(1000, 50), { maxTokens: 100 }),
  ];
}

/** Requests asking for logprobs (top 0 and 5, greedy and seeded) on 8-periodic prompts, stops and EOS among them. */
function logprobsRequests(): GenerateRequest[] {
  const periodic = (base: number, length: number, eos = false) =>
    Array.from({ length }, (_, i) => (eos && i % 8 === 5 ? 2 : base + ((i % 8) * 13) % 50));
  return [
    makeRequest('greedy-top0', periodic(100, 20), { maxTokens: 40, numLogprobs: 0 }),
    makeRequest('greedy-top5', periodic(200, 20), { maxTokens: 40, numLogprobs: 5 }),
    makeRequest('seeded-top0', periodic(300, 19), { maxTokens: 40, temperature: 0.8, seed: 11, numLogprobs: 0 }),
    makeRequest('seeded-top5', periodic(900, 17), { maxTokens: 30, temperature: 1, seed: 5, numLogprobs: 5 }),
    makeRequest('stop-id', periodic(400, 16), { maxTokens: 40, stopTokenIds: [400 + (5 * 13) % 50], numLogprobs: 5 }),
    makeRequest('eos', periodic(500, 16, true), { maxTokens: 40, numLogprobs: 2 }),
    makeRequest('max-tokens', periodic(700, 16), { maxTokens: 6, numLogprobs: 1 }),
    makeRequest('penalties', periodic(800, 16), { maxTokens: 30, presencePenalty: 0.3, seed: 4, numLogprobs: 5 }),
  ];
}

async function assertSameOutput(options: MockRunnerOptions, config: Record<string, unknown>, speculative = NGRAM, reqs = requests): Promise<{ on: RunResult; off: RunResult }> {
  const off = await run(reqs(), options, config, null);
  const on = await run(reqs(), options, config, speculative);
  assert.equal(off.numDrafts, 0, 'no speculation when off');
  for (const [id, stream] of off.streams) assert.deepEqual(on.streams.get(id), stream, `${id}: same tokens, logprobs and end`);
  return { on, off };
}

test('a copying model: identical output with speculation on, most drafts accepted, fewer steps', async () => {
  const { on, off } = await assertSameOutput(COPY, {});
  assert.ok(on.numAccepted > 0 && on.numAccepted / on.numDrafts > 0.5, `accepted ${on.numAccepted} of ${on.numDrafts}`);
  assert.ok(on.numSteps < off.numSteps, `${on.numSteps} steps vs ${off.numSteps}`);
  assert.equal(off.streams.get('model-length')!.finish, 'length');
  assert.equal(off.streams.get('eos')!.finish, 'stop');
  assert.equal(off.streams.get('stop-id')!.finish, 'stop');
  assert.ok(off.streams.get('ignore-eos')!.tokens.includes(2), 'ignore_eos streams copied EOS tokens');
});

test('requests with logprobs: drafts accepted, identical tokens and logprobs (one per token) with speculation on and off', async () => {
  for (const options of [COPY, { ...COPY, info: SMALL_POOL }]) {
    const { on, off } = await assertSameOutput(options, { maxNumBatchedTokens: 32, maxNumSeqs: 6 }, NGRAM, logprobsRequests);
    assert.ok(on.numAccepted > 0 && on.numSteps < off.numSteps, `accepted ${on.numAccepted} of ${on.numDrafts}`);
    for (const [id, stream] of off.streams) {
      assert.equal(stream.logprobs.length, stream.tokens.length, `${id}: a logprob per streamed token`);
      assert.ok(stream.tokens.length > 0, id);
    }
    assert.equal(off.streams.get('stop-id')!.finish, 'stop');
    assert.equal(off.streams.get('eos')!.finish, 'stop');
    assert.deepEqual(off.streams.get('greedy-top5')!.logprobs[0]!.topTokenIds.length, 5);
  }
});

test('k by batch size: no drafts in steps with 3+ decodes, drafts below; identical output (table and disable_by_batch_size)', async () => {
  const table: SpeculativeConfig = { ...NGRAM, numSpeculativeTokensPerBatchSize: [[1, 2, 4], [3, 64, 0]] };
  for (const speculative of [table, { ...NGRAM, disableByBatchSize: 3 }]) {
    const { on } = await assertSameOutput(COPY, { maxNumSeqs: 4 }, speculative);
    const drafted = on.decodeSteps.filter((s) => s.drafted);
    assert.ok(drafted.length > 0 && on.numAccepted > 0, 'the tail of the run (≤ 2 decodes) speculates');
    for (const s of drafted) assert.ok(s.numDecodeSeqs <= 2, `drafts in a step with ${s.numDecodeSeqs} decodes`);
    assert.ok(on.decodeSteps.filter((s) => s.numDecodeSeqs >= 3).length > 5, 'most steps run 3+ decodes, without drafts');
  }
});

test('drafts_total counts verified rows: accepted per row ≤ k', async () => {
  const { on } = await assertSameOutput(COPY, {});
  assert.ok(on.numDraftRows > 0 && on.numDraftRows <= on.numDrafts && on.numAccepted <= 4 * on.numDraftRows);
  assert.ok(on.numAccepted / on.numDraftRows > 1, `mean accepted per draft row ${on.numAccepted / on.numDraftRows}`);
});

test('a small pool that forces preemption: identical output, audit clean, nothing leaked', async () => {
  const { on, off } = await assertSameOutput({ ...COPY, info: SMALL_POOL }, { maxNumBatchedTokens: 32, maxNumSeqs: 6 });
  assert.ok(on.numPreemptions > 0 && off.numPreemptions > 0, `preempted ${off.numPreemptions} / ${on.numPreemptions} times`);
  assert.ok(on.numAccepted > 0);
});

test('a model that rarely copies rejects most drafts and still gives identical output, preempting too', async () => {
  const { on } = await assertSameOutput({ copy: { distance: 8, probability: 0.3 }, info: SMALL_POOL }, { maxNumBatchedTokens: 24, maxNumSeqs: 8 });
  assert.ok(on.numDrafts > 2 * on.numAccepted && on.numAccepted > 0, `accepted ${on.numAccepted} of ${on.numDrafts}`);
  assert.ok(on.numPreemptions > 0);
});

test('rows with structured output or prompt logprobs to score get no drafts; their plain and logprobs twins do', async () => {
  const runner = new RecordingRunner({ ...COPY, info: { vocabSize: 1000 } });
  const engine = new Engine(runner, { workerId: 'w', speculative: NGRAM, constraintFactory: new ChoiceConstraintFactory(1000, [2]) });
  const out = collect(engine);
  const prompt = Array.from({ length: 24 }, (_, i) => 40 + (i % 8));
  engine.add(makeRequest('plain', prompt, { maxTokens: 12 }));
  engine.add(makeRequest('logprobs', prompt, { maxTokens: 12, numLogprobs: 2 }));
  engine.add(makeRequest('prompt-logprobs', prompt, { maxTokens: 12, numPromptLogprobs: 1 }));
  engine.add(makeRequest('structured', prompt, { maxTokens: 12, structuredOutput: { kind: 'choice', choices: ['40 41 42 43 44 45 46 47 40 41'] } }));
  while (engine.hasWork()) await engine.step();
  const ids = ['plain', 'logprobs', 'prompt-logprobs', 'structured']; // seq ids 1…4, in add() order
  const drafted = new Set(runner.batches.flatMap((b) => b.sequences.filter((s) => s.draftTokenIds !== undefined).map((s) => ids[s.seqId - 1])));
  assert.deepEqual([...drafted].sort(), ['logprobs', 'plain', 'prompt-logprobs'], 'prompt-logprobs drafts only once its prompt logprobs are out');
  for (const b of runner.batches) for (const s of b.sequences) assert.ok(s.draftTokenIds === undefined || s.promptLogprobs === undefined);
  assert.equal(out.tokensOf('structured').join(' '), '40 41 42 43 44 45 46 47 40 41');
  for (const e of out.events) if (e.kind === 'tokens' && e.requestId === 'logprobs') assert.equal(e.logprobs?.length, e.tokenIds.length);
  assert.equal(out.events.filter((e) => e.kind === 'tokens' && e.promptLogprobs !== undefined).length, 1);
});

test('drafts never exceed maxTokens, the model length or the token budget; a decode costs 1 + its drafts', async () => {
  const runner = new RecordingRunner({ ...COPY, info: { numBlocks: 64, blockSize: 4, maxModelLen: 40 } });
  const engine = new Engine(runner, { workerId: 'w', speculative: { ...NGRAM, numSpeculativeTokens: 8 }, maxNumBatchedTokens: 6, maxNumSeqs: 3 });
  const prompt = (base: number) => Array.from({ length: 16 }, (_, i) => base + (i % 8));
  engine.add(makeRequest('a', prompt(10), { maxTokens: 7 }));
  engine.add(makeRequest('b', prompt(30), { maxTokens: 100 }));
  engine.add(makeRequest('c', prompt(50), { maxTokens: 100 }));
  while (engine.hasWork()) await engine.step();
  let numDrafted = 0;
  for (const b of runner.batches) {
    assert.ok(b.numTokens <= 6, 'token budget');
    assert.equal(b.numTokens, b.sequences.reduce((n, s) => n + s.tokenIds.length, 0));
    for (const s of b.sequences) {
      if (s.draftTokenIds === undefined) continue;
      numDrafted++;
      assert.deepEqual(s.tokenIds.slice(1), s.draftTokenIds);
      assert.ok(s.outputTokenIds.length + s.draftTokenIds.length + 1 <= s.sampling!.maxTokens, 'bonus token fits maxTokens');
      assert.ok(s.startPosition + s.tokenIds.length + 1 <= 40, 'bonus token fits the model length');
      assert.ok(s.blockTable.length * 4 >= s.startPosition + s.tokenIds.length, 'blocks cover the drafts');
    }
  }
  assert.ok(numDrafted > 0);
});

test('a runner that verifies drafts without a valid numAcceptedDrafts fails the batch, freeing its blocks', async () => {
  for (const bad of [undefined, [5], [-1], [0.5]]) {
    const runner = new SpyRunner({ ...COPY, info: { numBlocks: 64, blockSize: 4 } });
    const engine = new Engine({
      info: runner.info,
      step: async (batch) => {
        const output = await runner.step(batch);
        return output.numAcceptedDrafts === undefined ? output : { ...output, numAcceptedDrafts: bad };
      },
      close: () => runner.close(),
    }, { workerId: 'w', speculative: NGRAM });
    const out = collect(engine);
    engine.add(makeRequest('r', Array.from({ length: 16 }, (_, i) => 50 + (i % 8)), { maxTokens: 20 }));
    while (engine.hasWork()) await engine.step();
    const end = out.endOf('r');
    assert.ok(end?.kind === 'failed' && /numAcceptedDrafts/.test(end.error.message), JSON.stringify(end));
    assert.equal(engine.load().numActiveBlocks, 0);
  }
});

test('a runner that accepts drafts of a logprobs row without a logprobs entry for each fails the batch, freeing its blocks', async () => {
  for (const bad of [undefined, [[]]]) {
    const runner = new SpyRunner({ ...COPY, info: { numBlocks: 64, blockSize: 4 } });
    const engine = new Engine({
      info: runner.info,
      step: async (batch) => {
        const output = await runner.step(batch);
        const accepted = (output.numAcceptedDrafts?.[0] ?? 0) > 0;
        return accepted ? { ...output, draftLogprobs: bad as StepOutput['draftLogprobs'] } : output;
      },
      close: () => runner.close(),
    }, { workerId: 'w', speculative: NGRAM });
    const out = collect(engine);
    engine.add(makeRequest('r', Array.from({ length: 16 }, (_, i) => 50 + (i % 8)), { maxTokens: 20, numLogprobs: 1 }));
    while (engine.hasWork()) await engine.step();
    const end = out.endOf('r');
    assert.ok(end?.kind === 'failed' && /each accepted draft/.test(end.error.message), JSON.stringify(end));
    assert.equal(engine.load().numActiveBlocks, 0);
  }
});
