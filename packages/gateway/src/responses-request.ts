// The OpenAI Responses request (`POST /v1/responses`, the subset vLLM serves) and its mapping onto the chat request the
// chat path serves: `instructions` + `input` → messages, `text.format` → response_format, function `tools` → chat tools.
// Invariants: a field this server does not know or cannot honour is a 400 naming it, before anything is dispatched.

import { z } from 'zod';
import { ApiError, badRequest } from './api-error.js';
import { nullish } from './nullish-field.js';
import { toolSchema } from './tool-calls.js';
import { chatCompletionSchema, chatMessage, parseBody, type ChatCompletionBody } from './request-schemas.js';

/** A chat message as the chat schema reads it (it validates these again). */
type ChatMessage = z.input<typeof chatMessage>;

const text = z.string().max(1 << 24);
const contentPart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input_text'), text }),
  z.object({ type: z.literal('output_text'), text, annotations: z.array(z.unknown()).nullish() }),
], { error: (issue) => (issue.code === 'invalid_union' ? "unsupported content type (accepted: 'input_text', 'output_text')" : undefined) });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A string content is one input_text part (so a bad part's error names its own path, not the whole union's). */
const asParts = (v: unknown) => (typeof v === 'string' ? [{ type: 'input_text', text: v }] : v);

const messageItem = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.preprocess(asParts, z.array(contentPart).max(256)),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
/** An earlier turn's function call and its answer (multi-turn tool use). */
const functionCallItem = z.object({
  type: z.literal('function_call'), call_id: z.string().max(256), name: z.string().max(256), arguments: z.string(),
  id: z.string().nullish(), status: z.string().nullish(),
});
const functionCallOutputItem = z.object({
  type: z.literal('function_call_output'), call_id: z.string().max(256), output: z.string(), id: z.string().nullish(), status: z.string().nullish(),
});
/** An item without `type` is a message (as OpenAI's EasyInputMessage). */
const inputItem = z.preprocess((v) => (isObject(v) && v['type'] === undefined ? { ...v, type: 'message' } : v),
  z.discriminatedUnion('type', [messageItem, functionCallItem, functionCallOutputItem]));

const functionTool = z.object({
  type: z.literal('function', { error: "only 'function' tools are supported by this server (no built-in tools)" }),
  name: toolSchema.shape.function.shape.name,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), name: z.string() }),
]);
const textFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'), name: z.string().min(1).max(64), schema: z.record(z.string(), z.unknown()),
    description: nullish(z.string()), strict: nullish(z.boolean()),
  }),
]);

const responsesSchema = z.object({
  model: z.string().min(1).max(512),
  /** A string is one user message. */
  input: z.preprocess((v) => (typeof v === 'string' ? [{ role: 'user', content: v }] : v), z.array(inputItem).min(1).max(4096)),
  instructions: nullish(text),
  max_output_tokens: nullish(z.number().int().min(1)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  seed: nullish(z.number().int()),
  /** vLLM: scheduling priority (the chat path checks it against --scheduling-policy). */
  priority: nullish(z.number().int()),
  stream: nullish(z.boolean()),
  text: nullish(z.object({ format: nullish(textFormat) })),
  tools: nullish(z.array(functionTool).max(128)),
  tool_choice: nullish(toolChoice),
  parallel_tool_calls: nullish(z.boolean()),
  user: nullish(z.string().max(512)),
  metadata: nullish(z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')),
  /** Accepted either way: this server stores no response (README). */
  store: nullish(z.boolean()),
  truncation: nullish(z.literal('disabled', { error: "only 'disabled' is supported" })),
  background: nullish(z.literal(false, { error: 'background responses are not supported by this server' })),
});

export type ResponsesBody = z.output<typeof responsesSchema>;

const KNOWN_FIELDS = new Set(Object.keys(responsesSchema.shape));

/** The validated body; unknown fields (`reasoning`, `include`, …) and `previous_response_id` are 400s naming them. */
export function parseResponsesBody(raw: unknown): ResponsesBody {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const fields = Object.entries(raw).filter(([, value]) => value !== null && value !== undefined).map(([key]) => key);
    if (fields.includes('previous_response_id')) {
      throw badRequest("'previous_response_id' is not supported: this server stores no responses (send the whole conversation as 'input').",
        'previous_response_id', 'unsupported_parameter');
    }
    const unknown = fields.find((key) => !KNOWN_FIELDS.has(key));
    if (unknown !== undefined) throw badRequest(`Unsupported parameter: '${unknown}' is not supported by this server on /v1/responses.`, unknown, 'unsupported_parameter');
  }
  return parseBody(responsesSchema, raw);
}

/** The chat request this Responses request is served as (validated by the chat schema too: one set of rules). */
export function chatBodyOf(body: ResponsesBody): ChatCompletionBody {
  const format = body.text?.format;
  const chat = {
    model: body.model,
    messages: messagesOf(body),
    max_tokens: body.max_output_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    seed: body.seed,
    priority: body.priority,
    stream: body.stream,
    user: body.user,
    response_format: format?.type === 'json_schema'
      ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, description: format.description, strict: format.strict } }
      : format,
    tools: body.tools?.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters, strict: t.strict } })),
    tool_choice: typeof body.tool_choice === 'object' ? { type: 'function', function: { name: body.tool_choice.name } } : body.tool_choice,
    parallel_tool_calls: body.parallel_tool_calls,
  };
  return parseBody(chatCompletionSchema, JSON.parse(JSON.stringify(chat)));
}

function messagesOf(body: ResponsesBody): ChatMessage[] {
  const messages: ChatMessage[] = body.instructions ? [{ role: 'system', content: body.instructions }] : [];
  for (const item of body.input) {
    if (item.type === 'function_call') {
      const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
      messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (item.type === 'function_call_output') {
      messages.push({ role: 'tool', content: item.output, tool_call_id: item.call_id });
    } else {
      messages.push({ role: item.role, content: item.content.map((p) => p.text).join('') });
    }
  }
  return messages;
}

const CHAT_PARAMS: [RegExp, string][] = [
  [/^max_tokens$/, 'max_output_tokens'], [/^messages(\..*)?$/, 'input'], [/^response_format(\..*)?$/, 'text.format'],
  [/^tools\.(\d+)\.function\./, 'tools.$1.'], [/^tool_choice\.function\./, 'tool_choice.'],
];

/** A chat-path 400 naming a chat field, renamed to the Responses field the client sent (other errors as they are). */
export function asResponsesError(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.status !== 400 || error.param === null) return error;
  const chatParam = error.param;
  const rule = CHAT_PARAMS.find(([pattern]) => pattern.test(chatParam));
  if (rule === undefined) return error;
  const param = chatParam.replace(rule[0], rule[1]);
  return badRequest(error.message.replaceAll(`'${chatParam}'`, `'${param}'`), param, error.code);
}
