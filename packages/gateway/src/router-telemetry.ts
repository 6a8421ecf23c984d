// RouterObserver → router metrics (Dynamo's routing overhead histograms, decisions by reason,
// predicted / best hit rates), plus a Router wrapper that turns worker loads, joins, leaves, KV
// resyncs and the indexer's counters into gauges and counters. Keeps each decision's phase
// timings briefly so the request's `routing` span can be timed from them.

import type { KvCacheSnapshot, Router, RoutingDecision, WorkerLoad } from '@mini-dynamo/protocol';
import type { MiniRouter, RouterObserver, RoutingTimings } from '@mini-dynamo/router';
import { epochNowMs, type GatewayMetrics } from '@mini-dynamo/telemetry';

export interface TimedDecision {
  decision: RoutingDecision;
  timings: RoutingTimings;
  decidedAtMs: number;
}

const MAX_PENDING = 10_000;

export class RouterTelemetry {
  private readonly pending = new Map<string, TimedDecision>();
  private readonly indexerSeen = { applied: 0, rejected: new Map<string, number>() };

  constructor(private readonly metrics: GatewayMetrics, private readonly model: string) {}

  readonly observer: RouterObserver = {
    onDecision: (decision, timings, request) => {
      const m = this.metrics;
      m.overheadBlockHashing.observe(timings.blockHashingMs);
      m.overheadIndexerFindMatches.observe(timings.indexerFindMatchesMs);
      m.overheadSeqHashing.observe(timings.seqHashingMs);
      m.overheadScheduling.observe(timings.schedulingMs);
      m.overheadTotal.observe(timings.totalMs);
      m.decisions.inc({ policy: decision.policy, reason: decision.reason, worker_id: decision.workerId });
      if (decision.numPromptBlocks > 0) {
        m.kvHitRate.observe({ model: this.model }, decision.overlapBlocks / decision.numPromptBlocks);
        m.bestKvHitRate.observe(decision.bestOverlapBlocks / decision.numPromptBlocks);
      }
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
      this.pending.set(request.requestId, { decision, timings, decidedAtMs: epochNowMs() });
    },
  };

  /** The phase timings of a request's decision (once; null if unknown). */
  takeDecision(requestId: string): TimedDecision | null {
    const found = this.pending.get(requestId) ?? null;
    this.pending.delete(requestId);
    return found;
  }

  /** Router whose worker/load/KV calls also update the worker gauges and KV counters. */
  instrument<R extends Router>(router: R): R {
    const m = this.metrics;
    const mini = router as Partial<MiniRouter>;
    mini.onResyncRequest?.((workerId) => m.kvEventGaps.inc({ worker_id: workerId }));
    const hooks: Partial<Router> = {
      addWorker: (workerId: string, numTotalBlocks: number) => {
        router.addWorker(workerId, numTotalBlocks);
        m.workerUp.set({ worker_id: workerId }, 1);
      },
      removeWorker: (workerId: string) => {
        router.removeWorker(workerId);
        m.workerUp.set({ worker_id: workerId }, 0);
        m.workerActiveDecodeBlocks.remove({ worker_id: workerId });
        m.workerActivePrefillTokens.remove({ worker_id: workerId });
      },
      updateLoad: (load: WorkerLoad) => {
        router.updateLoad(load);
        m.workerActiveDecodeBlocks.set({ worker_id: load.workerId }, load.numActiveBlocks);
        m.workerActivePrefillTokens.set({ worker_id: load.workerId }, load.numPrefillTokensQueued);
      },
      applySnapshot: (snapshot: KvCacheSnapshot) => {
        router.applySnapshot(snapshot);
        m.kvResyncs.inc({ worker_id: snapshot.workerId });
      },
    };
    return new Proxy(router, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop in hooks) return hooks[prop as keyof Router];
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Bring the indexer's cumulative counters into the registry (call before each scrape). */
  syncIndexerCounters(router: Router): void {
    const stats = (router as Partial<MiniRouter>).stats?.().indexer;
    if (!stats) return;
    if (stats.numEventsApplied > this.indexerSeen.applied) {
      this.metrics.kvEventsApplied.inc(stats.numEventsApplied - this.indexerSeen.applied);
      this.indexerSeen.applied = stats.numEventsApplied;
    }
    for (const [reason, count] of Object.entries(stats.badEvents)) {
      const seen = this.indexerSeen.rejected.get(reason) ?? 0;
      if (count > seen) this.metrics.kvEventsRejected.inc({ reason }, count - seen);
      this.indexerSeen.rejected.set(reason, count);
    }
  }
}
