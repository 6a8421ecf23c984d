// Completions `echo`: the prompt's text and, with `logprobs`, its tokens reported like generated ones.
// Invariants: the prompt tokens' strings are what the incremental detokenizer emits for them one at a time
// (from no context), so they concatenate to the echoed text; offsets are code points from its start; the
// first token's logprob and alternatives are null (nothing precedes it).

import type { TokenLogprobs } from '@mini-dynamo/protocol';
import type { ModelTokenizer } from '@mini-dynamo/model';
import { codePointLength, topTokens, type ReportedToken } from './choice-logprobs.js';

export interface EchoedPrompt {
  text: string;
  /** Per prompt token; null unless prompt logprobs were given. */
  tokens: ReportedToken[] | null;
}

/** Each prompt token's own text, as the detokenizer streams it (a held partial character goes to the token completing it). */
function promptPieces(tokenizer: ModelTokenizer, promptTokenIds: readonly number[]): string[] {
  const detokenizer = tokenizer.createDetokenizer([]);
  const pieces = promptTokenIds.map((id) => detokenizer.push([id]));
  pieces[pieces.length - 1] += detokenizer.flush();
  return pieces;
}

/** The echoed prompt; `logprobs` is aligned with the prompt ([0] null), as the engine reports it. */
export function echoPrompt(tokenizer: ModelTokenizer, promptTokenIds: readonly number[], logprobs: readonly (TokenLogprobs | null)[] | null): EchoedPrompt {
  const pieces = promptPieces(tokenizer, promptTokenIds);
  const text = pieces.join('');
  if (logprobs === null) return { text, tokens: null };
  const decode = (ids: number[]) => tokenizer.decode(ids);
  let textOffset = 0;
  const tokens = pieces.map((piece, i): ReportedToken => {
    const l = logprobs[i] ?? null;
    const prev = i === 0 ? null : promptTokenIds[i - 1]!;
    const top = l === null ? null : topTokens(decode, prev, promptTokenIds[i]!, piece, l);
    const reported = { token: piece, logprob: l?.logprob ?? null, top, textOffset };
    textOffset += codePointLength(piece);
    return reported;
  });
  return { text, tokens };
}
