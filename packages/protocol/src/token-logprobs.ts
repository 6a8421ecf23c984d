// Log-probabilities of one generated token as the engine reports them: flat arrays of numbers, cheap to
// structured-clone and JSON. Invariants: values are natural-log probabilities of the raw (unpenalised,
// untempered) distribution, finite (floored at LOGPROB_FLOOR); topTokenIds is sorted by descending logprob.

/** vLLM's API floor for -inf; keeps every value finite so it survives JSON. */
export const LOGPROB_FLOOR = -9999;

export interface TokenLogprobs {
  /** Log-probability of the sampled token. */
  logprob: number;
  /** The numLogprobs most likely token ids, most likely first (ties: lower id first). */
  topTokenIds: number[];
  /** Aligned with topTokenIds. */
  topLogprobs: number[];
  /** vLLM's rank of the scored token: how many tokens have a logprob ≥ its own (1 = most likely); absent if not computed. */
  rank?: number;
}
