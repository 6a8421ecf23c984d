// Structured outputs in the engine: admission without a factory or with a refused spec, the mask on every sampling
// StepSequence, accept() after each token (a refused token fails only that request), termination, EOS with
// ignoreEos and min_tokens, and constraint state surviving preemption by recompute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTokenAllowed, type ModelRunner, type StepBatch, type StepOutput, type TokenConstraintFactory } from '@mini-dynamo/protocol';
import { ChoiceConstraintFactory } from './constraint-fixtures.js';
import { Engine } from './engine.js';
import type { EngineObserver } from './engine-observer.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

const INFO = { numBlocks: 64, maxModelLen: 512, vocabSize: 1000, eosTokenIds: [2] };
const CHOICES = ['10 11 12', '10 20', '30 31 32 33'];
const choice = (choices = CHOICES) => ({ structuredOutput: { kind: 'choice' as const, choices } });
const asIds = (s: string) => s.split(' ').map(Number);

function setup(factory: TokenConstraintFactory | null, runner: ModelRunner = new RecordingRunner({ info: INFO }), config: Record<string, unknown> = {}, observer: EngineObserver = {}) {
  const engine = new Engine(runner, { workerId: 'w1', constraintFactory: factory, ...config }, observer);
  return { engine, out: collect(engine), runner };
}

test('without a factory a structured-output request is refused at admission: nothing queued, no block taken', () => {
  const { engine } = setup(null);
  const r = engine.add(makeRequest('s', tokens(40), choice()));
  assert.deepEqual(r, { ok: false, error: { code: 'invalid_request', message: 'structured outputs are not supported by this worker' } });
  assert.equal(engine.hasWork(), false);
  assert.equal(engine.load().numActiveBlocks, 0);
  assert.equal(engine.add(makeRequest('free', tokens(4))).ok, true, 'free text still runs');
});

test('a spec the factory refuses is an invalid_request carrying its message', () => {
  const { engine } = setup(new ChoiceConstraintFactory(1000, [2]));
  const r = engine.add(makeRequest('s', tokens(4), { structuredOutput: { kind: 'regex', pattern: 'a+' } }));
  assert.deepEqual(r, { ok: false, error: { code: 'invalid_request', message: 'regex constraints are not supported by the test factory' } });
  assert.equal(engine.hasWork(), false);
});

test('every sampling step carries the mask; the output is a choice; EOS (allowed once complete) ends it with stop', async () => {
  const factory = new ChoiceConstraintFactory(1000, [2]);
  const { engine, out, runner } = setup(factory);
  engine.add(makeRequest('s', tokens(20), { ...choice(), maxTokens: 10 }));
  engine.add(makeRequest('free', tokens(20, 7), { maxTokens: 5 }));
  await drain(engine);
  const emitted = out.tokensOf('s');
  assert.ok(CHOICES.map(asIds).some((c) => JSON.stringify(c) === JSON.stringify(emitted)), JSON.stringify(emitted));
  assert.equal(out.finishReason('s'), 'stop');
  assert.equal(out.usage('s')!.numCompletionTokens, emitted.length + 1, 'the EOS is counted, not streamed');
  const sampling = (runner as RecordingRunner).batches.flatMap((b) => b.sequences.filter((s) => s.sampling !== null));
  const constrained = sampling.filter((s) => s.sampling!.structuredOutput);
  assert.equal(constrained.length, emitted.length + 1);
  assert.ok(constrained.every((s) => s.allowedTokenMask !== undefined));
  assert.ok(sampling.filter((s) => !s.sampling!.structuredOutput).every((s) => s.allowedTokenMask === undefined), 'free text carries no mask');
  assert.equal(out.tokensOf('free').length, 5);
});

test('a constraint terminated by its token: the token is streamed and the request ends with stop', async () => {
  const { engine, out } = setup(new ChoiceConstraintFactory(1000, [2], true));
  engine.add(makeRequest('t', tokens(8), { ...choice(['40 41']), maxTokens: 10 }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('t'), [40, 41]);
  assert.equal(out.finishReason('t'), 'stop');
  assert.equal(out.usage('t')!.numCompletionTokens, 2);
});

/** Answers every sampled sequence with token 999 (outside any test choice): a runner breaking the mask contract. */
class MaskIgnoringRunner extends RecordingRunner {
  override async step(batch: StepBatch): Promise<StepOutput> {
    const output = await super.step(batch);
    return { sampledTokenIds: output.sampledTokenIds.map((t, k) => (t === null || !batch.sequences[k]!.allowedTokenMask ? t : 999)) };
  }
}

test('a token the constraint refuses fails that request (internal) and nothing else; its blocks are freed', async () => {
  const { engine, out } = setup(new ChoiceConstraintFactory(1000, [2]), new MaskIgnoringRunner({ info: INFO }));
  engine.add(makeRequest('bad', tokens(20), choice()));
  engine.add(makeRequest('ok', tokens(20, 3), { maxTokens: 4 }));
  await drain(engine);
  const end = out.endOf('bad');
  assert.equal(end?.kind, 'failed');
  assert.equal(end.kind === 'failed' && end.error.code, 'internal');
  assert.match(end.kind === 'failed' ? end.error.message : '', /token 999/);
  assert.equal(out.finishReason('ok'), 'length');
  assert.equal(engine.load().numActiveBlocks, 0);
});

test('a constraint that allows no token at all fails its request as invalid_request (the vocabulary cannot spell it)', async () => {
  const { engine, out } = setup(new ChoiceConstraintFactory(1000, [2]));
  engine.add(makeRequest('none', tokens(8), choice([])));
  engine.add(makeRequest('ok', tokens(8, 3), { maxTokens: 3 }));
  await drain(engine);
  const end = out.endOf('none');
  assert.equal(end?.kind === 'failed' && end.error.code, 'invalid_request');
  assert.match(end?.kind === 'failed' ? end.error.message : '', /no token of this model's vocabulary/);
  assert.equal(out.finishReason('ok'), 'length');
  assert.equal(engine.load().numActiveBlocks, 0);
});

test('ignoreEos does not extend a constrained request: an EOS its constraint allows still ends it', async () => {
  const { engine, out } = setup(new ChoiceConstraintFactory(1000, [2]));
  engine.add(makeRequest('i', tokens(8), { ...choice(['50 51']), maxTokens: 10, ignoreEos: true }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('i'), [50, 51]);
  assert.equal(out.finishReason('i'), 'stop');
});

test('min_tokens with a constraint: when the constraint allows only EOS, EOS wins over the min-tokens mask', async () => {
  // The mock's mode is EOS at every step (eosProbability 1): EOS is picked whenever it is allowed.
  const { engine, out } = setup(new ChoiceConstraintFactory(1000, [2]), new RecordingRunner({ info: INFO, eosProbability: 1 }));
  const both = choice(['60 61', '60 61 62 63 64 65']);
  engine.add(makeRequest('m', tokens(8), { ...choice(['60 61']), maxTokens: 10, minTokens: 5 }));
  engine.add(makeRequest('n', tokens(8), { ...both, maxTokens: 10, minTokens: 5 }));
  engine.add(makeRequest('control', tokens(8), { ...both, maxTokens: 10 }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('m'), [60, 61]);
  assert.equal(out.finishReason('m'), 'stop');
  assert.deepEqual(out.tokensOf('n'), [60, 61, 62, 63, 64, 65], 'EOS banned while the constraint allows another token');
  assert.deepEqual(out.tokensOf('control'), [60, 61], 'without min_tokens the EOS-loving mock stops as soon as allowed');
});

test('preemption by recompute keeps the constraint state: every output is a choice and equals the unpreempted run', async () => {
  const choices = ['100 101 102 103 104 105 106 107', '100 101 200 201 202 203 204 205 206 207 208', '300 301 302 303 304 305'];
  const run = async (config: Record<string, unknown>, numBlocks: number) => {
    let numPreemptions = 0;
    const s = setup(new ChoiceConstraintFactory(1000, [2]), new RecordingRunner({ info: { ...INFO, numBlocks, blockSize: 4 } }), config, { onPreempted: () => void numPreemptions++ });
    for (let i = 0; i < 8; i++) s.engine.add(makeRequest(`r${i}`, tokens(9 + i, i * 11), { ...choice(choices), maxTokens: 20, temperature: 1, seed: i }));
    await drain(s.engine);
    return { ...s, numPreemptions };
  };
  const small = await run({ maxNumBatchedTokens: 16, maxNumSeqs: 8 }, 16);
  const reference = await run({}, 512);
  assert.ok(small.numPreemptions >= 2, `preempted ${small.numPreemptions} times`);
  for (let i = 0; i < 8; i++) {
    const emitted = small.out.tokensOf(`r${i}`);
    assert.ok(choices.map(asIds).some((c) => JSON.stringify(c) === JSON.stringify(emitted)), `r${i}: ${JSON.stringify(emitted)}`);
    assert.deepEqual(emitted, reference.out.tokensOf(`r${i}`));
    assert.equal(small.out.finishReason(`r${i}`), 'stop');
  }
  const masks = (small.runner as RecordingRunner).batches.flatMap((b) => b.sequences.filter((s) => s.allowedTokenMask !== undefined));
  assert.ok(masks.every((s) => !isTokenAllowed(s.allowedTokenMask!, 999)));
});
