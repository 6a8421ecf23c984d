// OpenAI Responses wire shapes: the `response` object (its output items — one assistant message with output_text, and/or
// function_call items — usage and the request fields it echoes) and its ids. Invariants: `status` is 'incomplete' with
// incomplete_details {reason: 'max_output_tokens'} exactly when the output was cut by the token limit; usage always has
// its detail objects (cached_tokens, reasoning_tokens 0); `error` is set exactly when status is 'failed'.

import { newOpenAiId, type OpenAiUsage, type ResponseFinishReason } from './openai-format.js';
import type { ResponsesBody } from './responses-request.js';
import type { ToolCall, ToolMode } from './tool-calls.js';

/** An id as OpenAI writes Responses ids: `prefix_` and 32 hex digits (`resp`, `msg`, `fc`, `call`). */
export function newResponsesId(prefix: 'resp' | 'msg' | 'fc' | 'call'): string {
  return newOpenAiId(prefix, '_'); // the Responses API's ids use '_' (resp_…), the chat API's '-' (chatcmpl-…)
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface OutputText { type: 'output_text'; text: string; annotations: []; logprobs: [] }
export interface MessageItem { type: 'message'; id: string; status: ItemStatus; role: 'assistant'; content: OutputText[] }
export interface FunctionCallItem { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: ItemStatus }
export type OutputItem = MessageItem | FunctionCallItem;

export const outputText = (text: string): OutputText => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export function messageItem(id: string, text: string | null, status: ItemStatus): MessageItem {
  return { type: 'message', id, status, role: 'assistant', content: text === null ? [] : [outputText(text)] };
}

export function functionCallItem(id: string, call: ToolCall, status: ItemStatus): FunctionCallItem {
  return { type: 'function_call', id, call_id: call.id, name: call.function.name, arguments: call.function.arguments, status };
}

/** What a finished choice ended as: 'length' is the token limit (max_output_tokens or the context). */
export function statusOf(finishReason: ResponseFinishReason | null): 'completed' | 'incomplete' {
  return finishReason === 'length' ? 'incomplete' : 'completed';
}

/** A finished choice's output items: the message (content beside the calls, when any), then one item per call. */
export function outputItems(text: string | null, toolCalls: ToolCall[] | null, status: ItemStatus): OutputItem[] {
  const items: OutputItem[] = [];
  if (toolCalls === null || (text !== null && text !== '')) items.push(messageItem(newResponsesId('msg'), text ?? '', status));
  for (const call of toolCalls ?? []) items.push(functionCallItem(newResponsesId('fc'), call, status));
  return items;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The chat usage (one shared count) as the Responses API names it. */
export function responsesUsage(usage: OpenAiUsage): ResponsesUsage {
  return {
    input_tokens: usage.prompt_tokens, input_tokens_details: { cached_tokens: usage.prompt_tokens_details.cached_tokens },
    output_tokens: usage.completion_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: usage.total_tokens,
  };
}

export interface ResponseState {
  id: string;
  createdAt: number;
  status: ResponseStatus;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  /** The tool choice in effect (the request's, or its default: 'auto' with tools only under auto tool choice). */
  toolMode: ToolMode;
  /** Why a failed response failed (OpenAI's ResponseError); absent or null otherwise. */
  error?: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
}

/** The `response` object, with the request fields OpenAI echoes (defaults where the request left them out). */
export function responseObject(body: ResponsesBody, state: ResponseState): object {
  return {
    id: state.id, object: 'response', created_at: state.createdAt, status: state.status,
    background: false, error: state.error ?? null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: state.toolMode.kind === 'named' ? { type: 'function', name: state.toolMode.name } : state.toolMode.kind,
    tools: (body.tools ?? []).map((t) => ({ ...t, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? false })),
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: state.usage,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}
