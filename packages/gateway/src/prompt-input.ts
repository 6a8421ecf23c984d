// Turns a request's prompt (text, texts, token ids) or chat messages into prompt token ids.
// Invariant: every returned id is < vocabSize and every prompt is non-empty.

import { badRequest } from './api-error.js';
import type { ChatMessage as TemplateMessage, ModelTokenizer } from '@mini-dynamo/model';
import type { ChatMessage, CompletionBody } from './request-schemas.js';
import { parseJson } from './json-object-scan.js';
import type { Tool } from './tool-calls.js';

export function completionPrompts(prompt: CompletionBody['prompt'], tokenizer: ModelTokenizer, vocabSize: number): number[][] {
  const prompts = typeof prompt === 'string' ? [tokenizer.encode(prompt)]
    : isTokenIds(prompt) ? [prompt]
    : prompt.map((p) => (typeof p === 'string' ? tokenizer.encode(p) : p));
  prompts.forEach((ids, i) => checkPrompt(ids, vocabSize, `prompt${prompts.length > 1 ? `.${i}` : ''}`));
  return prompts;
}

/** `tools` (the request's function definitions) reach templates that render them, as in vLLM. */
export function chatPrompt(
  messages: ChatMessage[], tokenizer: ModelTokenizer, vocabSize: number, opts: { addGenerationPrompt?: boolean; tools?: Tool[] | undefined } = {},
): number[] {
  let ids: number[];
  try {
    ids = tokenizer.encodeChat(messages.map(templateMessage), { addGenerationPrompt: opts.addGenerationPrompt ?? true, tools: opts.tools ?? null });
  } catch (e) {
    throw badRequest(`The chat template failed on these messages: ${(e as Error).message}`, 'messages', 'chat_template_error');
  }
  checkPrompt(ids, vocabSize, 'messages');
  return ids;
}

/** A message as templates read it: text content; an assistant's calls with their JSON arguments parsed (as vLLM). */
function templateMessage(m: ChatMessage): TemplateMessage {
  const out: TemplateMessage = { role: m.role, content: messageText(m.content) };
  if (m.name !== undefined) out.name = m.name;
  if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
  if (m.tool_calls !== undefined) {
    out.tool_calls = m.tool_calls.map((c) => ({ ...c, function: { name: c.function.name, arguments: parseJson(c.function.arguments) ?? c.function.arguments } }));
  }
  return out;
}

function messageText(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

function isTokenIds(p: CompletionBody['prompt']): p is number[] {
  return Array.isArray(p) && typeof p[0] === 'number';
}

function checkPrompt(ids: number[], vocabSize: number, param: string): void {
  if (ids.length === 0) throw badRequest('The prompt is empty after tokenization.', param, 'empty_prompt');
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) throw badRequest(`Token id ${bad} is outside the vocabulary (size ${vocabSize}).`, param, 'invalid_token_id');
}
