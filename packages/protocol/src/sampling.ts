// Sampling parameters of one request, as the engine and sampler see them.
// Invariant: values are validated by the gateway before they get here; the engine trusts them.

import type { StructuredOutputSpec } from './structured-output.js';

export interface SamplingParams {
  /** 0 means greedy (argmax). */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables top-p. */
  topP: number;
  /** Keep the k most likely tokens; null disables top-k. */
  topK: number | null;
  /** Per-request seed; null draws from the engine's own stream (not reproducible). */
  seed: number | null;
  presencePenalty: number;
  frequencyPenalty: number;
  /**
   * Maximum number of generated tokens (the stop token counts as one); 0 only with numPromptLogprobs: the prompt
   * is scored and nothing sampled (vLLM's completions echo with max_tokens 0).
   */
  maxTokens: number;
  /** Extra token ids that end generation, besides the model's EOS ids. */
  stopTokenIds: number[];
  /** Keep generating past EOS (benchmarks with fixed output lengths). */
  ignoreEos: boolean;
  /**
   * Report log-probabilities of each generated token (log-softmax of the raw logits, before penalties,
   * temperature, top-k/top-p) plus this many most likely alternatives; 0 = the sampled token's only,
   * null = none (no cost). Optional on the wire: a missing field means null.
   */
  numLogprobs: number | null;
  /**
   * Report each prompt token's log-probability given the tokens before it (the first has none), plus this
   * many most likely alternatives; null = none. Such a request computes its whole prompt (no prefix-cache
   * hit). Optional on the wire: a missing field means null. (OpenAI completions `echo` with `logprobs`.)
   */
  numPromptLogprobs?: number | null;
  /** Constrain the output to a JSON schema, a choice or a regex; null = free text. Optional on the wire. */
  structuredOutput?: StructuredOutputSpec | null;
  /** Added to the raw logits before anything else: [tokenId, bias] pairs (each id once), bias in [-100, 100]; null = none. Optional on the wire. */
  logitBias?: [number, number][] | null;
  /** Drop tokens whose probability (after temperature) is below minP × the top one's; 0 = off. Optional on the wire. */
  minP?: number;
  /** vLLM/HF: over prompt and output tokens, a positive logit is divided by it, a negative one multiplied; 1 = off. Optional on the wire. */
  repetitionPenalty?: number;
  /** EOS and stopTokenIds cannot be sampled (and stop strings do not apply) before this many tokens; 0 = off. Optional on the wire. */
  minTokens?: number;
}

export const DEFAULT_SAMPLING: Readonly<SamplingParams> = Object.freeze({
  temperature: 1,
  topP: 1,
  topK: null,
  seed: null,
  presencePenalty: 0,
  frequencyPenalty: 0,
  maxTokens: 16,
  stopTokenIds: [],
  ignoreEos: false,
  numLogprobs: null,
  numPromptLogprobs: null,
  structuredOutput: null,
  logitBias: null,
  minP: 0,
  repetitionPenalty: 1,
  minTokens: 0,
});

/** Whether a worker may serve this request's prompt from its prefix cache (not when it must score every prompt token). */
export function readsPrefixCache(sampling: SamplingParams): boolean {
  return (sampling.numPromptLogprobs ?? null) === null;
}

export function samplingParams(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return { ...DEFAULT_SAMPLING, stopTokenIds: [], ...overrides };
}
