// vLLM's tokenizer endpoints and version: POST /tokenize (a prompt, or chat messages through the chat
// template, exactly as /v1/completions and /v1/chat/completions would tokenize them), POST /detokenize,
// GET /tokenizer_info (tokenizer-info.ts), GET /version. Invariant: no worker is involved; bad input is the usual OpenAI-shaped 400.

import { createRequire } from 'node:module';
import { z } from 'zod';
import type { Hono } from 'hono';
import type { ModelTokenizer } from '@mini-dynamo/model';
import { badRequest } from './api-error.js';
import { readJsonBody, type JsonBodyLimits } from './json-body.js';
import { nullish } from './nullish-field.js';
import { chatPrompt } from './prompt-input.js';
import { chatMessage, parseBody } from './request-schemas.js';
import { tokenizerInfo } from './tokenizer-info.js';
import { toolSchema } from './tool-calls.js';

export interface TokenizeDeps {
  tokenizer: ModelTokenizer;
  bodyLimits: JsonBodyLimits;
  /** Max tokens per sequence of the ready workers, null before one is ready. */
  maxModelLen(): number | null;
  /** Throws the usual 404 when `model` is given and is not the served one. */
  checkModel(model: string): void;
  /** Register GET /tokenizer_info (vLLM --enable-tokenizer-info-endpoint). */
  tokenizerInfo: boolean;
}

/** The version GET /version reports: the gateway package's. */
const MINI_DYNAMO_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const model = nullish(z.string().min(1).max(512));
const tokenizeSchema = z.union([
  z.object({
    model, prompt: z.string(),
    add_special_tokens: nullish(z.boolean()),
  }).strict(),
  z.object({
    model, messages: z.array(chatMessage).min(1).max(4096),
    add_generation_prompt: nullish(z.boolean()),
    tools: nullish(z.array(toolSchema).max(128)),
  }).strict(),
], { error: 'Expected {prompt: string} or {messages: [...]} (add_special_tokens / add_generation_prompt optional).' });
const detokenizeSchema = z.object({ model, tokens: z.array(z.number().int().min(0).max(0xffffffff)).max(1_000_000) }).strict();

export function registerTokenizeRoutes(app: Hono, deps: TokenizeDeps): void {
  app.post('/tokenize', async (c) => {
    const body = parseBody(tokenizeSchema, await readJsonBody(c.req.raw, deps.bodyLimits));
    if (body.model) deps.checkModel(body.model);
    const tokens = 'prompt' in body
      ? deps.tokenizer.encode(body.prompt, { addSpecialTokens: body.add_special_tokens ?? true })
      : chatPrompt(body.messages, deps.tokenizer, deps.tokenizer.vocabSize, { addGenerationPrompt: body.add_generation_prompt ?? true, tools: body.tools });
    return c.json({ count: tokens.length, max_model_len: deps.maxModelLen(), tokens, token_strs: null });
  });

  app.post('/detokenize', async (c) => {
    const body = parseBody(detokenizeSchema, await readJsonBody(c.req.raw, deps.bodyLimits));
    if (body.model) deps.checkModel(body.model);
    const bad = body.tokens.find((id) => id >= deps.tokenizer.vocabSize);
    if (bad !== undefined) throw badRequest(`Token id ${bad} is outside the vocabulary (size ${deps.tokenizer.vocabSize}).`, 'tokens', 'invalid_token_id');
    return c.json({ prompt: deps.tokenizer.decode(body.tokens) });
  });

  if (deps.tokenizerInfo) app.get('/tokenizer_info', (c) => c.json(tokenizerInfo(deps.tokenizer, deps.maxModelLen())));

  app.get('/version', (c) => c.json({ version: MINI_DYNAMO_VERSION }));
}
