// Text prompts for servers that take no token ids (or the chat API): each workload token id maps to a
// word that is exactly one token of the target tokenizer (equal ids → equal words, so shared prefixes
// stay shared), words joined by spaces. Every rendered prompt's token count is checked with that tokenizer.

import { loadTokenizer, type ModelTokenizer } from '@mini-dynamo/model';
import type { Session } from './workload.js';

export type TextTokenizer = Pick<ModelTokenizer, 'vocabSize' | 'encode' | 'decode'>;

const plain = { addSpecialTokens: false };

/** Alphabetic words that encode to one token alone and stay one token each when repeated after a space. */
export function oneTokenWords(tok: TextTokenizer): string[] {
  const words = new Set<string>();
  for (let id = 0; id < tok.vocabSize; id++) {
    const w = tok.decode([id]).trim();
    if (!/^[a-z]+$/i.test(w) || words.has(w)) continue;
    if (tok.encode(w, plain).length === 1 && tok.encode(`${w} ${w}`, plain).length === 2) words.add(w);
  }
  return [...words];
}

export class TextPromptRenderer {
  private readonly words: string[];

  constructor(private readonly tok: TextTokenizer) {
    this.words = oneTokenWords(tok);
    if (this.words.length < 16) throw new Error(`tokenizer has only ${this.words.length} one-token words; use token-id prompts`);
  }

  /** The text for a token-id prompt and its token count under this tokenizer (no special tokens). */
  render(ids: readonly number[]): { text: string; numTokens: number } {
    const text = ids.map((id) => this.words[id % this.words.length]!).join(' ');
    return { text, numTokens: this.tok.encode(text, plain).length };
  }

  renderSessions(sessions: readonly Session[]): Session[] {
    return sessions.map((s) => ({
      ...s,
      turns: s.turns.map((t) => {
        const { text, numTokens } = this.render(t.promptTokenIds);
        if (numTokens !== t.promptTokenIds.length) throw new Error(`text prompt has ${numTokens} tokens, wanted ${t.promptTokenIds.length}`);
        return { ...t, promptText: text };
      }),
    }));
  }
}

export async function loadTextRenderer(modelDir: string): Promise<TextPromptRenderer> {
  const tok = await loadTokenizer(modelDir);
  if (!tok.ok) throw new Error(`cannot load the tokenizer in ${modelDir}: ${tok.error.message}`);
  return new TextPromptRenderer(tok.value);
}
