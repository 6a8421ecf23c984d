// logit_bias, min_tokens, repetition_penalty and min_p through the engine and the MockRunner: admission of bad
// values (never a crash, nothing queued), the bias moving the pick, stop tokens masked before min_tokens, and
// prompt ids reaching the runner only when the repetition penalty is on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SamplingParams } from '@mini-dynamo/protocol';
import { Engine } from './engine.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

const INFO = { numBlocks: 64, maxModelLen: 512, vocabSize: 1000, eosTokenIds: [2] };

function setup(runner = new RecordingRunner({ info: INFO })) {
  const engine = new Engine(runner, { workerId: 'w1' });
  return { engine, out: collect(engine), runner };
}

test('bad logitBias / minTokens / minP / repetitionPenalty are invalid_request at admission, nothing queued', () => {
  const { engine } = setup();
  const bad: Partial<SamplingParams>[] = [
    { logitBias: [[1000, 1]] }, { logitBias: [[-1, 1]] }, { logitBias: [[1.5, 1]] }, { logitBias: [[3, 101]] },
    { logitBias: [[3, Number.NaN]] }, { logitBias: 'x' as never }, { logitBias: [null] as never },
    { minTokens: 17, maxTokens: 16 }, { minTokens: -1 }, { minTokens: 0.5 }, { minP: 1.5 }, { minP: -0.1 },
    { repetitionPenalty: 0 }, { repetitionPenalty: Infinity },
  ];
  bad.forEach((sampling, i) => {
    const r = engine.add(makeRequest(`b${i}`, tokens(4), sampling));
    assert.equal(r.ok ? 'ok' : r.error.code, 'invalid_request', JSON.stringify(sampling));
  });
  assert.match((engine.add(makeRequest('x', [1], { logitBias: [[5000, 3]] })) as { error: { message: string } }).error.message, /logitBias token id 5000/);
  assert.equal(engine.hasWork(), false);
  assert.equal(engine.add(makeRequest('good', tokens(4), { logitBias: [[999, -100]], minTokens: 16, maxTokens: 16, minP: 1, repetitionPenalty: 2 })).ok, true);
});

test('a +100 logit bias makes greedy output that token; -100 on the mode moves the pick away from it', async () => {
  const { engine, out } = setup();
  engine.add(makeRequest('plain', tokens(10), { maxTokens: 6 }));
  engine.add(makeRequest('up', tokens(10), { maxTokens: 6, logitBias: [[77, 100]] }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('up'), [77, 77, 77, 77, 77, 77]);
  const plain = out.tokensOf('plain');
  const second = setup();
  second.engine.add(makeRequest('down', tokens(10), { maxTokens: 1, logitBias: [[plain[0]!, -100]] }));
  await drain(second.engine);
  assert.notEqual(second.out.tokensOf('down')[0], plain[0]);
});

test('min_tokens: EOS and stop token ids cannot be sampled before it; they end the request after', async () => {
  const { engine, out } = setup(new RecordingRunner({ info: INFO, eosProbability: 1 }));
  engine.add(makeRequest('eos', tokens(5), { maxTokens: 10 }));
  engine.add(makeRequest('min', tokens(5), { maxTokens: 10, minTokens: 3 }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('eos'), []);
  const min = out.tokensOf('min');
  assert.equal(min.length, 3);
  assert.ok(!min.includes(2));
  assert.equal(out.finishReason('min'), 'stop');
  assert.equal(out.usage('min')!.numCompletionTokens, 4);
  // A stop token id: bias it to be the pick, min_tokens holds it off.
  const stop = setup();
  stop.engine.add(makeRequest('s', tokens(5), { maxTokens: 10, minTokens: 4, stopTokenIds: [55], logitBias: [[55, 100]] }));
  await drain(stop.engine);
  assert.equal(stop.out.tokensOf('s').length, 4);
  assert.ok(!stop.out.tokensOf('s').includes(55));
  assert.equal(stop.out.finishReason('s'), 'stop');
});

test('prompt ids reach the runner only when the repetition penalty is on', async () => {
  const { engine, runner } = setup();
  const prompt = tokens(6);
  engine.add(makeRequest('rep', prompt, { maxTokens: 3, repetitionPenalty: 1.3 }));
  engine.add(makeRequest('plain', tokens(6, 9), { maxTokens: 3 }));
  await drain(engine);
  const sampled = runner.batches.flatMap((b) => b.sequences.filter((s) => s.sampling !== null));
  const rep = sampled.filter((s) => s.sampling!.repetitionPenalty === 1.3);
  assert.equal(rep.length, 3);
  for (const s of rep) assert.deepEqual(s.promptTokenIds, prompt);
  assert.ok(sampled.filter((s) => s.sampling!.repetitionPenalty !== 1.3).every((s) => s.promptTokenIds === undefined));
});
