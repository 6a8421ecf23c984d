// Renders chat messages into a prompt with the model's Jinja chat_template (@huggingface/jinja).
// Invariant: models without a template get FALLBACK_CHAT_TEMPLATE (plain contents, for base models like stories260K).

import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
  /** An assistant turn's function calls (arguments parsed to objects where they are JSON, as vLLM passes them). */
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: unknown } }[];
  /** A tool turn: the call it answers. */
  tool_call_id?: string;
  name?: string;
}

/** What a template may read besides the messages: the request's tools (OpenAI function definitions). */
export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  tools?: readonly object[] | null;
}

/** Base models have no chat format: the conversation's contents, one per line, are the text to continue. */
export const FALLBACK_CHAT_TEMPLATE =
  "{% for message in messages %}{% if not loop.first %}{{ '\\n' }}{% endif %}{{ message['content'] }}{% endfor %}";

export interface ChatTemplateContext {
  bosToken: string | null;
  eosToken: string | null;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string, private readonly context: ChatTemplateContext) {
    this.template = new Template(source);
  }

  render(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
    return this.template.render({
      messages,
      ...(opts.tools ? { tools: opts.tools } : {}),
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: this.context.bosToken ?? '',
      eos_token: this.context.eosToken ?? '',
    });
  }
}

/** tokenizer_config.json's chat_template: a string, or a list of named templates (the 'default' one wins). */
export function chatTemplateSource(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: string; template?: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}
