// Batch invariance on the real model: a request's greedy tokens through Engine + OrtModelRunner (stories260K)
// are identical alone, in a batch of 16 mixed prefill/decode requests, after a prefix-cache hit,
// with chunked prefill and after a preemption; a seeded temperature-1 request (sampled in the graph) is identical alone
// and batched with greedy, logprobs and top-p neighbours (which send their steps to the logits path).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type EngineConfig } from '@mini-dynamo/engine';
import { createOrtModelRunner, defaultModelDir, loadModel, type OrtModelRunner } from '@mini-dynamo/model';
import { samplingParams, type EngineEvent, type GenerateRequest, type SamplingParams } from '@mini-dynamo/protocol';

const NUM_OUTPUT = 24;
const modelDir = defaultModelDir();
const cacheDir = mkdtempSync(join(tmpdir(), 'md-invariance-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

function request(requestId: string, promptTokenIds: number[], sampling: Partial<SamplingParams> = { temperature: 0 }): GenerateRequest {
  return {
    requestId, promptTokenIds, cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
    sampling: samplingParams({ maxTokens: NUM_OUTPUT, ignoreEos: true, ...sampling }),
  };
}

/** 16 prompts of 3..63 tokens from the model's vocabulary (BOS first). */
const PROMPTS = Array.from({ length: 16 }, (_, r) =>
  [1, ...Array.from({ length: 2 + ((r * 13) % 62), }, (_, i) => 3 + ((r * 31 + i * 17) % 509))]);

interface Run { tokens: Map<string, number[]>; events: EngineEvent[]; numPreempted: number }

/** Runs requests through a fresh engine; `arrivals[k]` = step before which request k is added. */
async function runEngine(runner: OrtModelRunner, config: Partial<EngineConfig>, requests: GenerateRequest[], arrivals: number[] = []): Promise<Run> {
  let numPreempted = 0;
  const engine = new Engine(runner, { workerId: 'w0', ...config }, { onPreempted: () => { numPreempted++; } });
  const events: EngineEvent[] = [];
  engine.onEvent((e) => events.push(e));
  const pending = requests.map((r, k) => ({ r, at: arrivals[k] ?? 0 }));
  for (let step = 0; pending.length > 0 || engine.hasWork(); step++) {
    assert.ok(step < 10_000, 'engine did not drain');
    for (const p of pending.filter((q) => q.at <= step)) {
      assert.ok(engine.add(p.r).ok);
      pending.splice(pending.indexOf(p), 1);
    }
    if (engine.hasWork()) await engine.step();
  }
  const tokens = new Map<string, number[]>();
  for (const e of events) {
    assert.notEqual(e.kind, 'failed', JSON.stringify(e));
    if (e.kind === 'tokens') tokens.set(e.requestId, [...(tokens.get(e.requestId) ?? []), ...e.tokenIds]);
  }
  return { tokens, events, numPreempted };
}

describe('batch invariance through Engine + OrtModelRunner (stories260K)', { skip: existsSync(modelDir) ? false : `no model at ${modelDir}` }, () => {
  let runner: OrtModelRunner;
  const alone = new Map<string, number[]>();

  before(async () => {
    const model = await loadModel(modelDir);
    assert.ok(model.ok, model.ok ? '' : model.error.message);
    const r = await createOrtModelRunner({ model: model.value, cacheDir, blockSize: 16, numBlocks: 256, intraOpNumThreads: 1 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    runner = r.value;
    for (const [k, prompt] of PROMPTS.entries()) {
      const run = await runEngine(runner, { enablePrefixCaching: false }, [request(`r${k}`, prompt)]);
      alone.set(`r${k}`, run.tokens.get(`r${k}`)!);
      assert.equal(alone.get(`r${k}`)!.length, NUM_OUTPUT);
    }
  });
  after(() => runner.close());

  const expectAlone = (run: Run, ids: string[]) => {
    for (const id of ids) assert.deepEqual(run.tokens.get(id), alone.get(id), `${id} differs from its solo run`);
  };

  it('is identical in a batch of 16 with prefills joining running decodes', async () => {
    const requests = PROMPTS.map((p, k) => request(`r${k}`, p));
    const run = await runEngine(runner, { enablePrefixCaching: false }, requests, requests.map((_, k) => (k < 8 ? 0 : 3 + k)));
    expectAlone(run, requests.map((r) => r.requestId));
  });

  it('is identical after a prefix-cache hit', async () => {
    const k = PROMPTS.reduce((best, p, i) => (p.length > PROMPTS[best]!.length ? i : best), 0);
    const shared = PROMPTS[k]!; // the longest prompt: 3 full blocks
    const first = request(`r${k}`, shared);
    const second = request('again', shared);
    const run = await runEngine(runner, { enablePrefixCaching: true }, [first, second], [0, 40]);
    const finished = run.events.find((e) => e.kind === 'finished' && e.requestId === 'again');
    assert.ok(finished?.kind === 'finished' && finished.usage.numCachedTokens >= 48, `prefix-cache hit: ${JSON.stringify(finished)}`);
    assert.deepEqual(run.tokens.get('again'), alone.get(`r${k}`));
    expectAlone(run, [`r${k}`]);
  });

  it('is identical with chunked prefill (8-token budget per step)', async () => {
    const requests = [3, 7, 11].map((k) => request(`r${k}`, PROMPTS[k]!));
    const run = await runEngine(runner, { enablePrefixCaching: false, maxNumBatchedTokens: 8, maxNumSeqs: 4 }, requests, [0, 2, 5]);
    expectAlone(run, requests.map((r) => r.requestId));
  });

  it('is identical after preemption (KV pool too small for the batch)', async () => {
    const requests = PROMPTS.map((p, k) => request(`r${k}`, p));
    const run = await runEngine(runner, { enablePrefixCaching: false, numBlocks: 14 }, requests);
    assert.ok(run.numPreempted > 0, 'the small pool forced preemptions');
    expectAlone(run, requests.map((r) => r.requestId));
  });

  it('seeded sampling is identical alone and batched with preemption (draws keyed by seed and token index)', async () => {
    const seeded = (k: number) => request(`s${k}`, PROMPTS[k]!, { temperature: 0.9, topP: 0.95, topK: 50, seed: 1000 + k });
    const solo = new Map<string, number[] | undefined>();
    for (const k of [2, 5, 9, 13]) solo.set(`s${k}`, (await runEngine(runner, { enablePrefixCaching: false }, [seeded(k)])).tokens.get(`s${k}`));
    const mixed = [...PROMPTS.map((p, k) => request(`r${k}`, p)), ...[2, 5, 9, 13].map(seeded)];
    const run = await runEngine(runner, { enablePrefixCaching: false, numBlocks: 16 }, mixed, mixed.map((_, i) => i % 5));
    assert.ok(run.numPreempted > 0, 'the small pool forced preemptions');
    for (const [id, tokens] of solo) assert.deepEqual(run.tokens.get(id), tokens, `${id} differs from its solo run`);
    assert.notDeepEqual(solo.get('s2'), alone.get('r2'), 'sampling actually departs from greedy');
  });

  it('a seeded temperature-1 request is identical alone and batched with greedy, logprobs and top-p neighbours', async () => {
    const hot = (k: number) => request(`t${k}`, PROMPTS[k]!, { temperature: 1, seed: 77 + k });
    const solo = new Map<string, number[] | undefined>();
    const before = { ...runner.numStepsByFetch };
    for (const k of [1, 6]) solo.set(`t${k}`, (await runEngine(runner, { enablePrefixCaching: false }, [hot(k)])).tokens.get(`t${k}`));
    assert.equal(runner.numStepsByFetch.logits, before.logits, 'alone: every step sampled in the graph, no logits fetched');
    assert.ok(runner.numStepsByFetch.sampled >= 2 * NUM_OUTPUT, 'the sampled_ids path was taken');
    const neighbours = [
      request('g0', PROMPTS[0]!),
      request('lp', PROMPTS[3]!, { temperature: 0, numLogprobs: 2 }),
      request('tp', PROMPTS[4]!, { temperature: 0.8, topP: 0.9, seed: 5 }),
    ];
    const mid = { ...runner.numStepsByFetch };
    const run = await runEngine(runner, { enablePrefixCaching: false }, [...neighbours, hot(1), hot(6)], [0, 0, 2, 1, 3]);
    assert.ok(runner.numStepsByFetch.logits > mid.logits, 'the neighbours sent steps to the logits path');
    for (const [id, tokens] of solo) assert.deepEqual(run.tokens.get(id), tokens, `${id} differs from its solo run`);
    assert.deepEqual(run.tokens.get('g0'), alone.get('r0'));
    assert.notDeepEqual(solo.get('t1'), alone.get('r1'), 'sampling actually departs from greedy');
  });
});
