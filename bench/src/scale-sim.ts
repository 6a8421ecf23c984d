// Scale simulation: N engines with MockRunners behind one real Router, driven in-process as a
// discrete-event simulation. Virtual time: each engine step lasts MockRunner.stepMs(batch) (the
// mock's timing model; nothing sleeps), so 256 workers replay a trace in seconds of CPU.
// Tokens of a step are stamped at the step's end; KV events and load reach the router then.
// Router overhead is real wall time measured by the router's own phase timings.

import { Engine, MockRunner, type MockTiming } from '@mini-dynamo/engine';
import { createRouter, type RoutingTimings } from '@mini-dynamo/router';
import {
  samplingParams, type EngineEvent, type KvCacheEvent, type ModelRunner, type RoutingPolicyName, type StepBatch,
} from '@mini-dynamo/protocol';
import { performance } from 'node:perf_hooks';
import { emptyRecord, type RequestRecord } from './event-log.js';
import { MinHeap } from './min-heap.js';
import { createRng } from './rng.js';
import { entryPrompt, firstTimestamp, type MooncakeEntry, type TraceReplayOptions } from './mooncake-trace.js';
import { distribution, percentile, type Distribution } from './percentiles.js';

export interface ScaleSimOptions {
  numWorkers: number;
  policy: RoutingPolicyName;
  entries: readonly MooncakeEntry[];
  replay: TraceReplayOptions;
  /** KV blocks per worker (MockRunner pool) and engine limits. */
  numBlocksPerWorker: number;
  maxNumSeqs: number;
  /** kv policy: weight of prefill blocks against active blocks (Dynamo's overlap_score_weight); null = router default. */
  overlapWeight: number | null;
  timing?: Partial<MockTiming>;
}

export interface ScaleSimResult {
  numWorkers: number;
  policy: RoutingPolicyName;
  /** Per-request events on the virtual clock (ms). */
  records: RequestRecord[];
  routerTotalMs: Distribution;
  routerPhasesP99Ms: Omit<RoutingTimings, 'totalMs'>;
  /** Block entries held by the router's index at the end, and KV events it applied. */
  indexBlocks: number;
  numKvEvents: number;
  numEngineSteps: number;
  simulatedMs: number;
  wallMs: number;
}

/** Records each batch's modelled duration so the simulation can advance its clock by it. */
class TimedMockRunner implements ModelRunner {
  lastStepMs = 0;
  constructor(private readonly inner: MockRunner) {}
  get info() {
    return this.inner.info;
  }
  async step(batch: StepBatch) {
    this.lastStepMs = this.inner.stepMs(batch);
    return this.inner.step(batch);
  }
  close() {
    return this.inner.close();
  }
}

interface SimWorker {
  id: string;
  engine: Engine;
  runner: TimedMockRunner;
  stepping: boolean;
  engineEvents: EngineEvent[];
  kvEvents: KvCacheEvent[];
}

export async function simulateScale(o: ScaleSimOptions): Promise<ScaleSimResult> {
  const wallStart = performance.now();
  let clock = 0;
  const timings: RoutingTimings[] = [];
  const router = createRouter({
    policy: o.policy, blockSize: 16, now: () => clock,
    ...(o.overlapWeight === null ? {} : { overlapWeight: o.overlapWeight }),
    random: createRng(o.numWorkers), observer: { onDecision: (_d, t) => timings.push(t) },
  });
  const workers = Array.from({ length: o.numWorkers }, (_, i) => makeWorker(`w${i}`, o));
  for (const w of workers) router.addWorker(w.id, o.numBlocksPerWorker);
  const byId = new Map(workers.map((w) => [w.id, w]));
  const records = new Map<string, RequestRecord>();
  const steps = new MinHeap<SimWorker>();
  let numEngineSteps = 0;

  const startStep = async (w: SimWorker) => {
    w.stepping = true;
    await w.engine.step();
    numEngineSteps++;
    steps.push(clock + w.runner.lastStepMs, w);
  };
  const completeStep = async (w: SimWorker) => {
    for (const e of w.kvEvents.splice(0)) router.applyKvEvent(e);
    for (const e of w.engineEvents.splice(0)) deliver(e, records, clock, router);
    router.updateLoad({ ...w.engine.load(), timestampMs: clock });
    w.stepping = false;
    if (w.engine.hasWork()) await startStep(w);
  };

  const t0 = firstTimestamp(o.entries);
  for (let i = 0; i < o.entries.length || steps.size > 0;) {
    const arrival = i < o.entries.length ? (o.entries[i]!.timestamp - t0) * o.replay.timeScale : Infinity;
    const stepEnd = steps.peekKey() ?? Infinity;
    if (arrival <= stepEnd) {
      clock = arrival;
      const w = admit(o, i, clock, router, byId, records);
      i++;
      if (w && !w.stepping) await startStep(w);
    } else {
      const next = steps.pop()!;
      clock = next.key;
      await completeStep(next.item);
    }
  }
  const stats = router.stats().indexer;
  const p99 = (f: (t: RoutingTimings) => number) => percentile(timings.map(f), 99) ?? 0;
  return {
    numWorkers: o.numWorkers, policy: o.policy,
    records: [...records.values()],
    routerTotalMs: distribution(timings.map((t) => t.totalMs)),
    routerPhasesP99Ms: {
      blockHashingMs: p99((t) => t.blockHashingMs), seqHashingMs: p99((t) => t.seqHashingMs),
      indexerFindMatchesMs: p99((t) => t.indexerFindMatchesMs), schedulingMs: p99((t) => t.schedulingMs),
    },
    indexBlocks: stats ? stats.numBlocksStored - stats.numBlocksRemoved : 0,
    numKvEvents: stats?.numEventsApplied ?? 0,
    numEngineSteps,
    simulatedMs: clock,
    wallMs: performance.now() - wallStart,
  };
}

function makeWorker(id: string, o: ScaleSimOptions): SimWorker {
  const runner = new TimedMockRunner(new MockRunner({ info: { numBlocks: o.numBlocksPerWorker }, timing: o.timing }));
  const engine = new Engine(runner, { workerId: id, maxNumSeqs: o.maxNumSeqs });
  const w: SimWorker = { id, engine, runner, stepping: false, engineEvents: [], kvEvents: [] };
  engine.onEvent((e) => w.engineEvents.push(e));
  engine.onKvEvent((e) => w.kvEvents.push(e));
  return w;
}

function admit(o: ScaleSimOptions, i: number, clock: number, router: ReturnType<typeof createRouter>, byId: Map<string, SimWorker>, records: Map<string, RequestRecord>): SimWorker | null {
  const entry = o.entries[i]!;
  const promptTokenIds = entryPrompt(entry, i, o.replay);
  const maxTokens = Math.max(1, Math.round(entry.outputLength * o.replay.outputScale));
  const requestId = `t${i}`;
  const record = emptyRecord(requestId, clock, promptTokenIds.length, maxTokens);
  records.set(requestId, record);
  const decision = router.route({ requestId, tokenIds: promptTokenIds, cacheSalt: null });
  if (!decision.ok) {
    record.error = `route: ${decision.error.code}`;
    record.endMs = clock;
    return null;
  }
  record.tags.worker = decision.value.workerId;
  const w = byId.get(decision.value.workerId)!;
  const added = w.engine.add({
    requestId, promptTokenIds, cacheSalt: null, traceContext: {}, arrivalTimeMs: clock,
    sampling: samplingParams({ maxTokens, ignoreEos: true, temperature: 0 }),
  });
  if (!added.ok) {
    record.error = `engine: ${added.error.code}`;
    record.endMs = clock;
    router.finish(requestId);
    return null;
  }
  return w;
}

function deliver(e: EngineEvent, records: Map<string, RequestRecord>, clock: number, router: ReturnType<typeof createRouter>): void {
  const r = records.get(e.requestId);
  if (!r) return;
  if (e.kind === 'tokens') {
    for (let k = 0; k < e.tokenIds.length; k++) r.chunkTimesMs.push(clock);
    return;
  }
  r.endMs = clock;
  router.finish(e.requestId);
  if (e.kind === 'failed') r.error = `engine: ${e.error.code}`;
  else r.usage = { promptTokens: e.usage.numPromptTokens, completionTokens: e.usage.numCompletionTokens, cachedTokens: e.usage.numCachedTokens };
}
