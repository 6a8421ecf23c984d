// Maps a validated request body onto protocol SamplingParams, checking the context budget.
// Invariant: prompt + max tokens never exceed the model's context (else a 400 naming it).

import type { SamplingParams } from '@mini-dynamo/protocol';
import { badRequest } from './api-error.js';
import type { ChatCompletionBody, CompletionBody } from './request-schemas.js';

type Body = CompletionBody | ChatCompletionBody;

export function samplingFor(body: Body, numPromptTokens: number, maxModelLen: number, choiceIndex: number): SamplingParams {
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
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: body.top_k === undefined || body.top_k <= 0 ? null : body.top_k,
    seed: body.seed === undefined ? null : body.seed + choiceIndex,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    maxTokens: requested ?? room,
    stopTokenIds: body.stop_token_ids ?? [],
    ignoreEos: body.ignore_eos ?? false,
    numLogprobs: numLogprobsFor(body),
    numPromptLogprobs: 'messages' in body || body.echo !== true ? null : body.logprobs ?? null,
  };
}

/**
 * Chat: `logprobs: true` (+ `top_logprobs` alternatives, default 0); completions: `logprobs` alternatives,
 * for the prompt's tokens too when `echo` is true (numPromptLogprobs above).
 */
function numLogprobsFor(body: Body): number | null {
  if ('messages' in body) return body.logprobs === true ? body.top_logprobs ?? 0 : null;
  return body.logprobs ?? null;
}

export function stopStrings(stop: string | string[] | undefined): string[] {
  if (stop === undefined) return [];
  return (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
}
