// Sequence: one request's tokens and its KV bookkeeping inside the engine.
// Invariants: tokenIds = prompt ‖ outputTokenIds and only grows; numComputedTokens ≤ tokenIds.length;
// blockTable covers at least numComputedTokens; blockHash(i) is the chained protocol hash of full block i.

import {
  blockHash, computeBlockHashes, hashSeed, readsPrefixCache, type BlockHash, type GenerateRequest, type TokenConstraint, type TokenLogprobs,
} from '@mini-dynamo/protocol';

export type SequenceStatus = 'waiting' | 'running' | 'finished';

export class Sequence {
  readonly request: GenerateRequest;
  readonly tokenIds: number[];
  readonly outputTokenIds: number[] = [];
  readonly numPromptTokens: number;
  status: SequenceStatus = 'waiting';
  /** Tokens whose KV is in blockTable (cached or computed). */
  numComputedTokens = 0;
  /** Physical block ids, position p lives in blockTable[floor(p / blockSize)]. */
  blockTable: number[] = [];
  /** Leading blocks of blockTable already offered to the prefix cache. */
  numCommittedBlocks = 0;
  /** Prompt tokens served from the prefix cache at first schedule; null until then. */
  numCachedTokens: number | null = null;
  /** In the waiting queue because it was preempted (cleared when rescheduled). */
  preempted = false;
  numPreemptions = 0;
  /** performance.now() when queued. */
  readonly enqueuedAtMs: number;
  /** Scheduler step that last scheduled it (0 = never). */
  lastScheduledStep = 0;
  /** Prompt logprobs collected so far (entry i scores prompt token i + 1; see prompt-logprobs.ts). */
  readonly promptLogprobs: TokenLogprobs[] = [];
  /** The prompt logprobs went out (with the first token); they are not asked for again after a preemption. */
  promptLogprobsReported = false;
  /** Structured output: the matcher over outputTokenIds (survives preemption with them); null = free text. */
  constraint: TokenConstraint | null = null;
  private readonly seed: bigint;
  private hashes: BlockHash[] = [];

  constructor(
    readonly seqId: number,
    request: GenerateRequest,
    readonly blockSize: number,
  ) {
    this.request = request;
    this.tokenIds = request.promptTokenIds.slice();
    this.numPromptTokens = this.tokenIds.length;
    // A migrated request resumes as if preempted by recompute: its earlier output is there to recompute.
    for (const tokenId of request.resumeOutputTokenIds ?? []) this.appendToken(tokenId);
    this.promptLogprobsReported = this.outputTokenIds.length > 0; // they went out with the first token, elsewhere
    this.seed = hashSeed(request.cacheSalt);
    this.enqueuedAtMs = performance.now();
  }

  get requestId(): string {
    return this.request.requestId;
  }

  get numTokens(): number {
    return this.tokenIds.length;
  }

  get numRemainingTokens(): number {
    return this.tokenIds.length - this.numComputedTokens;
  }

  /** One token left to compute and it is a generated one: a decode step. */
  get isDecoding(): boolean {
    return this.numRemainingTokens === 1 && this.outputTokenIds.length > 0;
  }

  /** Asked for prompt logprobs not yet reported: every prompt position must be computed (no prefix-cache hit). */
  get needsPromptLogprobs(): boolean {
    return !readsPrefixCache(this.request.sampling) && !this.promptLogprobsReported;
  }

  /** Number of full blocks in tokenIds. */
  get numFullBlocks(): number {
    return Math.floor(this.tokenIds.length / this.blockSize);
  }

  /** Chained hash of full block i (memoised; tokens never change once written). */
  blockHash(i: number): BlockHash {
    for (let j = this.hashes.length; j <= i; j++) {
      const parent = j === 0 ? null : this.hashes[j - 1]!;
      this.hashes.push(blockHash(parent, this.blockTokenIds(j), this.seed));
    }
    return this.hashes[i]!;
  }

  /** Hash every full block now (the engine does it in add(), off the step loop's allocation path). */
  hashFullBlocks(): void {
    if (this.hashes.length < this.numFullBlocks) this.hashes = computeBlockHashes(this.tokenIds, this.blockSize, this.request.cacheSalt);
  }

  blockTokenIds(i: number): number[] {
    return this.tokenIds.slice(i * this.blockSize, (i + 1) * this.blockSize);
  }

  appendToken(tokenId: number): void {
    this.tokenIds.push(tokenId);
    this.outputTokenIds.push(tokenId);
  }
}
