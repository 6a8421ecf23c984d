// The contract between the engine (scheduler, allocator) and whatever computes tokens:
// the ONNX Runtime runner on real models, the mock runner in tests and simulations.
// Invariant: one `step` call computes one scheduler step; the engine never calls step concurrently.

import type { SamplingParams } from './sampling.js';
import type { TokenLogprobs } from './token-logprobs.js';

/** One sequence's share of a scheduler step. */
export interface StepSequence {
  /** Engine-local id, stable for the sequence's life. */
  seqId: number;
  /** Token ids to compute this step (a prefill chunk, or one token when decoding). */
  tokenIds: number[];
  /** Position of tokenIds[0] in the sequence (= tokens already in the KV cache). */
  startPosition: number;
  /** Physical KV block ids covering positions [0, startPosition + tokenIds.length). */
  blockTable: number[];
  /** Sample a next token after this chunk; null for a prefill chunk that does not end the prompt. */
  sampling: SamplingParams | null;
  /** Tokens generated so far (for penalties and the seeded sampler's draw index). */
  outputTokenIds: readonly number[];
  /** Number of prompt tokens; informational (penalties count generated tokens only, as OpenAI): no runner reads it. */
  numPromptTokens: number;
  /**
   * Score prompt tokens from this chunk's positions: the logits at position startPosition + i give the
   * logprob of targetTokenIds[i] (the token at the next position), with numTop alternatives. Absent: none.
   */
  promptLogprobs?: PromptLogprobsRequest;
  /**
   * Structured output: only these tokens may be sampled (TokenConstraint.allowedTokenMask layout); logits
   * outside it are -Infinity for the pick, while reported logprobs stay those of the raw logits. Absent: any.
   */
  allowedTokenMask?: Uint32Array;
  /** The prompt's token ids; present only when sampling.repetitionPenalty is on (it reads prompt and output tokens). */
  promptTokenIds?: readonly number[];
  /**
   * Speculative decoding: k ≥ 1 proposed next tokens, the tail of tokenIds (tokenIds = [last token, ...draftTokenIds],
   * sampling non-null, no allowedTokenMask, no promptLogprobs). The runner picks a token
   * at each of the k + 1 positions exactly as a plain decode step would (same logits processing, same seeded draw
   * index outputTokenIds.length + j, with outputTokenIds ‖ draftTokenIds[0..j) as the output so far); drafts are
   * accepted while each pick equals its draft. sampledTokenIds[i] is the first pick that differs, or the pick after
   * the last draft; StepOutput.numAcceptedDrafts[i] says how many drafts were kept. So the emitted tokens are the
   * ones plain decoding would give (greedy, seeded and, in distribution, unseeded). With sampling.numLogprobs set, each
   * emitted token's logprobs are those of the raw logits at its position (StepOutput.draftLogprobs). Absent: a plain step.
   */
  draftTokenIds?: number[];
}

export interface PromptLogprobsRequest {
  numTop: number;
  /** At most tokenIds.length entries: the tokens at positions startPosition + 1, startPosition + 2, … */
  targetTokenIds: number[];
}

export interface StepBatch {
  sequences: StepSequence[];
  /** Sum of tokenIds.length over sequences. */
  numTokens: number;
}

export interface StepOutput {
  /** Aligned with batch.sequences; null where sampling was null. */
  sampledTokenIds: (number | null)[];
  /**
   * Aligned with batch.sequences; present when some sequence asked for logprobs (sampling.numLogprobs
   * !== null): an entry for each of those, null elsewhere.
   */
  logprobs?: (TokenLogprobs | null)[];
  /**
   * Aligned with batch.sequences; present when some sequence had `promptLogprobs`: one TokenLogprobs per
   * target token for each of those, null elsewhere.
   */
  promptLogprobs?: (TokenLogprobs[] | null)[];
  /**
   * Aligned with batch.sequences; present when some sequence had draftTokenIds: the number of leading drafts
   * accepted (0…k) for those, null elsewhere. The sequence's new tokens are draftTokenIds[0..n) then sampledTokenIds[i].
   */
  numAcceptedDrafts?: (number | null)[];
  /**
   * Aligned with batch.sequences; present when some sequence had draftTokenIds and sampling.numLogprobs set: for
   * those, the numAcceptedDrafts[i] accepted drafts' TokenLogprobs in order (each from the raw logits at its position,
   * as a plain decode step would report it), null elsewhere. logprobs[i] stays the sampled token's, so the new
   * tokens' logprobs are draftLogprobs[i] ‖ [logprobs[i]].
   */
  draftLogprobs?: (TokenLogprobs[] | null)[];
}

export interface ModelRunnerInfo {
  modelName: string;
  blockSize: number;
  /** KV blocks the runner's cache pool holds. */
  numBlocks: number;
  maxModelLen: number;
  vocabSize: number;
  eosTokenIds: number[];
}

export interface ModelRunner {
  readonly info: ModelRunnerInfo;
  step(batch: StepBatch): Promise<StepOutput>;
  close(): Promise<void>;
}
