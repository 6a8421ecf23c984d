// Scheduler: waiting / running queues and continuous batching with chunked prefill. Each step:
// running decodes first, then running prefills' next chunks, then waiting sequences (FCFS, prefix-cache
// hits skipped) fill the token budget. Short of blocks, it preempts by recompute the newest running
// sequence not yet scheduled this step. Invariants: Σ numTokens ≤ maxNumBatchedTokens, running ≤
// maxNumSeqs, waiting sequences hold no blocks, a finished sequence holds no blocks. A sequence that still
// needs prompt logprobs takes no prefix-cache hit (it may still store its blocks).

import type { EngineError, FinishReason, StepBatch, StepSequence } from '@mini-dynamo/protocol';
import type { BlockAllocator } from './block-allocator.js';
import type { EngineObserver } from './engine-observer.js';
import { judgeToken } from './finish-rules.js';
import type { Sequence } from './sequence.js';
import { stepSequence } from './step-sequence.js';

export interface SchedulerConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Prompt + output cap: min(maxModelLen, what the block pool can hold). */
  maxSeqLen: number;
  eosTokenIds: readonly number[];
}

export interface ScheduledSequence {
  seq: Sequence;
  numTokens: number;
  isPrefill: boolean;
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
  /** Sampled token, null for a prefill chunk that did not end the prompt. */
  tokenId: number | null;
  emit: boolean;
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

  constructor(
    private readonly allocator: BlockAllocator,
    private readonly config: SchedulerConfig,
    private readonly observer: EngineObserver = {},
  ) {
    if (!(config.maxNumSeqs >= 1 && config.maxNumBatchedTokens >= config.maxNumSeqs)) {
      throw new RangeError('need 1 ≤ maxNumSeqs ≤ maxNumBatchedTokens so every running decode fits a step');
    }
  }

  add(seq: Sequence): void {
    seq.status = 'waiting';
    this.waiting.push(seq);
  }

  hasWork(): boolean {
    return this.waiting.length > 0 || this.running.length > 0;
  }

  schedule(): SchedulerOutput {
    const stepId = ++this.numSteps;
    const decodes: ScheduledSequence[] = [];
    const prefills: ScheduledSequence[] = [];
    let budget = this.config.maxNumBatchedTokens;
    for (let i = 0; i < this.running.length && budget > 0; ) {
      const seq = this.running[i]!;
      if (!seq.isDecoding) { i++; continue; }
      if (this.reserve(seq, 1, stepId)) { decodes.push({ seq, numTokens: 1, isPrefill: false }); budget--; i++; }
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

  /** Apply a finished forward pass: advance computed tokens, cache full blocks, judge samples. */
  complete(output: SchedulerOutput, sampledTokenIds: readonly (number | null)[]): SequenceOutcome[] {
    const outcomes: SequenceOutcome[] = [];
    let anyFinished = false;
    for (let k = 0; k < output.entries.length; k++) {
      const entry = output.entries[k]!;
      const seq = entry.seq;
      if (seq.status !== 'running' || seq.lastScheduledStep !== output.stepId) continue; // aborted meanwhile
      seq.numComputedTokens += entry.numTokens;
      this.allocator.commitFullBlocks(seq, Math.floor(seq.numComputedTokens / this.allocator.blockSize));
      const tokenId = output.batch.sequences[k]!.sampling === null ? null : sampledTokenIds[k] ?? null;
      if (tokenId === null) {
        const scoredOnly = seq.request.sampling.maxTokens === 0 && seq.numComputedTokens === seq.numTokens; // prompt-only: done
        if (scoredOnly) {
          this.release(seq);
          anyFinished = true;
        }
        outcomes.push({ entry, batchIndex: k, tokenId, emit: false, finishReason: scoredOnly ? 'length' : null, error: null });
        continue;
      }
      seq.appendToken(tokenId);
      const { emit, finishReason, error } = judgeToken(seq, tokenId, this.config.eosTokenIds, this.config.maxSeqLen);
      if (finishReason !== null || error !== null) {
        this.release(seq);
        anyFinished = true;
      }
      outcomes.push({ entry, batchIndex: k, tokenId, emit, finishReason, error });
    }
    if (anyFinished) this.running = this.running.filter((s) => s.status === 'running');
    return outcomes;
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

  /** Blocks for seq's next numTokens, preempting newest unscheduled running sequences; false if seq itself went. */
  private reserve(seq: Sequence, numTokens: number, stepId: number): boolean {
    const needed = seq.numComputedTokens + numTokens;
    while (!this.allocateTimed(seq, needed)) {
      const victim = this.newestUnscheduled(stepId);
      this.preempt(victim);
      if (victim === seq) return false;
    }
    seq.lastScheduledStep = stepId;
    return true;
  }

  private newestUnscheduled(stepId: number): Sequence {
    for (let i = this.running.length - 1; i >= 0; i--) {
      if (this.running[i]!.lastScheduledStep !== stepId) return this.running[i]!;
    }
    throw new Error('no unscheduled running sequence to preempt');
  }

  private preempt(seq: Sequence): void {
    this.running.splice(this.running.lastIndexOf(seq), 1);
    this.allocator.release(seq);
    seq.numComputedTokens = 0;
    seq.status = 'waiting';
    seq.preempted = true;
    seq.numPreemptions++;
    this.numPreemptedWaiting++;
    this.waiting.unshift(seq);
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
    const sequences: StepSequence[] = entries.map(({ seq, numTokens, isPrefill }) => {
      if (isPrefill) numPrefillTokens += numTokens;
      else numDecodeTokens += numTokens;
      return stepSequence(seq, numTokens);
    });
    const batch: StepBatch = { sequences, numTokens: numPrefillTokens + numDecodeTokens };
    return { stepId, entries, batch, numPrefillTokens, numDecodeTokens };
  }
}
