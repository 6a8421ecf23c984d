// Engine: one worker's continuous-batching loop — schedule → runner.step → postprocess — streaming
// token events per request. Invariants: each accepted request gets zero or more `tokens` events then
// exactly one `finished` or `failed`; a request that ended holds no KV block; step() never overlaps.

import {
  err, ok, type AllocatorAudit, type EngineError, type EngineEvent, type FinishReason, type GenerateRequest,
  type KvCacheEvent, type KvCacheSnapshot, type ModelRunner, type Result, type StepOutput, type TokenConstraint, type TokenLogprobs, type WorkerLoad,
} from '@mini-dynamo/protocol';
import { checkAdmission } from './admission.js';
import { stepOutputProblem } from './step-output-check.js';
import { advanceOverResumed } from './resumed-output.js';
import { absorbPromptLogprobs, takePromptLogprobs } from './prompt-logprobs.js';
import { BlockAllocator } from './block-allocator.js';
import { maxSeqLen, resolveEngineConfig, type EngineConfig } from './engine-config.js';
import type { EngineObserver, StepStats } from './engine-observer.js';
import { Scheduler, type SchedulerOutput, type SequenceOutcome } from './scheduler.js';
import { Sequence } from './sequence.js';

export class Engine {
  readonly config: EngineConfig;
  /** Prompt + output cap actually enforced (model length, capped by the pool). */
  readonly maxSeqLen: number;
  private readonly allocator: BlockAllocator;
  private readonly scheduler: Scheduler;
  private readonly live = new Map<string, Sequence>();
  private readonly listeners: ((event: EngineEvent) => void)[] = [];
  private readonly kvListeners: ((event: KvCacheEvent) => void)[] = [];
  private nextSeqId = 1;
  private stepping = false;
  private loop: Promise<void> | null = null;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly runner: ModelRunner,
    config: Partial<EngineConfig> & { workerId: string },
    private readonly observer: EngineObserver = {},
  ) {
    this.config = resolveEngineConfig(runner.info, config);
    this.maxSeqLen = maxSeqLen(this.config);
    this.allocator = new BlockAllocator({ ...this.config, onKvEvent: (e) => this.emitKv(e) });
    this.scheduler = new Scheduler(this.allocator, {
      maxNumSeqs: this.config.maxNumSeqs,
      maxNumBatchedTokens: this.config.maxNumBatchedTokens,
      maxSeqLen: this.maxSeqLen,
      eosTokenIds: runner.info.eosTokenIds,
      speculative: this.config.speculative,
      schedulingPolicy: this.config.schedulingPolicy,
    }, observer);
  }

  add(request: GenerateRequest): Result<void> {
    const error = checkAdmission(request, {
      vocabSize: this.runner.info.vocabSize,
      maxSeqLen: this.maxSeqLen,
      maxNumWaiting: this.config.maxNumWaiting,
      numWaiting: this.scheduler.waiting.length,
      isLive: (id) => this.live.has(id),
      supportsStructuredOutput: this.config.constraintFactory !== null,
      schedulingPolicy: this.config.schedulingPolicy,
    });
    if (error !== null) return err(error);
    const constraint = this.createConstraint(request);
    if (!constraint.ok) return constraint;
    const resumeError = advanceOverResumed(constraint.value, request.resumeOutputTokenIds ?? []);
    if (resumeError !== null) return err(resumeError);
    const seq = new Sequence(this.nextSeqId++, request, this.config.blockSize);
    seq.constraint = constraint.value;
    if (this.config.enablePrefixCaching) seq.hashFullBlocks();
    this.live.set(request.requestId, seq);
    this.scheduler.add(seq);
    this.observer.onRequestQueued?.(request.requestId, this.scheduler.waiting.length);
    this.wake?.();
    return ok(undefined);
  }

  /** The request's structured-output matcher (null: free text); a spec the factory refuses is an invalid request. */
  private createConstraint(request: GenerateRequest): Result<TokenConstraint | null> {
    const spec = request.sampling.structuredOutput ?? null;
    if (spec === null || this.config.constraintFactory === null) return ok(null);
    try {
      const created = this.config.constraintFactory.create(spec);
      return created.ok ? created : err({ code: 'invalid_request', message: created.error.message });
    } catch (e) {
      return err({ code: 'internal', message: `building the structured-output constraint failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** End a request wherever it is; its blocks are free when this returns. Unknown ids are ignored. */
  abort(requestId: string): void {
    const seq = this.live.get(requestId);
    if (seq === undefined) return;
    this.scheduler.remove(seq);
    this.finish(seq, 'abort');
  }

  onEvent(cb: (event: EngineEvent) => void): void {
    this.listeners.push(cb);
  }

  onKvEvent(cb: (event: KvCacheEvent) => void): void {
    this.kvListeners.push(cb);
  }

  load(): WorkerLoad {
    return {
      workerId: this.config.workerId,
      numActiveBlocks: this.allocator.numUsedBlocks,
      numTotalBlocks: this.allocator.numTotalBlocks,
      numPrefillTokensQueued: this.scheduler.numPendingPrefillTokens(),
      numRunning: this.scheduler.running.length,
      numWaiting: this.scheduler.waiting.length,
      timestampMs: Date.now(),
    };
  }

  snapshot(): KvCacheSnapshot {
    return this.allocator.snapshot();
  }

  /** Empty the prefix cache (running requests go on); emits one `cleared` KV event; returns the hashes dropped. */
  resetPrefixCache(): number {
    return this.allocator.clearPrefixCache();
  }

  audit(): AllocatorAudit {
    return this.allocator.audit([...this.scheduler.sequences()].map((s) => s.blockTable));
  }

  hasWork(): boolean {
    return this.scheduler.hasWork();
  }

  async step(): Promise<void> {
    if (this.stepping) throw new Error('Engine.step() is not re-entrant');
    this.stepping = true;
    try {
      const t0 = performance.now();
      const output = this.scheduler.schedule();
      if (output.entries.length === 0) return;
      const t1 = performance.now();
      const sampled = await this.forward(output);
      const t2 = performance.now();
      if (sampled !== null) {
        for (const outcome of this.scheduler.complete(output, sampled.sampledTokenIds, sampled.numAcceptedDrafts)) this.report(outcome, output, sampled, (t2 - t1) / 1000);
      }
      if (this.observer.onStep) this.observer.onStep(this.stepStats(output, t0, t1, t2, performance.now()));
    } finally {
      this.stepping = false;
    }
  }

  /** Step while there is work; idle (no polling) until add() or stop(). One loop at a time. */
  run(): Promise<void> {
    if (this.loop === null) {
      this.stopRequested = false;
      this.loop = this.loopSteps().finally(() => { this.loop = null; });
    }
    return this.loop;
  }

  /** Stop the run loop after the step in flight; live requests stay queued. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake?.();
    await this.loop;
  }

  private async loopSteps(): Promise<void> {
    while (!this.stopRequested) {
      if (!this.scheduler.hasWork()) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      await this.step();
      await new Promise<void>((resolve) => setImmediate(resolve)); // let add/abort/IO in between steps
    }
  }

  /** runner.step with its failure contained: the batch's requests fail, the engine goes on. */
  private async forward(output: SchedulerOutput): Promise<StepOutput | null> {
    try {
      const stepOutput = await this.runner.step(output.batch);
      const problem = stepOutputProblem(output.batch, stepOutput);
      if (problem !== null) throw new Error(problem);
      return stepOutput;
    } catch (e) {
      const error: EngineError = { code: 'internal', message: `model runner failed: ${e instanceof Error ? e.message : String(e)}` };
      for (const { seq } of output.entries) {
        if (seq.status !== 'finished' && this.live.get(seq.requestId) === seq) this.fail(seq, error);
      }
      return null;
    }
  }

  /** End a live request with `failed`; its blocks are freed (the scheduler may have released them already). */
  private fail(seq: Sequence, error: EngineError): void {
    this.scheduler.remove(seq);
    this.live.delete(seq.requestId);
    this.emit({ kind: 'failed', requestId: seq.requestId, error });
    this.observer.onFailed?.(seq.requestId, error);
  }

  private report(
    { entry, batchIndex, numNewTokens, emittedTokenIds, finishReason, error }: SequenceOutcome, output: SchedulerOutput, step: StepOutput, forwardSeconds: number,
  ): void {
    const seq = entry.seq;
    if (this.live.get(seq.requestId) !== seq) return; // a listener aborted it earlier in this step
    if (error !== null) return this.fail(seq, error);
    if (entry.isPrefill) this.observer.onPrefillChunk?.(seq.requestId, { numTokens: entry.numTokens, seconds: forwardSeconds });
    const scored = step.promptLogprobs?.[batchIndex];
    if (scored) absorbPromptLogprobs(seq, output.batch.sequences[batchIndex]!.startPosition, scored);
    if (numNewTokens === 0 && finishReason === null) return; // a prefill chunk (a prompt-only sequence finishes on its last)
    if (numNewTokens > 0 && seq.outputTokenIds.length === numNewTokens) this.observer.onFirstToken?.(seq.requestId);
    const tokenLogprobs = newTokenLogprobs(step, batchIndex);
    const promptLogprobs = takePromptLogprobs(seq);
    if (emittedTokenIds.length > 0 || promptLogprobs !== null) {
      // A stop token is not streamed, but the prompt logprobs still go out (on a tokens event without tokens).
      // One event per step, accepted drafts included; logprobs align with tokenIds (emitted tokens are a prefix of the new ones).
      const event: Extract<EngineEvent, { kind: 'tokens' }> = { kind: 'tokens', requestId: seq.requestId, tokenIds: emittedTokenIds };
      if (tokenLogprobs !== null) event.logprobs = tokenLogprobs.slice(0, emittedTokenIds.length);
      if (promptLogprobs !== null) event.promptLogprobs = promptLogprobs;
      this.emit(event);
    }
    if (finishReason !== null) this.finish(seq, finishReason);
  }

  private finish(seq: Sequence, finishReason: FinishReason): void {
    this.live.delete(seq.requestId);
    const usage = {
      numPromptTokens: seq.numPromptTokens,
      numCompletionTokens: seq.outputTokenIds.length,
      numCachedTokens: Math.min(seq.numCachedTokens ?? 0, seq.numPromptTokens), // a resumed request may hit on its earlier output too
    };
    this.emit({ kind: 'finished', requestId: seq.requestId, finishReason, usage });
    this.observer.onFinished?.(seq.requestId, finishReason, usage);
  }

  private emit(event: EngineEvent): void {
    for (const cb of this.listeners) cb(event);
  }

  private emitKv(event: KvCacheEvent): void {
    if (event.data.type === 'removed') this.observer.onEvictions?.(event.data.blockHashes.length);
    for (const cb of this.kvListeners) cb(event);
  }

  private stepStats(output: SchedulerOutput, t0: number, t1: number, t2: number, t3: number): StepStats {
    const decodeRequestIds: string[] = [];
    const prefillRequestIds: string[] = [];
    for (const e of output.entries) (e.isPrefill ? prefillRequestIds : decodeRequestIds).push(e.seq.requestId);
    return {
      scheduleSeconds: (t1 - t0) / 1000,
      forwardSeconds: (t2 - t1) / 1000,
      postprocessSeconds: (t3 - t2) / 1000,
      numPrefillSeqs: prefillRequestIds.length,
      numDecodeSeqs: decodeRequestIds.length,
      numPrefillTokens: output.numPrefillTokens,
      numDecodeTokens: output.numDecodeTokens,
      numRunning: this.scheduler.running.length,
      numWaiting: this.scheduler.waiting.length,
      numPreempted: this.scheduler.numPreemptedWaiting,
      numUsedBlocks: this.allocator.numUsedBlocks,
      numTotalBlocks: this.allocator.numTotalBlocks,
      decodeRequestIds,
      prefillRequestIds,
    };
  }
}

/** A row's new tokens' logprobs, accepted drafts' then the sampled token's; null when it asked for none. */
function newTokenLogprobs(step: StepOutput, batchIndex: number): TokenLogprobs[] | null {
  const sampled = step.logprobs?.[batchIndex] ?? null;
  if (sampled === null) return null;
  const drafts = step.draftLogprobs?.[batchIndex] ?? null;
  return drafts === null ? [sampled] : [...drafts, sampled];
}
