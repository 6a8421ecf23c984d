// A model vocabulary as an implicit token trie: token texts sorted by code units with the longest common prefix
// to the previous text, so a mask is one pass that shares each prefix's matcher steps and prunes a dead prefix's
// whole subtree. Invariant: a token is allowed iff every prefix of its text is a viable state; EOS iff accepting.

import type { MatchState } from './match-state.js';

export interface Vocabulary {
  /** tokenTexts[id]: the text id contributes after other text; null (or '') = never allowed by a constraint. */
  readonly tokenTexts: readonly (string | null)[];
  readonly eosTokenIds: readonly number[];
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
  private readonly texts: string[];
  private readonly ids: Int32Array;
  private readonly commonPrefix: Int32Array;

  constructor(private readonly vocab: Vocabulary) {
    const numIds = Math.max(vocab.tokenTexts.length, ...vocab.eosTokenIds.map((id) => id + 1));
    this.numMaskWords = Math.ceil(numIds / 32);
    this.eosTokenIds = new Set(vocab.eosTokenIds);
    const usable = [...vocab.tokenTexts.keys()].filter((id) => this.text(id) !== null);
    const entries = usable.map((id) => [vocab.tokenTexts[id]!, id] as const);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.texts = entries.map(([text]) => text);
    this.ids = Int32Array.from(entries, ([, id]) => id);
    this.commonPrefix = Int32Array.from(this.texts, (t, i) => (i === 0 ? 0 : commonPrefixLength(this.texts[i - 1]!, t)));
  }

  get numUsableTokens(): number {
    return this.texts.length;
  }

  /** The text a constraint matches for this id, or null when the id is never allowed (EOS is handled apart). */
  text(id: number): string | null {
    const t = this.vocab.tokenTexts[id];
    return t === null || t === undefined || t === '' || this.eosTokenIds.has(id) ? null : t;
  }

  /** The allowed-token mask from `start`: a depth-first walk of the implicit trie. */
  computeMask(start: MatchState): Uint32Array {
    const mask = new Uint32Array(this.numMaskWords);
    const states: MatchState[] = [start];
    let numValid = 0;
    let isDead = false;
    for (let k = 0; k < this.texts.length; k++) {
      const shared = this.commonPrefix[k]!;
      if (isDead && shared > numValid) continue;
      const text = this.texts[k]!;
      let depth = Math.min(shared, numValid);
      isDead = false;
      for (; depth < text.length; depth++) {
        const next = states[depth]!.step(text.charCodeAt(depth));
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
