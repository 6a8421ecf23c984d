// The text each token id contributes when it follows other text (for structured-output constraints):
// decode([anchor, id]) minus decode([anchor]) with a plain anchor token, so SentencePiece '▁Once' gives ' Once'
// and byte-level 'Ġthe' gives ' the'. Invariant: special tokens, and any text with U+FFFD (partial UTF-8), are null.

export interface TokenTextSource {
  readonly vocabSize: number;
  decode(ids: number[]): string;
  /** Ids of special (added) tokens. */
  readonly specialIds: ReadonlySet<number>;
  /** A token whose text is plain and never merges with what follows (e.g. the token of 'a'). */
  readonly anchorId: number;
}

export function computeTokenTexts(src: TokenTextSource): (string | null)[] {
  const anchorText = src.decode([src.anchorId]);
  const texts: (string | null)[] = new Array(src.vocabSize).fill(null);
  for (let id = 0; id < src.vocabSize; id++) {
    if (src.specialIds.has(id)) continue;
    const both = src.decode([src.anchorId, id]);
    if (anchorText === '' || !both.startsWith(anchorText)) continue;
    const text = both.slice(anchorText.length);
    texts[id] = text === '' || text.includes('\uFFFD') ? null : text;
  }
  return texts;
}
