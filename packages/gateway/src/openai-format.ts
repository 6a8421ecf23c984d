// OpenAI wire shapes for chat.completion / text_completion bodies, their stream chunks and their ids.
// Invariants: `usage` always carries prompt_tokens_details.cached_tokens (0 included); vLLM `prompt_logprobs` appear
// only when asked: per choice on completions, once at the top on chat (vLLM's CompletionResponseChoice / ChatCompletionResponse).

import { randomUUID } from 'node:crypto';
import type { Usage } from '@mini-dynamo/protocol';
import type { ReportedToken } from './choice-logprobs.js';
import type { ClientFinishReason } from './generation-observer.js';
import { openAiLogprobs } from './openai-logprobs.js';
import type { DeltaToolCall } from './tool-call-stream.js';
import type { VllmPromptLogprobs } from './vllm-prompt-logprobs.js';
import type { ToolCall } from './tool-calls.js';

export type Endpoint = 'chat' | 'completion';

/** What a choice reports: a chat choice ended by 'required' tool calls, or that made 'auto' ones, says 'tool_calls' (tool-calls.ts). */
export type ResponseFinishReason = ClientFinishReason | 'tool_calls';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface ChoiceResult {
  index: number;
  text: string;
  /** Reported tokens; null when logprobs were not asked. */
  tokens: ReportedToken[] | null;
  finishReason: ResponseFinishReason | null;
  usage: Usage | null;
  /** Chat with a tool mode: the calls the text makes; null: plain content. */
  toolCalls: ToolCall[] | null;
  /** With toolCalls: the message content beside the calls (auto tool choice), else none. */
  toolContent?: string | null;
  /** vLLM `prompt_logprobs`, when asked. */
  promptLogprobs?: VllmPromptLogprobs;
}

/** An id as OpenAI / vLLM write them: `prefix-` and 32 hex digits (`chatcmpl`, `cmpl`, `chatcmpl-tool`). */
export function newOpenAiId(prefix: string, separator: '-' | '_' = '-'): string {
  return `${prefix}${separator}${randomUUID().replaceAll('-', '')}`;
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** Prompt tokens count once per prompt (not per choice); cached tokens are the best choice's. */
export function totalUsage(choices: ChoiceResult[], numChoicesPerPrompt: number): OpenAiUsage {
  let prompt = 0, completion = 0, cached = 0;
  for (let p = 0; p < choices.length; p += numChoicesPerPrompt) {
    const group = choices.slice(p, p + numChoicesPerPrompt);
    prompt += group[0]?.usage?.numPromptTokens ?? 0;
    cached += Math.max(0, ...group.map((c) => c.usage?.numCachedTokens ?? 0));
    for (const c of group) completion += c.usage?.numCompletionTokens ?? 0;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

export function responseBody(endpoint: Endpoint, meta: ResponseMeta, choices: ChoiceResult[], usage: OpenAiUsage): object {
  const body = {
    id: meta.id,
    object: endpoint === 'chat' ? 'chat.completion' : 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: choices.map((c) => endpoint === 'chat'
      ? { index: c.index, message: chatMessage(c), logprobs: openAiLogprobs(endpoint, c.tokens), finish_reason: c.finishReason }
      : completionChoice(c)),
    usage,
  };
  const promptLogprobs = choices[0]?.promptLogprobs; // chat: one prompt, all choices share it
  return endpoint === 'chat' && promptLogprobs !== undefined ? { ...body, prompt_logprobs: promptLogprobs } : body;
}

function completionChoice(c: ChoiceResult): object {
  const choice = { index: c.index, text: c.text, logprobs: openAiLogprobs('completion', c.tokens), finish_reason: c.finishReason };
  return c.promptLogprobs === undefined ? choice : { ...choice, prompt_logprobs: c.promptLogprobs };
}

function chatMessage(c: ChoiceResult): object {
  return c.toolCalls === null
    ? { role: 'assistant', content: c.text, refusal: null }
    : { role: 'assistant', content: c.toolContent ?? null, refusal: null, tool_calls: c.toolCalls };
}

export interface ChunkDelta {
  index: number;
  text: string;
  finishReason: ResponseFinishReason | null;
  /** Chat only: the first chunk of a choice announces the assistant role. */
  role?: 'assistant';
  /** The tokens of this chunk's text; null/absent when logprobs were not asked or there are none. */
  tokens?: ReportedToken[] | null;
  /** Chat with a tool mode: this chunk's tool_calls entries (instead of content). */
  toolCalls?: DeltaToolCall[] | undefined;
}

/**
 * One stream chunk; `withUsage` adds `usage: null` as OpenAI does when include_usage is on. Built as one
 * object literal (no spreads) for JSON.stringify's fast path; `usage: undefined` is left out of the JSON.
 */
export function chunkBody(endpoint: Endpoint, meta: ResponseMeta, delta: ChunkDelta, withUsage: boolean): object {
  const logprobs = delta.tokens ? openAiLogprobs(endpoint, delta.tokens) : null;
  const choice = endpoint === 'chat'
    ? { index: delta.index, delta: chatDelta(delta), logprobs, finish_reason: delta.finishReason }
    : { index: delta.index, text: delta.text, logprobs, finish_reason: delta.finishReason };
  return {
    id: meta.id, object: chunkObject(endpoint), created: meta.created, model: meta.model,
    choices: [choice], usage: withUsage ? null : undefined,
  };
}

/** The last chunk when stream_options.include_usage is set: no choices, the request's usage. */
export function usageChunkBody(endpoint: Endpoint, meta: ResponseMeta, usage: OpenAiUsage): object {
  return { id: meta.id, object: chunkObject(endpoint), created: meta.created, model: meta.model, choices: [], usage };
}

function chunkObject(endpoint: Endpoint): string {
  return endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
}

function chatDelta(delta: ChunkDelta): object {
  if (delta.role) return { role: delta.role, content: delta.text };
  if (delta.toolCalls) return { tool_calls: delta.toolCalls };
  return delta.finishReason !== null && delta.text === '' ? {} : { content: delta.text };
}
