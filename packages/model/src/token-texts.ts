// The UTF-8 bytes each token id contributes when it follows other output (structured-output constraints), and the
// texts derived from them. Byte-level BPE pieces map back through GPT-2's byte alphabet, byte-fallback `<0xNN>` pieces
// are that byte, other tokens are the UTF-8 of decode([anchor, id]) minus decode([anchor]) (SentencePiece '▁Once' →
// ' Once'). Invariant: special tokens are null; a token's text is its bytes decoded when they are whole UTF-8, else null.

/** How a tokenizer's vocabulary pieces spell bytes beyond plain text. */
export type PieceEncoding = 'byte-level' | 'byte-fallback' | 'text';

export interface TokenTextSource {
  readonly vocabSize: number;
  decode(ids: number[]): string;
  /** Ids of special (added) tokens. */
  readonly specialIds: ReadonlySet<number>;
  /** A token whose text is plain and never merges with what follows (e.g. the token of 'a'). */
  readonly anchorId: number;
  /** The vocabulary piece of an id (undefined when none). */
  idToToken(id: number): string | undefined;
  readonly pieceEncoding: PieceEncoding;
}

/** The piece encoding a tokenizer.json declares: a ByteLevel decoder, or a BPE model with byte_fallback. */
export function pieceEncodingOf(tokenizerJson: { [key: string]: unknown }): PieceEncoding {
  const decoder = tokenizerJson['decoder'] as { type?: string; decoders?: { type?: string }[] } | null | undefined;
  const decoders = decoder?.type === 'Sequence' ? decoder.decoders ?? [] : decoder ? [decoder] : [];
  if (decoders.some((d) => d.type === 'ByteLevel')) return 'byte-level';
  const model = tokenizerJson['model'] as { byte_fallback?: boolean } | undefined;
  return model?.byte_fallback === true ? 'byte-fallback' : 'text';
}

/** GPT-2's bytes_to_unicode inverted: the printable char standing for each byte → that byte. */
function byteLevelAlphabet(): Map<string, number> {
  const isPrintable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const alphabet = new Map<string, number>();
  let numShifted = 0;
  for (let b = 0; b < 256; b++) alphabet.set(String.fromCodePoint(isPrintable(b) ? b : 256 + numShifted++), b);
  return alphabet;
}

const BYTE_FALLBACK_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** A piece's bytes by the vocabulary's own spelling, or null when the piece is plain text. */
function pieceBytes(piece: string, encoding: PieceEncoding, alphabet: Map<string, number>): Uint8Array | null {
  if (encoding === 'byte-fallback') {
    const hex = BYTE_FALLBACK_PIECE.exec(piece)?.[1];
    return hex === undefined ? null : Uint8Array.of(parseInt(hex, 16));
  }
  if (encoding !== 'byte-level') return null;
  const bytes = [...piece].map((ch) => alphabet.get(ch));
  return bytes.every((b) => b !== undefined) ? Uint8Array.from(bytes as number[]) : null;
}

export function computeTokenBytes(src: TokenTextSource): (Uint8Array | null)[] {
  const anchorText = src.decode([src.anchorId]);
  const alphabet = byteLevelAlphabet();
  const encoder = new TextEncoder();
  const bytes: (Uint8Array | null)[] = new Array(src.vocabSize).fill(null);
  for (let id = 0; id < src.vocabSize; id++) {
    if (src.specialIds.has(id)) continue;
    const piece = src.idToToken(id);
    const spelled = piece === undefined ? null : pieceBytes(piece, src.pieceEncoding, alphabet);
    if (spelled !== null) {
      bytes[id] = spelled.length === 0 ? null : spelled;
      continue;
    }
    const both = src.decode([src.anchorId, id]);
    if (anchorText === '' || !both.startsWith(anchorText)) continue;
    const text = both.slice(anchorText.length);
    bytes[id] = text === '' || text.includes('\uFFFD') ? null : encoder.encode(text);
  }
  return bytes;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A token's text: its bytes as whole UTF-8 characters, or null (special, or a partial character). */
export function tokenTextOf(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}
