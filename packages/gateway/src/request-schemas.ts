// zod schemas of the OpenAI request bodies this gateway accepts (plus vLLM's extensions: top_k, min_p,
// repetition_penalty, min_tokens, ignore_eos, stop_token_ids, cache_salt, priority, token-id prompts, guided decoding
// (structured-output-request.ts); chat `tools` (tool-calls.ts); `echo` (completions; chat: chat-echo.ts); `prompt_logprobs`). Unknown fields are ignored
// (as vLLM does); known fields with a bad type or range, `stream_options` without `stream: true`,
// `top_logprobs` without `logprobs: true` or `prompt_logprobs` > 0 with `stream: true` (as vLLM) are a 400 naming the field.

import { z } from 'zod';
import { badRequest } from './api-error.js';
import { nullish } from './nullish-field.js';
import { structuredOutputFields } from './structured-output-request.js';
import { messageToolCallSchema, toolChoiceSchema, toolSchema } from './tool-calls.js';

export const MAX_N = 16;
export const MAX_STOP_STRINGS = 16;
/** Most alternatives per token: chat `top_logprobs` and completions `logprobs` (OpenAI: 20 and 5; vLLM: 20 for both). */
export const MAX_LOGPROBS = 20;
/** Most tokens one `logit_bias` may bias. */
export const MAX_LOGIT_BIAS = 1024;

const tokenId = z.number().int().min(0).max(0xffffffff);
const unsupported = (field: string, accepted: string) => `${field} is not supported by this server (accepted: ${accepted})`;

const samplingFields = {
  model: z.string().min(1).max(512),
  /** 0 only on a completions echo (the prompt alone, scored: maxTokensZeroNeedsEcho). */
  max_tokens: nullish(z.number().int().min(0)),
  max_completion_tokens: nullish(z.number().int().min(1)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  top_k: nullish(z.number().int().min(-1)),
  seed: nullish(z.number().int()),
  stop: nullish(z.union([z.string().max(512), z.array(z.string().min(1).max(512)).max(MAX_STOP_STRINGS)])),
  stop_token_ids: nullish(z.array(tokenId).max(64)),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  n: nullish(z.number().int().min(1).max(MAX_N)),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.object({ include_usage: nullish(z.boolean()) })),
  user: nullish(z.string().max(512)),
  ignore_eos: nullish(z.boolean()),
  cache_salt: nullish(z.string().min(1).max(512)),
  /** OpenAI: token id (decimal string) → bias added to its logit; ids are checked against the vocabulary later. */
  logit_bias: nullish(z.record(z.string().regex(/^\d{1,10}$/, 'keys must be token ids'), z.number().min(-100).max(100))
    .refine((b) => Object.keys(b).length <= MAX_LOGIT_BIAS, `at most ${MAX_LOGIT_BIAS} tokens`)),
  min_p: nullish(z.number().min(0).max(1)),
  repetition_penalty: nullish(z.number().gt(0).max(1e6)),
  min_tokens: nullish(z.number().int().min(0)),
  /** vLLM: report the prompt's logprobs (each token's, plus this many alternatives) as `prompt_logprobs`. */
  prompt_logprobs: nullish(z.number().int().min(0).max(MAX_LOGPROBS)),
  /** vLLM: scheduling priority, lower first (needs --scheduling-policy priority unless 0; sampling-request.ts). */
  priority: nullish(z.number().int()),
  ...structuredOutputFields,
};
const numLogprobs = z.number().int().min(0).max(MAX_LOGPROBS);

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const messageContent = z.union([z.string(), z.array(textPart).max(256)]);
export const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: messageContent.nullish(),
  name: nullish(z.string().max(256)),
  /** An assistant turn's calls and a tool turn's answer to one: passed to the chat template. */
  tool_calls: nullish(z.array(messageToolCallSchema).max(128)),
  tool_call_id: nullish(z.string().max(256)),
});

/** As OpenAI: `stream_options` only makes sense on a streamed request. */
const streamOptionsNeedStream = (body: { stream?: boolean; stream_options?: object }) =>
  body.stream_options === undefined || body.stream === true;
const streamOptionsRule = { message: "only allowed when 'stream' is true", path: ['stream_options'] };

/** As OpenAI: `top_logprobs` needs `logprobs: true`. */
const topLogprobsNeedLogprobs = (body: { logprobs?: boolean; top_logprobs?: number }) =>
  body.top_logprobs === undefined || body.logprobs === true;
const topLogprobsRule = { message: "only allowed when 'logprobs' is true", path: ['top_logprobs'] };

/** As vLLM: max_tokens 0 returns the prompt alone, so it needs a completions `echo` (never on chat). */
type MaxTokensFields = { max_tokens?: number; max_completion_tokens?: number };
/** The completion length asked for: max_completion_tokens wins over max_tokens, as samplingFor reads them. */
const requestedMaxTokens = (body: MaxTokensFields) => body.max_completion_tokens ?? body.max_tokens;
const maxTokensZeroNeedsEcho = (body: MaxTokensFields & { echo?: boolean }) => requestedMaxTokens(body) !== 0 || body.echo === true;
const maxTokensNotZero = (body: MaxTokensFields) => requestedMaxTokens(body) !== 0;
const maxTokensRule = { message: 'must be at least 1 (0 only with echo: true on /v1/completions)', path: ['max_tokens'] };

/** As vLLM: prompt logprobs are never streamed, so asking for some (> 0) on a streamed request is refused. */
const promptLogprobsNeedNoStream = (body: { stream?: boolean; prompt_logprobs?: number }) =>
  body.stream !== true || (body.prompt_logprobs ?? 0) === 0;
const promptLogprobsRule = { message: '`prompt_logprobs` are not available when `stream=True`.', path: ['prompt_logprobs'] };

export const chatCompletionSchema = z.object({
  ...samplingFields,
  messages: z.array(chatMessage).min(1).max(4096),
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(numLogprobs),
  tools: nullish(z.array(toolSchema).max(128)),
  tool_choice: nullish(toolChoiceSchema),
  parallel_tool_calls: nullish(z.boolean()),
  /** vLLM: the last message's content, when it is the assistant's, leads each choice's content (chat-echo.ts). */
  echo: nullish(z.boolean()),
}).refine(streamOptionsNeedStream, streamOptionsRule).refine(topLogprobsNeedLogprobs, topLogprobsRule)
  .refine(promptLogprobsNeedNoStream, promptLogprobsRule).refine(maxTokensNotZero, maxTokensRule);

export const completionSchema = z.object({
  ...samplingFields,
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1).max(MAX_N),
    z.array(tokenId).min(1),
    z.array(z.array(tokenId).min(1)).min(1).max(MAX_N),
  ]),
  /** How many alternatives to report per token (the sampled token's logprob always is); null: no logprobs. */
  logprobs: nullish(numLogprobs),
  /** Prepend the prompt to each choice's text (and, with `logprobs`, its tokens' logprobs, the first null). */
  echo: nullish(z.boolean()),
  suffix: nullish(z.literal('', { error: unsupported('suffix', "'' or null") })),
}).refine(streamOptionsNeedStream, streamOptionsRule).refine(promptLogprobsNeedNoStream, promptLogprobsRule)
  .refine(maxTokensZeroNeedsEcho, maxTokensRule);

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;
export type CompletionBody = z.output<typeof completionSchema>;
export type ChatMessage = z.output<typeof chatMessage>;

/** Validates a parsed JSON body; the first issue becomes a 400 with its field path as `param`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object.', null, 'invalid_type');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  throw badRequest(`Invalid value for '${param ?? 'body'}': ${issue.message}`, param, 'invalid_value');
}

