// Scheduler: waiting / running queues and continuous batching with chunked prefill. Each step:
// running decodes first, then running prefills' next chunks, then waiting sequences (FCFS, prefix-cache
// hits skipped) fill the token budget. Short of blocks, it preempts by recompute the newest running
// sequence not yet scheduled this step (--scheduling-policy priority: queues in (priority, arrival) order and the
// worst-priority unscheduled running sequence is the victim; waiting-queue.ts). Invariants: Σ numTokens ≤ maxNumBatchedTokens, running ≤
// maxNumSeqs, waiting sequences hold no blocks, a finished sequence holds no blocks. A sequence that still
// needs prompt logprobs takes no prefix-cache hit (it may still store its blocks). With speculative decoding a
// decode may carry n-gram drafts (draft-planner.ts; k by the step's running decodes) when their blocks are free; complete() commits only the accepted
// positions (rejected ones' KV is garbage: their blocks stay in the table, uncached, and are rewritten next step).

import type { EngineError, FinishReason, SchedulingPolicy, SpeculativeConfig, StepBatch, StepSequence } from '@mini-dynamo/protocol';
import type { BlockAllocator } from './block-allocator.js';
import { DraftPlanner } from './draft-planner.js';
import type { EngineObserver } from './engine-observer.js';
import { appendAndJudge } from './finish-rules.js';
import type { Sequence } from './sequence.js';
import { stepSequence } from './step-sequence.js';
import { enqueueWaiting, orderRunning, preemptionVictim, requeuePreempted } from './waiting-queue.js';

export interface SchedulerConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Prompt + output cap: min(maxModelLen, what the block pool can hold). */
  maxSeqLen: number;
  eosTokenIds: readonly number[];
  /** N-gram speculative decoding; null or absent = off. */
  speculative?: SpeculativeConfig | null;
  /** vLLM --scheduling-policy; absent = fcfs. */
  schedulingPolicy?: SchedulingPolicy;
}

export interface ScheduledSequence {
  seq: Sequence;
  numTokens: number;
  isPrefill: boolean;
  /** Speculative drafts verified by this decode (numTokens = 1 + their count); absent: a plain step. */
  draftTokenIds?: number[];
}

export interface SchedulerOutput {
  stepId: number;
  /** Decodes first, then prefill chunks; aligned with batch.sequences. */
  entries: ScheduledSequence[];
  batch: StepBatch;
  numPrefillTokens: number;
  numDecodeTokens: number;
}

export interface SequenceOutcome {
  entry: ScheduledSequence;
  /** Position of the entry in the step's batch (and in the runner's StepOutput arrays). */
  batchIndex: number;
  /** Tokens appended (accepted drafts, then the sampled one, cut at the first that ends it); 0 for a mid-prompt chunk. */
  numNewTokens: number;
  /** The appended tokens streamed to the client: all but a final stop token. */
  emittedTokenIds: number[];
  finishReason: FinishReason | null;
  /** A structured-output constraint refused the token: fail the request with this. */
  error: EngineError | null;
}

export class Scheduler {
  readonly waiting: Sequence[] = [];
  running: Sequence[] = [];
  /** Waiting sequences put back by preemption. */
  numPreemptedWaiting = 0;
  private numSteps = 0;
  private readonly drafts: DraftPlanner | null;
  private readonly policy: SchedulingPolicy;

  constructor(
    private readonly allocator: BlockAllocator,
    private readonly config: SchedulerConfig,
    private readonly observer: EngineObserver = {},
  ) {
    if (!(config.maxNumSeqs >= 1 && config.maxNumBatchedTokens >= config.maxNumSeqs)) {
      throw new RangeError('need 1 ≤ maxNumSeqs ≤ maxNumBatchedTokens so every running decode fits a step');
    }
    this.drafts = config.speculative ? new DraftPlanner(config.speculative, config.maxSeqLen) : null;
    this.policy = config.schedulingPolicy ?? 'fcfs';
  }

  add(seq: Sequence): void {
    seq.status = 'waiting';
    enqueueWaiting(this.waiting, seq, this.policy);
  }

  hasWork(): boolean {
    return this.waiting.length > 0 || this.running.length > 0;
  }

  schedule(): SchedulerOutput {
    const stepId = ++this.numSteps;
    const decodes: ScheduledSequence[] = [];
    const prefills: ScheduledSequence[] = [];
    let budget = this.config.maxNumBatchedTokens;
    orderRunning(this.running, this.policy);
    // Decodes still to schedule after the current one: drafts leave each a budget token and a free block.
    let numDecodesLeft = this.drafts === null ? 0 : this.running.reduce((n, s) => n + (s.isDecoding ? 1 : 0), 0);
    const numDrafts = this.drafts?.numDraftsFor(numDecodesLeft) ?? 0; // the step's k (vLLM's dynamic k by batch size)
    // In place, no copy: running is in scheduling order, so a preemption victim (the last unscheduled) sits at i or
    // after it; i advances only when the sequence at i was scheduled (else it was the victim, removed at i).
    for (let i = 0; i < this.running.length && budget > 0; ) {
      const seq = this.running[i]!;
      if (!seq.isDecoding) { i++; continue; }
      numDecodesLeft = Math.max(0, numDecodesLeft - 1);
      const entry = this.scheduleDecode(seq, budget, numDecodesLeft, numDrafts, stepId);
      if (entry !== null) { decodes.push(entry); budget -= entry.numTokens; i++; }
    }
    for (let i = 0; i < this.running.length && budget > 0; ) {
      const seq = this.running[i]!;
      if (seq.lastScheduledStep === stepId) { i++; continue; }
      const numTokens = Math.min(seq.numRemainingTokens, budget);
      if (this.reserve(seq, numTokens, stepId)) { prefills.push({ seq, numTokens, isPrefill: true }); budget -= numTokens; i++; }
    }
    while (budget > 0 && this.waiting.length > 0 && this.running.length < this.config.maxNumSeqs) {
      const entry = this.admit(this.waiting[0]!, budget, stepId);
      if (entry === null) break;
      (entry.isPrefill ? prefills : decodes).push(entry);
      budget -= entry.numTokens;
    }
    return this.output(stepId, decodes.concat(prefills));
  }

  /**
   * Apply a finished forward pass: judge the new tokens, advance computed tokens by the accepted positions only,
   * cache full blocks. numAcceptedDrafts: the runner's, aligned with the batch (needed where a row had drafts).
   */
  complete(output: SchedulerOutput, sampledTokenIds: readonly (number | null)[], numAcceptedDrafts: readonly (number | null)[] = []): SequenceOutcome[] {
    const outcomes: SequenceOutcome[] = [];
    let anyReleased = false;
    let numDraftTokens = 0;
    let numAcceptedTokens = 0;
    let numDraftRows = 0;
    for (let k = 0; k < output.entries.length; k++) {
      const entry = output.entries[k]!;
      const seq = entry.seq;
      if (seq.status !== 'running' || seq.lastScheduledStep !== output.stepId) continue; // aborted meanwhile
      const tokenId = output.batch.sequences[k]!.sampling === null ? null : sampledTokenIds[k] ?? null;
      const numDrafts = entry.draftTokenIds?.length ?? 0;
      const numAccepted = numDrafts === 0 ? 0 : Math.min(numAcceptedDrafts[k] ?? 0, numDrafts);
      numDraftTokens += numDrafts;
      numAcceptedTokens += numAccepted;
      if (numDrafts > 0) numDraftRows++;
      const outcome = this.completeRow(entry, k, tokenId, numAccepted);
      anyReleased ||= outcome.finishReason !== null || outcome.error !== null; // completeRow released it
      outcomes.push(outcome);
    }
    if (anyReleased) this.running = this.running.filter((s) => s.status === 'running');
    if (numDraftTokens > 0) this.observer.onSpeculation?.(numDraftTokens, numAcceptedTokens, numDraftRows);
    return outcomes;
  }

  /** One row: append and judge its new tokens (accepted drafts, then the sampled one), commit, release if it ended. */
  private completeRow(entry: ScheduledSequence, batchIndex: number, tokenId: number | null, numAccepted: number): SequenceOutcome {
    const seq = entry.seq;
    const drafts = entry.draftTokenIds;
    const newTokenIds = tokenId === null ? [] : numAccepted === 0 ? [tokenId] : drafts!.slice(0, numAccepted).concat(tokenId);
    const { numAppended, emittedTokenIds, finishReason, error } = appendAndJudge(seq, newTokenIds, this.config.eosTokenIds, this.config.maxSeqLen);
    // Rejected drafts' positions are not computed (their KV is garbage); a request ended by an accepted draft is shorter.
    const numRejected = (drafts?.length ?? 0) - numAccepted;
    seq.numComputedTokens = Math.min(seq.numComputedTokens + entry.numTokens - numRejected, seq.numTokens);
    this.allocator.commitFullBlocks(seq, Math.floor(seq.numComputedTokens / this.allocator.blockSize));
    const scoredOnly = tokenId === null && seq.request.sampling.maxTokens === 0 && seq.numComputedTokens === seq.numTokens; // prompt-only: done
    const reason = scoredOnly ? 'length' : finishReason;
    if (reason !== null || error !== null) this.release(seq);
    return { entry, batchIndex, numNewTokens: numAppended, emittedTokenIds, finishReason: reason, error };
  }

  /** Take seq out of whichever queue holds it and free its blocks (abort, failure). */
  remove(seq: Sequence): void {
    if (seq.status === 'finished') return;
    const queue = seq.status === 'waiting' ? this.waiting : this.running;
    const at = queue.indexOf(seq);
    if (at >= 0) queue.splice(at, 1);
    if (seq.status === 'waiting' && seq.preempted) this.numPreemptedWaiting--;
    this.release(seq);
  }

  /** Prompt tokens admitted but not yet computed (waiting + running prefills). */
  numPendingPrefillTokens(): number {
    let n = 0;
    for (const s of this.waiting) n += s.numRemainingTokens;
    for (const s of this.running) if (!s.isDecoding) n += s.numRemainingTokens;
    return n;
  }

  *sequences(): IterableIterator<Sequence> {
    yield* this.running;
    yield* this.waiting;
  }

  private release(seq: Sequence): void {
    this.allocator.release(seq);
    seq.status = 'finished';
  }

  /** Admit the head of the waiting queue with its prefix-cache hits; null when blocks run short. */
  private admit(seq: Sequence, budget: number, stepId: number): ScheduledSequence | null {
    const bs = this.allocator.blockSize;
    // Prompt logprobs need every prompt position's logits: such a sequence computes from 0 (as vLLM).
    const cached = seq.needsPromptLogprobs ? [] : this.allocator.cachedPrefix(seq, Math.floor((seq.numTokens - 1) / bs));
    const numCached = cached.length * bs;
    const numTokens = Math.min(seq.numTokens - numCached, budget);
    if (!this.allocateTimed(seq, numCached + numTokens, cached)) return null;
    this.waiting.shift();
    seq.numComputedTokens = numCached;
    seq.status = 'running';
    seq.lastScheduledStep = stepId;
    this.running.push(seq);
    if (seq.preempted) {
      seq.preempted = false;
      this.numPreemptedWaiting--;
    }
    this.observer.onPrefixCacheQuery?.(seq.numTokens, numCached);
    if (seq.numCachedTokens === null) {
      seq.numCachedTokens = numCached;
      this.observer.onRequestScheduled?.(seq.requestId, {
        queueWaitSeconds: (performance.now() - seq.enqueuedAtMs) / 1000,
        numPromptTokens: seq.numPromptTokens,
        numCachedTokens: numCached,
      });
    }
    return { seq, numTokens, isPrefill: !seq.isDecoding };
  }

  /** seq's decode: with ≤ k drafts when proposed and their blocks are free (sparing one per decode left), else plain; null if preempted. */
  private scheduleDecode(seq: Sequence, budget: number, numDecodesLeft: number, k: number, stepId: number): ScheduledSequence | null {
    const drafts = this.drafts === null ? null : this.drafts.drafts(seq, budget - numDecodesLeft, k);
    if (drafts !== null) {
      const numTokens = 1 + drafts.length;
      const numNewBlocks = Math.max(0, this.allocator.blocksFor(seq.numComputedTokens + numTokens) - seq.blockTable.length);
      if (this.allocator.numFreeBlocks - numNewBlocks >= numDecodesLeft && this.allocateTimed(seq, seq.numComputedTokens + numTokens)) {
        seq.lastScheduledStep = stepId;
        return { seq, numTokens, isPrefill: false, draftTokenIds: drafts };
      }
    }
    return this.reserve(seq, 1, stepId) ? { seq, numTokens: 1, isPrefill: false } : null;
  }

  /** Blocks for seq's next numTokens, preempting unscheduled running sequences (preemptionVictim); false if seq itself went. */
  private reserve(seq: Sequence, numTokens: number, stepId: number): boolean {
    const needed = seq.numComputedTokens + numTokens;
    while (!this.allocateTimed(seq, needed)) {
      const victim = preemptionVictim(this.running, stepId, this.policy);
      this.preempt(victim);
      if (victim === seq) return false;
    }
    seq.lastScheduledStep = stepId;
    return true;
  }

  private preempt(seq: Sequence): void {
    this.running.splice(this.running.lastIndexOf(seq), 1);
    this.allocator.release(seq);
    seq.numComputedTokens = 0;
    seq.status = 'waiting';
    seq.preempted = true;
    seq.numPreemptions++;
    this.numPreemptedWaiting++;
    requeuePreempted(this.waiting, seq, this.policy);
    this.observer.onPreempted?.(seq.requestId, 'kv_cache_full');
  }

  private allocateTimed(seq: Sequence, numTokens: number, cached?: readonly number[]): boolean {
    const hook = this.observer.onAllocation;
    if (hook === undefined) return this.allocator.allocate(seq, numTokens, cached);
    const t0 = performance.now();
    const done = this.allocator.allocate(seq, numTokens, cached);
    hook.call(this.observer, (performance.now() - t0) / 1000);
    return done;
  }

  private output(stepId: number, entries: ScheduledSequence[]): SchedulerOutput {
    let numPrefillTokens = 0;
    let numDecodeTokens = 0;
    const sequences: StepSequence[] = entries.map(({ seq, numTokens, isPrefill, draftTokenIds }) => {
      if (isPrefill) numPrefillTokens += numTokens;
      else numDecodeTokens += numTokens;
      return stepSequence(seq, numTokens, draftTokenIds);
    });
    const batch: StepBatch = { sequences, numTokens: numPrefillTokens + numDecodeTokens };
    return { stepId, entries, batch, numPrefillTokens, numDecodeTokens };
  }
}
