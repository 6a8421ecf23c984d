// Function calling as vLLM does it: `tool_choice` naming a function or 'required' constrains the output (structured
// outputs) to that function's arguments, or to a JSON array of {name, parameters} calls, and the text becomes
// `tool_calls`; 'auto' (with --enable-auto-tool-choice, then also the default with tools) leaves the output free and a
// tool-call parser finds the calls in it; 'none' leaves tools to the template. Invariant: a forcing mode has a constraint.

import type { JsonSchema, StructuredOutputSpec } from '@mini-dynamo/protocol';
import { z } from 'zod';
import { badRequest } from './api-error.js';
import { newOpenAiId, type ResponseFinishReason } from './openai-format.js';
import { requiredToolCallFormat } from './required-tool-call-format.js';
import type { ParsedToolCall, ToolCallFormat, ToolCallParserName } from './tool-call-parser.js';
import { TOOL_CALL_PARSERS } from './tool-call-parsers.js';

export const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 characters of a-z, A-Z, 0-9, _ or -'),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

/** A call in an earlier assistant turn of `messages`. */
export const messageToolCallSchema = z.object({
  id: z.string().max(256),
  type: z.literal('function'),
  function: z.object({ name: z.string().max(256), arguments: z.string() }),
});

export type Tool = z.output<typeof toolSchema>;
export type ToolChoice = z.output<typeof toolChoiceSchema>;

export type ToolMode =
  | { kind: 'none' }
  /** The output is the arguments of this one function. */
  | { kind: 'named'; name: string }
  /** The output is a JSON array of {name, parameters}, one call or more (exactly one without parallel calls). */
  | { kind: 'required' }
  /** Free output; the named parser finds the calls in it (vLLM --enable-auto-tool-choice --tool-call-parser). */
  | { kind: 'auto'; parser: ToolCallParserName };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface ToolFields {
  tools?: Tool[] | undefined;
  tool_choice?: ToolChoice | undefined;
  parallel_tool_calls?: boolean | undefined;
}

export interface ToolConstraint {
  mode: ToolMode;
  /** What the output must match; null: free text. */
  constraint: StructuredOutputSpec | null;
  /** The parameter schemas the constraint embeds, each with its request field (to check one by one, naming it). */
  parameters: { param: string; spec: StructuredOutputSpec }[];
}

/**
 * The request's tool mode and the constraint it puts on the output; a 400 for what vLLM also refuses. `autoParser`:
 * the server's tool-call parser when auto tool choice is enabled (then 'auto' is the default with tools), else null.
 */
export function toolMode(body: ToolFields, autoParser: ToolCallParserName | null = null): ToolConstraint {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? (autoParser !== null && tools.length > 0 ? 'auto' : 'none');
  if (choice === 'none') return { mode: { kind: 'none' }, constraint: null, parameters: [] };
  if (tools.length === 0) throw badRequest('tool_choice needs a non-empty tools list.', 'tool_choice', 'invalid_value');
  if (choice === 'auto') {
    if (autoParser !== null) return { mode: { kind: 'auto', parser: autoParser }, constraint: null, parameters: [] };
    throw badRequest('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set on the server: '
      + 'use tool_choice "required" or name a function.', 'tool_choice', 'unsupported_value');
  }
  const parameters = (i: number) => ({ param: `tools.${i}.function.parameters`, spec: { kind: 'json', schema: parametersOf(tools[i]!) } as const });
  if (choice === 'required') {
    const schema = callsSchema(tools, body.parallel_tool_calls ?? true);
    return { mode: { kind: 'required' }, constraint: { kind: 'json', schema }, parameters: tools.map((_, i) => parameters(i)) };
  }
  const i = tools.findIndex((t) => t.function.name === choice.function.name);
  if (i < 0) throw badRequest(`tool_choice names function '${choice.function.name}', which is not in tools.`, 'tool_choice', 'invalid_value');
  return { mode: { kind: 'named', name: choice.function.name }, constraint: parameters(i).spec, parameters: [parameters(i)] };
}

/** A function without `parameters` (or with `{}`) takes none (OpenAI): its arguments are an object, here an empty one. */
function parametersOf(tool: Tool): JsonSchema {
  const parameters = tool.function.parameters;
  return parameters === undefined || parameters === null || Object.keys(parameters).length === 0 ? { type: 'object', properties: {} } : parameters;
}

/** vLLM's schema for 'required': an array of calls, each one tool's name with its parameters. */
function callsSchema(tools: Tool[], parallel: boolean): JsonSchema {
  const call = (t: Tool) => ({
    type: 'object',
    properties: { name: { const: t.function.name }, parameters: parametersOf(t) },
    required: ['name', 'parameters'],
  });
  return { type: 'array', minItems: 1, ...(parallel ? {} : { maxItems: 1 }), items: { anyOf: tools.map(call) } };
}

export function newToolCallId(): string {
  return newOpenAiId('chatcmpl-tool');
}

/**
 * The calls a finished choice made (null: none, the text is plain content) and the content beside them: the named
 * function with the text as its arguments (as vLLM, even when max_tokens cut them: streamed pieces cannot be taken
 * back); the 'required' array's calls or the 'auto' parser's, each with its arguments text as the model wrote it (as
 * the stream sends it). A 'required' text that is no complete array (cut by max_tokens or a stop string) is content.
 * An 'auto' call naming a function that is not in `tools` is kept, as vLLM does (the client decides what to do with it).
 */
export function toolCallsOf(mode: ToolMode, text: string, ids: () => string = newToolCallId): { toolCalls: ToolCall[] | null; content: string | null } {
  if (mode.kind === 'none') return { toolCalls: null, content: text };
  if (mode.kind === 'named') return { toolCalls: [{ id: ids(), type: 'function', function: { name: mode.name, arguments: text } }], content: null };
  const { content, calls } = callFormat(mode).extract(text);
  const toolCalls = withIds(calls, ids);
  return toolCalls === null ? { toolCalls, content: text } : { toolCalls, content };
}

/** The call format a 'required' or 'auto' choice is read with (non-streamed and streamed alike). */
export function callFormat(mode: Extract<ToolMode, { kind: 'required' | 'auto' }>): ToolCallFormat {
  return mode.kind === 'auto' ? TOOL_CALL_PARSERS[mode.parser] : requiredToolCallFormat;
}

/**
 * As OpenAI and vLLM: a 'required' choice that ended by itself with its calls finishes with 'tool_calls', a named
 * call with 'stop'; an 'auto' choice that made calls with 'tool_calls' however it ended (vLLM).
 */
export function toolFinishReason(mode: ToolMode, reason: ResponseFinishReason, madeCalls: boolean): ResponseFinishReason {
  if (mode.kind === 'auto') return madeCalls ? 'tool_calls' : reason;
  return mode.kind === 'required' && madeCalls && reason === 'stop' ? 'tool_calls' : reason;
}

/** The calls as OpenAI tool calls, each with a new id; null when there are none. */
function withIds(calls: ParsedToolCall[], ids: () => string): ToolCall[] | null {
  if (calls.length === 0) return null;
  return calls.map((c) => ({ id: ids(), type: 'function', function: { name: c.name, arguments: c.arguments } }));
}
