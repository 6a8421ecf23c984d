// Per-choice logprobs bookkeeping: pairs each generated token's TokenLogprobs with its text and releases
// a token only once its text has been emitted to the client (the stop matcher may hold text back), so
// streamed chunks carry exactly the tokens of their text. Invariants: released tokens' strings concatenate
// to the emitted text (a partial character flushed at the end belongs to the newest token, held while its
// text is ''); a token starting at or after a stop string's cut is never released.
//
// Token strings: the sampled token's is what the incremental detokenizer emits for it in context (so a
// leading space is kept; a byte-fallback piece that does not complete a character is '' and the token
// completing it carries the whole character). An alternative's is decode([prev, alt]) minus decode([prev]),
// prev being the token before it (the sampled one's own string when the alternative is the sampled token).

import type { TokenLogprobs } from '@mini-dynamo/protocol';

export interface TopToken {
  token: string;
  logprob: number;
}

/**
 * One reported token: its string, logprob, top alternatives and start offset (code points) in the choice's
 * text. logprob and top are null only for an echoed prompt's first token (nothing precedes it).
 */
export interface ReportedToken {
  token: string;
  logprob: number | null;
  top: TopToken[] | null;
  textOffset: number;
}

interface PendingToken {
  reported: ReportedToken;
  /** UTF-16 offsets of the token's text in the detokenized stream. */
  start: number;
  end: number;
}

export type DecodeIds = (ids: number[]) => string;

export class ChoiceLogprobs {
  private readonly pending: PendingToken[] = [];
  private streamLength = 0;
  private numCodePoints = 0;
  private prevTokenId: number | null;

  /** textOffset: code points before the first generated token in the choice's text (the echoed prompt's). */
  constructor(private readonly decode: DecodeIds, promptTokenIds: readonly number[], textOffset = 0) {
    this.prevTokenId = promptTokenIds.at(-1) ?? null;
    this.numCodePoints = textOffset;
  }

  /** A generated token, its logprobs and the text the detokenizer emitted for it ('' while held). */
  add(tokenId: number, logprobs: TokenLogprobs, text: string): void {
    const top = topTokens(this.decode, this.prevTokenId, tokenId, text, logprobs);
    const reported = { token: text, logprob: logprobs.logprob, top, textOffset: this.numCodePoints };
    this.pending.push({ reported, start: this.streamLength, end: this.streamLength + text.length });
    this.streamLength += text.length;
    this.numCodePoints += codePointLength(text);
    this.prevTokenId = tokenId;
  }

  /**
   * Tokens whose text lies within the first `numEmitted` UTF-16 units of the stream. Until `final`, the newest
   * token is held while its text is '' (the detokenizer may hold a partial character that flush() completes).
   */
  release(numEmitted: number, final = false): ReportedToken[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.end <= numEmitted) n++;
    if (!final && n > 0 && n === this.pending.length && this.pending[n - 1]!.reported.token === '') n--;
    return this.pending.splice(0, n).map((p) => p.reported);
  }

  /** The detokenizer's final flush (a partial character's U+FFFD): the text of the newest token, still held. */
  addFlushed(text: string): void {
    const last = this.pending.at(-1);
    if (text === '' || last === undefined) return;
    last.reported.token += text;
    last.end += text.length;
    this.streamLength += text.length;
    this.numCodePoints += codePointLength(text);
  }

  /** A stop string cut the stream at `cut`: tokens starting before it are released, the rest dropped. */
  cut(cut: number): ReportedToken[] {
    const kept = this.pending.filter((p) => p.start < cut || p.end <= cut).map((p) => p.reported);
    this.pending.length = 0;
    return kept;
  }
}

/** A token's alternatives with their strings: the sampled one's is `text`, the others' are what they add after `prevTokenId`. */
export function topTokens(decode: DecodeIds, prevTokenId: number | null, tokenId: number, text: string, logprobs: TokenLogprobs): TopToken[] {
  const needsPrev = prevTokenId !== null && logprobs.topTokenIds.some((id) => id !== tokenId);
  const prevText = needsPrev ? decode([prevTokenId]) : null;
  return logprobs.topTokenIds.map((id, k) => ({
    token: id === tokenId ? text : tokenTextAfter(decode, prevTokenId, prevText, id),
    logprob: logprobs.topLogprobs[k]!,
  }));
}

/** The text `tokenId` adds after `prevTokenId` (whose text is prevText); alone when there is no clean split. */
export function tokenTextAfter(decode: DecodeIds, prevTokenId: number | null, prevText: string | null, tokenId: number): string {
  // No previous token, or it is a partial character (its bytes may fuse with ours): the token decoded alone.
  if (prevTokenId === null || prevText === null || prevText.endsWith('\uFFFD')) return decode([tokenId]);
  return decode([prevTokenId, tokenId]).slice(prevText.length);
}

export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++; // count every unit but a high surrogate (its pair counts once)
  }
  return n;
}
