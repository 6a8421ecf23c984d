// Request migration in the engine: a request resumed with the first N output tokens of an uninterrupted run
// (resumeOutputTokenIds) continues with exactly that run's remaining tokens — greedy and seeded, with penalties,
// min_tokens and structured output — emits none of the resumed ones, reports the full usage and leaks no block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GenerateRequest, SamplingParams } from '@mini-dynamo/protocol';
import { ChoiceConstraintFactory } from './constraint-fixtures.js';
import { Engine } from './engine.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

const INFO = { blockSize: 4, numBlocks: 64, maxModelLen: 512, vocabSize: 1000, eosTokenIds: [2] };
const PENALTIES: Partial<SamplingParams> = { presencePenalty: 0.7, frequencyPenalty: 0.4, repetitionPenalty: 1.3 };

function setup(eosProbability = 0, factory: ChoiceConstraintFactory | null = null) {
  const runner = new RecordingRunner({ info: INFO, eosProbability });
  const engine = new Engine(runner, { workerId: 'w1', constraintFactory: factory });
  return { engine, out: collect(engine), runner };
}

const inVocab = (n: number) => Array.from({ length: n }, (_, i) => 3 + (i % 900));
const resumed = (request: GenerateRequest, id: string, output: number[]): GenerateRequest =>
  ({ ...request, requestId: id, resumeOutputTokenIds: output });

/** The uninterrupted run, then a resume after each n in cuts on a fresh engine: same continuation, same end. */
async function assertResumesExactly(sampling: Partial<SamplingParams>, cuts: number[], eosProbability = 0) {
  const base = makeRequest('full', tokens(9), sampling);
  const first = setup(eosProbability);
  assert.equal(first.engine.add(base).ok, true);
  await drain(first.engine);
  const full = first.out.tokensOf('full');
  const fullUsage = first.out.usage('full');
  assert.ok(fullUsage && full.length > Math.max(...cuts), `the run is long enough: ${full.length}`);
  for (const n of cuts) {
    const { engine, out } = setup(eosProbability);
    const id = `resumed-${n}`;
    assert.equal(engine.add(resumed(base, id, full.slice(0, n))).ok, true);
    await drain(engine);
    assert.deepEqual(out.tokensOf(id), full.slice(n), `continuation after ${n} tokens`);
    assert.equal(out.finishReason(id), first.out.finishReason('full'));
    assert.deepEqual(out.usage(id), fullUsage, 'usage counts the resumed tokens, prompt stays the original');
    assert.equal(engine.load().numActiveBlocks, 0, 'no block leaked');
  }
}

test('greedy with presence/frequency/repetition penalties: a resumed request continues exactly', async () => {
  await assertResumesExactly({ maxTokens: 20, ...PENALTIES }, [1, 4, 13, 19]);
});

test('seeded sampling with penalties: a resumed request continues exactly', async () => {
  await assertResumesExactly({ maxTokens: 20, temperature: 0.8, seed: 1234, ...PENALTIES }, [2, 7, 16]);
});

test('min_tokens counts the resumed tokens (EOS masked only until min_tokens in total)', async () => {
  await assertResumesExactly({ maxTokens: 30, minTokens: 8 }, [3, 7], 0.3);
});

test('the resumed tokens are not re-emitted, nor are prompt logprobs; maxTokens counts them', async () => {
  const { engine, out, runner } = setup();
  const req = makeRequest('r', tokens(6), { maxTokens: 5, numPromptLogprobs: 1, numLogprobs: 0 });
  assert.equal(engine.add(resumed(req, 'r', [11, 12, 13])).ok, true);
  await drain(engine);
  const events = out.events.filter((e) => e.requestId === 'r' && e.kind === 'tokens');
  assert.equal(out.tokensOf('r').length, 2, 'maxTokens 5 − 3 resumed');
  assert.ok(events.every((e) => e.kind === 'tokens' && e.promptLogprobs === undefined && e.logprobs?.length === e.tokenIds.length));
  assert.deepEqual(out.usage('r'), { numPromptTokens: 6, numCompletionTokens: 5, numCachedTokens: 0 });
  const firstChunk = runner.batches[0]!.sequences[0]!;
  assert.deepEqual(firstChunk.tokenIds, [...tokens(6), 11, 12, 13], 'prompt ‖ resumed output is recomputed');
  assert.equal(firstChunk.promptLogprobs, undefined);
});

test('a resumed request whose prompt is cached reports at most the prompt as cached tokens', async () => {
  const { engine, out } = setup();
  const req = makeRequest('a', tokens(16), { maxTokens: 12 });
  engine.add(req);
  await drain(engine);
  const full = out.tokensOf('a');
  engine.add(resumed(req, 'b', full.slice(0, 9)));
  await drain(engine);
  assert.deepEqual(out.tokensOf('b'), full.slice(9));
  const usage = out.usage('b')!;
  assert.ok(usage.numCachedTokens > 0 && usage.numCachedTokens <= 16, JSON.stringify(usage));
  assert.equal(usage.numCompletionTokens, 12);
  assert.equal(engine.load().numActiveBlocks, 0);
});

test('structured output: the constraint is advanced over the resumed tokens; a refused one is invalid_request', async () => {
  const factory = new ChoiceConstraintFactory(INFO.vocabSize, INFO.eosTokenIds, true);
  const { engine, out } = setup(0, factory);
  const spec = { maxTokens: 10, structuredOutput: { kind: 'choice' as const, choices: ['30 31 32 33', '10 20'] } };
  assert.equal(engine.add(resumed(makeRequest('s', tokens(5), spec), 's', [30, 31])).ok, true);
  await drain(engine);
  assert.deepEqual(out.tokensOf('s'), [32, 33]);
  assert.equal(out.finishReason('s'), 'stop');
  assert.deepEqual(factory.created[0]!.output, [30, 31, 32, 33]);
  const refused = engine.add(resumed(makeRequest('x', tokens(5), spec), 'x', [30, 20]));
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'invalid_request');
  assert.equal(engine.hasWork(), false);
});

test('admission: resumed ids outside the vocabulary, or leaving nothing to generate, are refused; nothing queued', () => {
  const { engine } = setup();
  const req = makeRequest('q', tokens(5), { maxTokens: 4 });
  for (const [output, code] of [[[1000], 'invalid_request'], [[1.5], 'invalid_request'], [[5, 6, 7, 8], 'invalid_request']] as const) {
    const r = engine.add(resumed(req, 'q', [...output]));
    assert.equal(r.ok ? 'ok' : r.error.code, code, JSON.stringify(output));
  }
  const long = engine.add(resumed(makeRequest('l', inVocab(500), { maxTokens: 100 }), 'l', inVocab(20)));
  assert.equal(long.ok ? 'ok' : long.error.code, 'prompt_too_long');
  assert.equal(engine.hasWork(), false);
  assert.equal(engine.load().numActiveBlocks, 0);
});
