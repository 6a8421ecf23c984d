// Streams text out of token ids as they are generated (vLLM's prefix-offset scheme).
// Invariant: push() returns only text that is final: a trailing U+FFFD (a multibyte character whose bytes
// have not all arrived through byte-fallback tokens) is held back until it completes or flush() is called.

export type DecodeFn = (ids: number[]) => string;

/** Prompt tokens kept as left context so the first output token decodes with its leading space. */
const PROMPT_CONTEXT_TOKENS = 5;

export class IncrementalDetokenizer {
  /** The decode window: ids[0, readOffset) are context whose text was already emitted, the rest pending. */
  private readonly ids: number[];
  private readOffset: number;

  constructor(private readonly decode: DecodeFn, promptTokenIds: readonly number[] = []) {
    this.ids = promptTokenIds.slice(-PROMPT_CONTEXT_TOKENS);
    this.readOffset = this.ids.length;
  }

  /** Append generated ids; returns the newly final text ('' when none). */
  push(tokenIds: readonly number[]): string {
    this.ids.push(...tokenIds);
    const { prefixText, fullText } = this.window();
    if (fullText.length <= prefixText.length || fullText.endsWith('\uFFFD')) return '';
    return this.advance(fullText.slice(prefixText.length));
  }

  /** Emit whatever is still held back (an incomplete character decodes to U+FFFD at the very end). */
  flush(): string {
    const { prefixText, fullText } = this.window();
    return fullText.length > prefixText.length ? this.advance(fullText.slice(prefixText.length)) : '';
  }

  private window(): { prefixText: string; fullText: string } {
    return {
      prefixText: this.decode(this.ids.slice(0, this.readOffset)),
      fullText: this.decode(this.ids),
    };
  }

  /** Everything pushed is emitted: the just-emitted ids become the next window's context. */
  private advance(text: string): string {
    this.ids.splice(0, this.readOffset);
    this.readOffset = this.ids.length;
    return text;
  }
}
