// Adapts the engine's EngineObserver to this worker's Prometheus registry (scheduler / KV /
// execution metrics of the catalogue) and, when tracing records, to the worker-side spans of each
// request (EngineSpanRecorder), parented on GenerateRequest.traceContext. Hooks are cheap and
// never throw into the step loop.

import type { EngineObserver, StepStats } from '@mini-dynamo/engine';
import { kvUsage, type GenerateRequest, type Result, type WorkerLoad } from '@mini-dynamo/protocol';
import {
  EngineSpanRecorder, Registry, ThroughputWindow, createMetrics, observeMs, type Tracing, type WorkerMetrics,
} from '@mini-dynamo/telemetry';
import type { HostedEngine } from './worker-host.js';

export interface EngineTelemetryOptions {
  model: string;
  workerId: string;
  /** Worker-side spans; null (or not recording) = metrics only. */
  tracing?: Tracing | null;
  registry?: Registry;
  /** process_* / nodejs_* metrics: true for a standalone worker process, false in a thread. */
  collectProcessMetrics?: boolean;
  throughputWindowSeconds?: number;
}

export interface EngineTelemetry {
  readonly registry: Registry;
  readonly metrics: WorkerMetrics;
  readonly observer: EngineObserver;
  /** Wrap the engine so every accepted request's trace context is known before it is queued. */
  instrument(engine: HostedEngine): HostedEngine;
  /** Prometheus text of this worker (for the `metrics` command and a standalone /metrics). */
  metricsText(): Promise<string>;
}

const PREEMPTION_REASON: Record<string, 'memory_pressure' | 'priority'> = { kv_cache_full: 'memory_pressure', priority: 'priority' };

export function createEngineTelemetry(options: EngineTelemetryOptions): EngineTelemetry {
  const registry = options.registry ?? new Registry();
  const metrics = createMetrics(registry, 'worker', { model: options.model, workerId: options.workerId },
    { collectProcessMetrics: options.collectProcessMetrics ?? false });
  const spans = options.tracing?.recording
    ? new EngineSpanRecorder(options.tracing.tracer, { perStepSpans: options.tracing.perStepSpans, workerId: options.workerId })
    : null;
  const throughput = new ThroughputWindow(options.throughputWindowSeconds ?? 10);
  const speculation = new SpeculationWindow(metrics, options.throughputWindowSeconds ?? 10);
  const scheduledAt = new Map<string, number>();
  // The engine's loop goes idle without a step when its last requests are aborted: gauges are
  // refreshed from its live load at scrape time so they never stay at the last step's values.
  let instrumented: HostedEngine | null = null;

  const observer: EngineObserver = {
    onStep(stats: StepStats) {
      recordStep(metrics, stats);
      throughput.add(stats.numPrefillTokens, stats.numDecodeTokens);
      spans?.step(stats);
    },
    onRequestQueued(requestId, queueDepth) {
      spans?.queued(requestId, queueDepth);
    },
    onRequestScheduled(requestId, info) {
      metrics.queueWait.observe(info.queueWaitSeconds);
      metrics.prefixCacheHitRate.observe(info.numCachedTokens / Math.max(info.numPromptTokens, 1));
      scheduledAt.set(requestId, performance.now());
      spans?.scheduled(requestId, info);
    },
    onPrefillChunk(requestId, info) {
      spans?.prefillChunk(requestId, info);
    },
    onFirstToken(requestId) {
      const t = scheduledAt.get(requestId);
      if (t !== undefined) observeMs(metrics.prefillDuration, performance.now() - t);
      scheduledAt.delete(requestId);
      spans?.firstToken(requestId);
    },
    onPreempted(requestId, reason) {
      metrics.preemptions.inc({ reason: PREEMPTION_REASON[reason] ?? 'memory_pressure' });
      spans?.preempted(requestId, PREEMPTION_REASON[reason] ?? reason);
    },
    onFinished(requestId, finishReason, usage) {
      metrics.sequencesFinished.inc({ finish_reason: finishReason });
      scheduledAt.delete(requestId);
      spans?.finished(requestId, finishReason, usage);
    },
    onFailed(requestId, error) {
      scheduledAt.delete(requestId);
      spans?.failed(requestId, error);
    },
    onAllocation(seconds) {
      metrics.allocationLatency.observe(seconds);
      spans?.allocation(seconds);
    },
    onPrefixCacheQuery(numQueriedTokens, numHitTokens) {
      metrics.prefixCacheQueries.inc(numQueriedTokens);
      metrics.prefixCacheHits.inc(numHitTokens);
    },
    onEvictions(numBlocks) {
      metrics.prefixCacheEvictions.inc(numBlocks);
    },
    onSpeculation(numDraftTokens, numAcceptedTokens, numDraftRows) {
      speculation.add(numDraftTokens, numAcceptedTokens, numDraftRows);
    },
  };

  const instrument = (engine: HostedEngine): HostedEngine => {
    instrumented = engine;
    const load = engine.load();
    metrics.kvBlocksTotal.set(load.numTotalBlocks);
    metrics.kvBlocksUsed.set(load.numActiveBlocks);
    if (spans === null) return engine;
    engine.onEvent((event) => {
      if (event.kind === 'tokens') spans.tokensEmitted(event.requestId, event.tokenIds.length);
    });
    return {
      add(request: GenerateRequest): Result<void> {
        spans.begin({ requestId: request.requestId, traceContext: request.traceContext, arrivalTimeMs: request.arrivalTimeMs });
        const added = engine.add(request);
        if (!added.ok) spans.forget(request.requestId);
        return added;
      },
      abort: (requestId) => engine.abort(requestId),
      onEvent: (listener) => engine.onEvent(listener),
      onKvEvent: (listener) => engine.onKvEvent(listener),
      load: () => engine.load(),
      snapshot: () => engine.snapshot(),
      audit: () => engine.audit(),
      resetPrefixCache: () => engine.resetPrefixCache(),
      stop: () => engine.stop(),
    };
  };

  const metricsText = async () => {
    const rates = throughput.rates();
    metrics.tokensPerSecond.set({ phase: 'prefill' }, rates.prefill);
    metrics.tokensPerSecond.set({ phase: 'decode' }, rates.decode);
    metrics.tokensPerSecond.set({ phase: 'combined' }, rates.combined);
    if (instrumented !== null) recordLoad(metrics, instrumented.load());
    speculation.refresh();
    return registry.metrics();
  };

  return { registry, metrics, observer, instrument, metricsText };
}

/**
 * Speculative decoding counters (drafts = verified rows, accepted and rejected tokens) and the acceptance-rate gauge: accepted / proposed drafts over a sliding window of
 * verified steps (a ThroughputWindow of accepted and rejected counts); with no drafts in the window it holds its value.
 */
class SpeculationWindow {
  private readonly window: ThroughputWindow;

  constructor(private readonly m: WorkerMetrics, windowSeconds: number) {
    this.window = new ThroughputWindow(windowSeconds);
  }

  add(numDraftTokens: number, numAcceptedTokens: number, numDraftRows: number): void {
    const numRejected = Math.max(numDraftTokens - numAcceptedTokens, 0);
    this.m.speculativeDrafts.inc(numDraftRows);
    this.m.speculativeAccepted.inc(numAcceptedTokens);
    this.m.speculativeRejected.inc(numRejected);
    this.window.add(numAcceptedTokens, numRejected);
    this.refresh();
  }

  refresh(): void {
    const rates = this.window.rates(); // prefill ↔ accepted, decode ↔ rejected
    if (rates.combined > 0) this.m.speculativeAcceptanceRate.set(rates.prefill / rates.combined);
  }
}

/** Live occupancy gauges (the queue split into waiting/swapped is only known per step). */
function recordLoad(m: WorkerMetrics, load: WorkerLoad): void {
  m.runningBatchSize.set(load.numRunning);
  m.kvBlocksUsed.set(load.numActiveBlocks);
  m.kvUtilization.set(kvUsage(load));
  if (load.numWaiting === 0) {
    m.waitingQueueSize.set(0);
    m.swappedQueueSize.set(0);
  }
}

function recordStep(m: WorkerMetrics, s: StepStats): void {
  m.waitingQueueSize.set(s.numWaiting - s.numPreempted);
  m.swappedQueueSize.set(s.numPreempted);
  m.runningBatchSize.set(s.numRunning);
  m.iterationLatency.observe(s.scheduleSeconds);
  m.stepDuration.observe(s.scheduleSeconds + s.forwardSeconds + s.postprocessSeconds);
  m.kvBlocksTotal.set(s.numTotalBlocks);
  m.kvBlocksUsed.set(s.numUsedBlocks);
  m.kvUtilization.set(s.numTotalBlocks === 0 ? 0 : s.numUsedBlocks / s.numTotalBlocks);
  if (s.numPrefillTokens > 0) m.prefillTokens.inc(s.numPrefillTokens);
  if (s.numDecodeTokens > 0) m.decodeTokens.inc(s.numDecodeTokens);
}
