// createTokenConstraintFactory: per-worker factory of TokenConstraints over one vocabulary, with bounded caches
// of compiled grammars (by spec) and of masks (by canonical matcher-state key). Invariant: a cached mask equals a
// cold computation (state keys name process-unique grammar nodes); callers get a copy they may modify.

import type { StructuredOutputSpec, TokenConstraint, TokenConstraintFactory } from '@mini-dynamo/protocol';
import { err, ok } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from './compile.js';
import { LruCache } from './lru-cache.js';
import { MatchState, type ByteState } from './match-state.js';
import { stepPiece, TokenIndex, type Vocabulary } from './token-index.js';

const NUM_CACHED_MASKS = 512;
const NUM_CACHED_GRAMMARS = 32;

class GrammarTokenConstraint implements TokenConstraint {
  private hasEnded = false;

  constructor(
    private state: ByteState,
    private readonly index: TokenIndex,
    private readonly masks: LruCache<string, Uint32Array>,
  ) {}

  get isTerminated(): boolean {
    return this.hasEnded || (this.state.isAccepting && this.state.isFinal);
  }

  allowedTokenMask(): Uint32Array {
    if (this.hasEnded) return new Uint32Array(this.index.numMaskWords);
    const key = this.state.key;
    let mask = this.masks.get(key);
    if (mask === undefined) {
      mask = this.index.computeMask(this.state);
      this.masks.set(key, mask);
    }
    return mask.slice();
  }

  accept(tokenId: number): boolean {
    if (this.hasEnded) return false;
    if (this.index.eosTokenIds.has(tokenId)) {
      this.hasEnded = this.state.isAccepting;
      return this.hasEnded;
    }
    const piece = this.index.piece(tokenId);
    const next = piece === null ? null : stepPiece(this.state, piece);
    if (next === null) return false;
    this.state = next;
    return true;
  }
}

export function createTokenConstraintFactory(vocab: Vocabulary): TokenConstraintFactory {
  const index = new TokenIndex(vocab);
  const masks = new LruCache<string, Uint32Array>(NUM_CACHED_MASKS);
  const initialStates = new LruCache<string, MatchState>(NUM_CACHED_GRAMMARS);
  return {
    create(spec: StructuredOutputSpec) {
      const source = JSON.stringify(spec);
      let start = initialStates.get(source);
      if (start === undefined) {
        const grammar = compileStructuredOutput(spec);
        if (!grammar.ok) return err(grammar.error);
        start = MatchState.initial(grammar.value.root);
        initialStates.set(source, start);
      }
      return ok(new GrammarTokenConstraint(start, index, masks));
    },
  };
}
