// The one place reported tokens become OpenAI `logprobs` objects: chat's `{ content: [...], refusal: null }` (token,
// logprob, UTF-8 bytes, top_logprobs) and the legacy completions shape (tokens, token_logprobs,
// top_logprobs dicts that also hold the sampled token, text_offset; with `echo` the prompt's tokens come first,
// the very first with a null logprob and null top_logprobs). null means "not asked".

import { LOGPROB_FLOOR } from '@mini-dynamo/protocol';
import type { Endpoint } from './openai-format.js';
import type { ReportedToken, TopToken } from './choice-logprobs.js';

const encoder = new TextEncoder();

export function openAiLogprobs(endpoint: Endpoint, tokens: readonly ReportedToken[] | null): object | null {
  if (tokens === null) return null;
  return endpoint === 'chat' ? chatLogprobs(tokens) : completionLogprobs(tokens);
}

function chatLogprobs(tokens: readonly ReportedToken[]): object {
  return { // chat never echoes its prompt, so every token has a logprob; no refusals: `refusal` is null (as OpenAI)
    content: tokens.map((t) => ({
      token: t.token, logprob: t.logprob ?? LOGPROB_FLOOR, bytes: utf8Bytes(t.token), top_logprobs: (t.top ?? []).map(chatToken),
    })),
    refusal: null,
  };
}

function chatToken(t: TopToken): { token: string; logprob: number; bytes: number[] } {
  return { token: t.token, logprob: t.logprob, bytes: utf8Bytes(t.token) };
}

function utf8Bytes(text: string): number[] {
  return Array.from(encoder.encode(text));
}

function completionLogprobs(tokens: readonly ReportedToken[]): object {
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => {
      if (t.top === null || t.logprob === null) return null; // an echoed prompt's first token
      const dict = Object.create(null) as Record<string, number>; // a token may be '__proto__'
      for (const alt of t.top) if (!Object.hasOwn(dict, alt.token)) dict[alt.token] = alt.logprob;
      if (!Object.hasOwn(dict, t.token)) dict[t.token] = t.logprob; // the sampled token, if not among the top
      return dict;
    }),
    text_offset: tokens.map((t) => t.textOffset),
  };
}
