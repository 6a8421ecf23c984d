// A model vocabulary as an implicit token trie: token UTF-8 bytes (kept as binary strings, one char per byte)
// sorted with the longest common prefix to the previous token, so a mask is one pass that shares each prefix's
// matcher steps and prunes a dead prefix's whole subtree. Invariant: a token is allowed iff every prefix of its
// bytes is a viable state (partial characters included); EOS iff accepting.

import type { ByteState } from './match-state.js';

/** tokenBytes[id] (or tokenTexts[id], UTF-8 encoded): what id contributes after other output; null or empty =
 * never allowed by a constraint. Bytes let partial-UTF-8 tokens (byte fallback, byte-level BPE) take part. */
export type Vocabulary = { readonly eosTokenIds: readonly number[] } & (
  | { readonly tokenBytes: readonly (Uint8Array | null)[] }
  | { readonly tokenTexts: readonly (string | null)[] }
);

/** Each id's bytes as a binary string (char code = byte), or null. */
function binaryPieces(vocab: Vocabulary): (string | null)[] {
  const toBinary = (bytes: Uint8Array): string => {
    let piece = '';
    for (const byte of bytes) piece += String.fromCharCode(byte);
    return piece;
  };
  if ('tokenBytes' in vocab) return vocab.tokenBytes.map((b) => (b === null || b === undefined ? null : toBinary(b)));
  const encoder = new TextEncoder();
  return vocab.tokenTexts.map((t) => (t === null || t === undefined ? null : toBinary(encoder.encode(t))));
}

/** The state after a token's bytes (a binary string), or null when they leave the language's prefixes. */
export function stepPiece(start: ByteState, piece: string): ByteState | null {
  let state: ByteState | null = start;
  for (let i = 0; i < piece.length && state !== null; i++) state = state.stepByte(piece.charCodeAt(i));
  return state;
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export class TokenIndex {
  readonly numMaskWords: number;
  readonly eosTokenIds: ReadonlySet<number>;
  private readonly sortedPieces: string[];
  private readonly ids: Int32Array;
  private readonly commonPrefix: Int32Array;
  private readonly pieces: (string | null)[];

  constructor(vocab: Vocabulary) {
    this.pieces = binaryPieces(vocab);
    const numIds = Math.max(this.pieces.length, ...vocab.eosTokenIds.map((id) => id + 1));
    this.numMaskWords = Math.ceil(numIds / 32);
    this.eosTokenIds = new Set(vocab.eosTokenIds);
    const usable = [...this.pieces.keys()].filter((id) => this.piece(id) !== null);
    const entries = usable.map((id) => [this.pieces[id]!, id] as const);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.sortedPieces = entries.map(([piece]) => piece);
    this.ids = Int32Array.from(entries, ([, id]) => id);
    this.commonPrefix = Int32Array.from(this.sortedPieces, (t, i) => (i === 0 ? 0 : commonPrefixLength(this.sortedPieces[i - 1]!, t)));
  }

  get numUsableTokens(): number {
    return this.sortedPieces.length;
  }

  /** The bytes (binary string) a constraint matches for this id, or null when never allowed (EOS is apart). */
  piece(id: number): string | null {
    const p = this.pieces[id];
    return p === null || p === undefined || p === '' || this.eosTokenIds.has(id) ? null : p;
  }

  /** The allowed-token mask from `start`: a depth-first walk of the implicit trie. */
  computeMask(start: ByteState): Uint32Array {
    const mask = new Uint32Array(this.numMaskWords);
    const states: ByteState[] = [start];
    let numValid = 0;
    let isDead = false;
    for (let k = 0; k < this.sortedPieces.length; k++) {
      const shared = this.commonPrefix[k]!;
      if (isDead && shared > numValid) continue;
      const piece = this.sortedPieces[k]!;
      let depth = Math.min(shared, numValid);
      isDead = false;
      for (; depth < piece.length; depth++) {
        const next = states[depth]!.stepByte(piece.charCodeAt(depth));
        if (next === null) {
          isDead = true;
          break;
        }
        states[depth + 1] = next;
      }
      numValid = depth;
      if (!isDead) setBit(mask, this.ids[k]!);
    }
    if (start.isAccepting) for (const id of this.eosTokenIds) setBit(mask, id);
    return mask;
  }
}

function setBit(mask: Uint32Array, id: number): void {
  mask[id >>> 5]! |= 1 << (id & 31);
}
