// EngineObserver: the engine's only metrics/tracing surface (telemetry adapts it to Prometheus
// metrics and OTel spans). Every hook is optional and called synchronously on the step loop, so
// implementations must be cheap and must not throw. Times are in seconds.

import type { FinishReason, EngineError, Usage } from '@mini-dynamo/protocol';

export interface StepStats {
  /** Time spent in Scheduler.schedule() (includes block allocation). */
  scheduleSeconds: number;
  /** Time spent awaiting runner.step(). */
  forwardSeconds: number;
  /** Time spent applying sampled tokens and emitting events. */
  postprocessSeconds: number;
  numPrefillSeqs: number;
  numDecodeSeqs: number;
  numPrefillTokens: number;
  /** Tokens the decode rows computed: 1 per row plus its speculative drafts (all verified, accepted or not). */
  numDecodeTokens: number;
  /** Queue sizes after the step. */
  numRunning: number;
  numWaiting: number;
  /** Waiting sequences that are there because they were preempted. */
  numPreempted: number;
  numUsedBlocks: number;
  numTotalBlocks: number;
  decodeRequestIds: string[];
  prefillRequestIds: string[];
}

export interface ScheduledInfo {
  queueWaitSeconds: number;
  numPromptTokens: number;
  numCachedTokens: number;
}

export interface PrefillChunkInfo {
  numTokens: number;
  /** Forward time of the step that computed the chunk. */
  seconds: number;
}

export type PreemptionReason = 'kv_cache_full';

export interface EngineObserver {
  /** After every step that scheduled something, failed forward passes included (after their onFailed). */
  onStep?(stats: StepStats): void;
  /** Accepted by add(); queueDepth = waiting queue length including it. */
  onRequestQueued?(requestId: string, queueDepth: number): void;
  /** First time the request is scheduled (not on resumption after preemption). */
  onRequestScheduled?(requestId: string, info: ScheduledInfo): void;
  onPrefillChunk?(requestId: string, info: PrefillChunkInfo): void;
  onFirstToken?(requestId: string): void;
  onPreempted?(requestId: string, reason: PreemptionReason): void;
  onFinished?(requestId: string, finishReason: FinishReason, usage: Usage): void;
  /** The request ended with a `failed` event (runner error). */
  onFailed?(requestId: string, error: EngineError): void;
  /** One BlockAllocator.allocate() call made by the scheduler. */
  onAllocation?(seconds: number): void;
  /** Prefix-cache lookup when a sequence is (re)admitted, in tokens. */
  onPrefixCacheQuery?(numQueriedTokens: number, numHitTokens: number): void;
  /** Cached blocks evicted to make room. */
  onEvictions?(numBlocks: number): void;
  /**
   * Speculative decoding, once per step that verified drafts: drafts proposed and drafts accepted, summed over
   * the step's sequences (rejected = proposed − accepted), and the rows that verified drafts (vLLM's num_drafts).
   */
  onSpeculation?(numDraftTokens: number, numAcceptedTokens: number, numDraftRows: number): void;
}
