// vLLM chat `echo`: the last message's content, when its role is the response's ('assistant'), leads each choice's
// content — prepended to the non-streamed message (tool calls' content included), its own first content chunk when
// streamed (vLLM serving_chat). Invariant: '' (nothing to echo) leaves every response unchanged.

import type { ChoiceResult } from './openai-format.js';
import type { ChatCompletionBody } from './request-schemas.js';

/** The response role: this server always adds the generation prompt, so it is vLLM's default, 'assistant'. */
const RESPONSE_ROLE = 'assistant';

/** The text chat `echo` prepends; '' without `echo` or when the last message is not the response role's. */
export function chatEchoText(body: ChatCompletionBody): string {
  const last = body.messages.at(-1);
  if (body.echo !== true || last?.role !== RESPONSE_ROLE) return '';
  const content = last.content ?? '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n'); // vLLM joins text parts by '\n'
}

/** Prepends `echo` to each non-streamed choice's content (a tool-call message's content: echo + its own, as vLLM). */
export function applyChatEcho(results: ChoiceResult[], echo: string): void {
  if (echo === '') return;
  for (const r of results) {
    if (r.toolCalls === null) r.text = echo + r.text;
    else r.toolContent = echo + (r.toolContent ?? '');
  }
}
