// What a worker is asked to generate and what it streams back.
// Invariant: per request the engine emits zero or more `tokens` events, then exactly one
// `finished` or `failed` event, and nothing after it.

import type { SamplingParams } from './sampling.js';
import type { TokenLogprobs } from './token-logprobs.js';

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerateRequest {
  requestId: string;
  promptTokenIds: number[];
  sampling: SamplingParams;
  /** Tenant / LoRA salt mixed into the block hashes; null shares the cache with everyone. */
  cacheSalt: string | null;
  /** W3C trace context carrier (`traceparent`, `tracestate`) so worker spans join the request trace. */
  traceContext: Record<string, string>;
  /** Epoch milliseconds when the gateway received the request. */
  arrivalTimeMs: number;
  /**
   * Request migration: output tokens already generated (and streamed) by a worker that died. The engine
   * starts from prompt ‖ these tokens, as a sequence preempted by recompute: they count towards maxTokens /
   * minTokens, the seeded draw index, the penalties, the structured-output state and usage.numCompletionTokens,
   * and none is emitted again. Absent or empty: a fresh request. Optional on the wire.
   */
  resumeOutputTokenIds?: number[];
  /**
   * vLLM `priority` (an integer; lower = scheduled earlier, ties by arrival). Only a worker run with the `priority`
   * scheduling policy accepts a value other than 0. Absent = 0. Optional on the wire.
   */
  priority?: number;
}

/** vLLM --scheduling-policy: `fcfs` (arrival order; default) or `priority` (GenerateRequest.priority, then arrival). */
export type SchedulingPolicy = 'fcfs' | 'priority';
export const SCHEDULING_POLICIES: readonly SchedulingPolicy[] = ['fcfs', 'priority'];

export interface Usage {
  numPromptTokens: number;
  numCompletionTokens: number;
  /** Prompt tokens served from the prefix cache (not computed). */
  numCachedTokens: number;
}

/** Error codes the engine can report; the gateway maps them to HTTP in one place. */
export type EngineErrorCode =
  | 'prompt_too_long'
  | 'invalid_request'
  | 'overloaded'
  | 'worker_failed'
  | 'internal';

export interface EngineError {
  code: EngineErrorCode;
  message: string;
}

export type EngineEvent =
  /**
   * `logprobs` (aligned with tokenIds) is present iff the request's sampling.numLogprobs is not null.
   * `promptLogprobs` (aligned with the prompt; [0] is null) is present, once, on the request's first
   * `tokens` event iff sampling.numPromptLogprobs is not null; that event may have no tokenIds (the first
   * sampled token was a stop token).
   */
  | { kind: 'tokens'; requestId: string; tokenIds: number[]; logprobs?: TokenLogprobs[]; promptLogprobs?: (TokenLogprobs | null)[] }
  | { kind: 'finished'; requestId: string; finishReason: FinishReason; usage: Usage }
  | { kind: 'failed'; requestId: string; error: EngineError };

/** Expected failures are values, not exceptions. */
export type Result<T, E = EngineError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
