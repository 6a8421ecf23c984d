// Shared-prefix routing simulation: `numWorkers` in-process Engines with time-scaled MockRunners
// (each behind the real WorkerHost, so KV events and load reports reach the router as in
// production), one Router per policy, Poisson arrivals. Measures TTFT, E2E and cached-token ratio.

import { Engine, MockRunner } from '@mini-dynamo/engine';
import { samplingParams, type EngineEvent, type RoutingPolicyName, type WorkerReport } from '@mini-dynamo/protocol';
import { createRouter } from '@mini-dynamo/router';
import { createWorkerHost, type WorkerHost } from '@mini-dynamo/worker';
import { distribution, type Distribution } from './percentiles.js';
import { createRng, exponentialGapMs } from './rng.js';
import { sharedPrefixWorkload } from './shared-prefix-workload.js';

export interface SimOptions {
  numWorkers: number;
  numBlocksPerWorker: number;
  speedup: number;
  numSessions: number;
  numGroups: number;
  prefixLength: number;
  suffixLength: number;
  outputLength: number;
  ratePerSec: number;
  seed: number;
}

export interface SimResult {
  policy: RoutingPolicyName;
  numRequests: number;
  numErrors: number;
  ttftMs: Distribution;
  e2eMs: Distribution;
  /** Σ cached prompt tokens ÷ Σ prompt tokens, as the workers reported them. */
  cachedTokenRatio: number;
  /** Σ predicted cached tokens ÷ Σ prompt tokens, as the router predicted them. */
  predictedCachedRatio: number;
  requestsPerWorker: number[];
}

interface Pending {
  startMs: number;
  firstTokenMs: number | null;
  resolve: (outcome: { ok: boolean; ttftMs: number; e2eMs: number; cached: number; prompt: number }) => void;
}

export async function runSharedPrefixSim(policy: RoutingPolicyName, o: SimOptions): Promise<SimResult> {
  const router = createRouter({ policy, blockSize: 16, random: createRng(o.seed + 99) });
  const pending = new Map<string, Pending>();
  const onEvent = (event: EngineEvent) => {
    const p = pending.get(event.requestId);
    if (!p) return;
    const now = performance.now();
    if (event.kind === 'tokens') p.firstTokenMs ??= now;
    if (event.kind === 'tokens') return;
    pending.delete(event.requestId);
    router.finish(event.requestId);
    const ok = event.kind === 'finished';
    p.resolve({
      ok, ttftMs: (p.firstTokenMs ?? now) - p.startMs, e2eMs: now - p.startMs,
      cached: ok ? event.usage.numCachedTokens : 0, prompt: ok ? event.usage.numPromptTokens : 0,
    });
  };
  const send = (report: WorkerReport) => {
    if (report.type === 'event') onEvent(report.event);
    else if (report.type === 'kv') router.applyKvEvent(report.event);
    else if (report.type === 'load') router.updateLoad(report.load);
  };
  const hosts = new Map<string, WorkerHost>();
  for (let w = 0; w < o.numWorkers; w++) {
    const workerId = `sim${w}`;
    const runner = new MockRunner({ info: { blockSize: 16, numBlocks: o.numBlocksPerWorker, maxModelLen: 8192, vocabSize: 512 }, speedup: o.speedup });
    const engine = new Engine(runner, { workerId, blockSize: 16, numBlocks: o.numBlocksPerWorker });
    hosts.set(workerId, createWorkerHost(engine, send, { loadIntervalMs: 100 }));
    void engine.run();
    router.addWorker(workerId, o.numBlocksPerWorker);
  }
  const sessions = sharedPrefixWorkload({
    numSessions: o.numSessions, numGroups: o.numGroups, prefixLength: o.prefixLength, suffixLength: o.suffixLength,
    outputLength: o.outputLength, turnsPerSession: 1, seed: o.seed, tokenSpace: { vocabSize: 512, firstTokenId: 3 },
  });
  const arrivals = createRng(o.seed + 7);
  const perWorker = new Map<string, number>();
  let predicted = 0;
  const t0 = performance.now();
  let atMs = 0;
  const outcomes = await Promise.all(sessions.map((s, i) => {
    atMs += exponentialGapMs(arrivals, o.ratePerSec);
    const at = atMs;
    return new Promise<{ ok: boolean; ttftMs: number; e2eMs: number; cached: number; prompt: number }>((resolve) => {
      setTimeout(() => {
        const requestId = `${policy}-${i}`;
        const turn = s.turns[0]!;
        const routed = router.route({ requestId, tokenIds: turn.promptTokenIds, cacheSalt: null });
        if (!routed.ok) return resolve({ ok: false, ttftMs: 0, e2eMs: 0, cached: 0, prompt: 0 });
        predicted += routed.value.predictedCachedTokens;
        perWorker.set(routed.value.workerId, (perWorker.get(routed.value.workerId) ?? 0) + 1);
        pending.set(requestId, { startMs: t0 + at, firstTokenMs: null, resolve });
        void hosts.get(routed.value.workerId)!.handle({
          type: 'generate',
          request: {
            requestId, promptTokenIds: turn.promptTokenIds, cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
            sampling: samplingParams({ maxTokens: turn.maxTokens, ignoreEos: true, temperature: 0 }),
          },
        });
      }, Math.max(0, t0 + at - performance.now()));
    });
  }));
  await Promise.all([...hosts.values()].map((h) => h.close()));
  const ok = outcomes.filter((x) => x.ok);
  const promptTokens = ok.reduce((a, x) => a + x.prompt, 0);
  return {
    policy,
    numRequests: outcomes.length,
    numErrors: outcomes.length - ok.length,
    ttftMs: distribution(ok.map((x) => x.ttftMs)),
    e2eMs: distribution(ok.map((x) => x.e2eMs)),
    cachedTokenRatio: promptTokens ? ok.reduce((a, x) => a + x.cached, 0) / promptTokens : 0,
    predictedCachedRatio: promptTokens ? predicted / promptTokens : 0,
    requestsPerWorker: [...hosts.keys()].map((w) => perWorker.get(w) ?? 0),
  };
}
