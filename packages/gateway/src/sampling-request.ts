// Maps a validated request body onto protocol SamplingParams, checking the context budget, logit_bias ids and min_tokens.
// Invariants: prompt + max tokens never exceed the model's context, biased ids are in the vocabulary (each once), min_tokens ≤
// max tokens (else a 400 naming the field).

import type { SamplingParams, SchedulingPolicy, StructuredOutputSpec } from '@mini-dynamo/protocol';
import { badRequest } from './api-error.js';
import type { ChatCompletionBody, CompletionBody } from './request-schemas.js';

type Body = CompletionBody | ChatCompletionBody;

/** What samplingFor checks against besides the body: the model's limits, and the request's parsed structured output. */
export interface SamplingContext {
  maxModelLen: number;
  vocabSize: number;
  structuredOutput: StructuredOutputSpec | null;
}

export function samplingFor(body: Body, numPromptTokens: number, ctx: SamplingContext, choiceIndex: number): SamplingParams {
  const { maxModelLen } = ctx;
  const room = maxModelLen - numPromptTokens;
  if (room < 1) {
    throw badRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, your prompt has ${numPromptTokens} tokens.`,
      'messages' in body ? 'messages' : 'prompt', 'context_length_exceeded');
  }
  const requested = body.max_completion_tokens ?? body.max_tokens;
  if (requested !== undefined && requested > room) {
    throw badRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${numPromptTokens + requested} tokens ` +
      `(${numPromptTokens} in the prompt, ${requested} for the completion).`,
      'max_tokens', 'context_length_exceeded');
  }
  const maxTokens = requested ?? room;
  if (body.min_tokens !== undefined && body.min_tokens > maxTokens) {
    throw badRequest(`min_tokens (${body.min_tokens}) must be at most max_tokens (${maxTokens}).`, 'min_tokens', 'invalid_value');
  }
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: body.top_k === undefined || body.top_k <= 0 ? null : body.top_k,
    seed: body.seed === undefined ? null : body.seed + choiceIndex,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    maxTokens,
    stopTokenIds: body.stop_token_ids ?? [],
    ignoreEos: body.ignore_eos ?? false,
    numLogprobs: numLogprobsFor(body),
    numPromptLogprobs: numPromptLogprobsFor(body, maxTokens, choiceIndex),
    structuredOutput: ctx.structuredOutput,
    logitBias: logitBiasFor(body.logit_bias, ctx.vocabSize),
    minP: body.min_p ?? 0,
    repetitionPenalty: body.repetition_penalty ?? 1,
    minTokens: body.min_tokens ?? 0,
  };
}

/**
 * OpenAI's {"<token id>": bias} as [tokenId, bias] pairs, one per id; null when absent or empty. Two keys naming one id
 * ('7' and '007') are a 400: the biases would add up past ±100, and which one vLLM keeps depends on key order.
 */
function logitBiasFor(bias: Record<string, number> | undefined, vocabSize: number): [number, number][] | null {
  if (bias === undefined) return null;
  const pairs = Object.entries(bias).map(([id, value]): [number, number] => [Number(id), value]);
  const bad = pairs.find(([id]) => id >= vocabSize);
  if (bad !== undefined) throw badRequest(`Token id ${bad[0]} in logit_bias is outside the vocabulary (size ${vocabSize}).`, 'logit_bias', 'invalid_token_id');
  const seen = new Set<number>();
  for (const [id] of pairs) {
    if (seen.has(id)) throw badRequest(`Token id ${id} is given more than once in logit_bias (keys with leading zeros name the same id).`, 'logit_bias', 'invalid_value');
    seen.add(id);
  }
  return pairs.length === 0 ? null : pairs;
}

/**
 * Chat: `logprobs: true` (+ `top_logprobs` alternatives, default 0); completions: `logprobs` alternatives,
 * for the prompt's tokens too when `echo` is true (numPromptLogprobs above).
 */
function numLogprobsFor(body: Body): number | null {
  if ('messages' in body) return body.logprobs === true ? body.top_logprobs ?? 0 : null;
  return body.logprobs ?? null;
}

/** Completions `echo` with `logprobs` alternatives (the echoed prompt's), null without. */
function numEchoLogprobs(body: Body): number | null {
  return 'messages' in body || body.echo !== true ? null : body.logprobs ?? null;
}

/**
 * vLLM `prompt_logprobs` as reported (`prompt_logprobs` on the response); never on a stream (as vLLM: 0 is accepted
 * there, unreported). Chat reports them once, at the top, from choice 0: its other choices do not score the prompt
 * (so they may take prefix-cache hits). Completions report them per choice.
 */
export function numReportedPromptLogprobs(body: Body, choiceIndex: number): number | null {
  if (body.stream === true || ('messages' in body && choiceIndex > 0)) return null;
  return body.prompt_logprobs ?? null;
}

/**
 * The engine scores the prompt once for both the echo and `prompt_logprobs`: with the larger number of alternatives.
 * max_tokens 0 (an echo) always scores it: the engine then samples nothing (SamplingParams.maxTokens).
 */
function numPromptLogprobsFor(body: Body, maxTokens: number, choiceIndex: number): number | null {
  const echo = numEchoLogprobs(body), reported = numReportedPromptLogprobs(body, choiceIndex);
  if (echo === null || reported === null) return echo ?? reported ?? (maxTokens === 0 ? 0 : null);
  return Math.max(echo, reported);
}

/** vLLM `priority` (default 0); anything else needs --scheduling-policy priority, else a 400 naming `priority` (as vLLM). */
export function priorityFor(body: Body, policy: SchedulingPolicy): number {
  const priority = body.priority ?? 0;
  if (priority !== 0 && policy !== 'priority') {
    throw badRequest(`Got priority ${priority} but priority scheduling is not enabled (start the server with --scheduling-policy priority).`,
      'priority', 'invalid_value');
  }
  return priority;
}

export function stopStrings(stop: string | string[] | undefined): string[] {
  if (stop === undefined) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}
