// Turns a request's prompt (text, texts, token ids) or chat messages into prompt token ids.
// Invariant: every returned id is < vocabSize and every prompt is non-empty.

import { badRequest } from './api-error.js';
import type { ModelTokenizer } from '@mini-dynamo/model';
import type { ChatMessage, CompletionBody } from './request-schemas.js';

export function completionPrompts(prompt: CompletionBody['prompt'], tokenizer: ModelTokenizer, vocabSize: number): number[][] {
  const prompts = typeof prompt === 'string' ? [tokenizer.encode(prompt)]
    : isTokenIds(prompt) ? [prompt]
    : prompt.map((p) => (typeof p === 'string' ? tokenizer.encode(p) : p));
  prompts.forEach((ids, i) => checkPrompt(ids, vocabSize, `prompt${prompts.length > 1 ? `.${i}` : ''}`));
  return prompts;
}

export function chatPrompt(messages: ChatMessage[], tokenizer: ModelTokenizer, vocabSize: number, addGenerationPrompt = true): number[] {
  const flat = messages.map((m) => ({ role: m.role, content: messageText(m.content) }));
  let ids: number[];
  try {
    ids = tokenizer.encodeChat(flat, { addGenerationPrompt });
  } catch (e) {
    throw badRequest(`The chat template failed on these messages: ${(e as Error).message}`, 'messages', 'chat_template_error');
  }
  checkPrompt(ids, vocabSize, 'messages');
  return ids;
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
