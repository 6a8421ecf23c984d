// Finish rules: what a freshly sampled token means for its sequence.
// A structured-output constraint first accepts the token (a refused token is the runner's fault: the request
// fails). A stop token (EOS unless ignoreEos — a constrained request ends at EOS even with ignoreEos —, or any
// stopTokenIds id) ends with 'stop' and is counted but not streamed; a constraint that is complete after the
// token (isTerminated) ends with 'stop' after streaming it; reaching maxTokens or the model length ends with
// 'length' after streaming it. min_tokens needs no rule here: runners mask stop tokens until it is reached.
// Several new tokens (accepted speculative drafts, then the sampled one) are judged in order, as plain decoding
// would have met them one step at a time: the first that ends the request drops the rest.

import type { EngineError, FinishReason, TokenConstraint } from '@mini-dynamo/protocol';
import type { Sequence } from './sequence.js';

export interface TokenVerdict {
  /** Stream the token to the client. */
  emit: boolean;
  finishReason: FinishReason | null;
  /** Why the request fails (the constraint refused the token); null: it goes on or finishes. */
  error: EngineError | null;
}

/** Judge the token just appended to seq. maxSeqLen caps prompt + output tokens. */
export function judgeToken(seq: Sequence, tokenId: number, eosTokenIds: readonly number[], maxSeqLen: number): TokenVerdict {
  const sampling = seq.request.sampling;
  const constraint = seq.constraint;
  if (constraint !== null && !constraint.accept(tokenId)) return { emit: false, finishReason: null, error: refusedToken(constraint, tokenId) };
  const endsAtEos = !sampling.ignoreEos || constraint !== null;
  if ((endsAtEos && eosTokenIds.includes(tokenId)) || sampling.stopTokenIds.includes(tokenId)) {
    return { emit: false, finishReason: 'stop', error: null };
  }
  if (constraint?.isTerminated) return { emit: true, finishReason: 'stop', error: null };
  const full = seq.outputTokenIds.length >= sampling.maxTokens || seq.numTokens >= maxSeqLen;
  return { emit: true, finishReason: full ? 'length' : null, error: null };
}

export interface TokensVerdict {
  /** How many of the new tokens were appended (up to and including the first that ends the request). */
  numAppended: number;
  /** The appended tokens streamed: all but a final stop (or refused) token. */
  emittedTokenIds: number[];
  finishReason: FinishReason | null;
  error: EngineError | null;
}

/** Append newTokenIds to seq one by one, judging each; stops at the first that finishes or fails the request. */
export function appendAndJudge(seq: Sequence, newTokenIds: number[], eosTokenIds: readonly number[], maxSeqLen: number): TokensVerdict {
  let verdict: TokenVerdict | null = null;
  let numAppended = 0;
  while (numAppended < newTokenIds.length) {
    const tokenId = newTokenIds[numAppended++]!;
    seq.appendToken(tokenId);
    verdict = judgeToken(seq, tokenId, eosTokenIds, maxSeqLen);
    if (verdict.finishReason !== null || verdict.error !== null) break;
  }
  // Every token before the last went on, so it was streamed (only stop and refused tokens are not).
  const numEmitted = verdict === null || verdict.emit ? numAppended : numAppended - 1;
  return {
    numAppended,
    emittedTokenIds: numEmitted === newTokenIds.length ? newTokenIds : newTokenIds.slice(0, numEmitted),
    finishReason: verdict?.finishReason ?? null,
    error: verdict?.error ?? null,
  };
}

/**
 * A refused token: either no token of the vocabulary could continue the output (the grammar needs a character no
 * token spells, e.g. a non-ASCII one over a vocabulary without byte tokens: the request's fault) or the runner
 * ignored the mask (a bug).
 */
function refusedToken(constraint: TokenConstraint, tokenId: number): EngineError {
  if (constraint.allowedTokenMask().every((word) => word === 0)) {
    return { code: 'invalid_request', message: "no token of this model's vocabulary can continue the structured output here (the schema or pattern needs a character no token spells)" };
  }
  return { code: 'internal', message: `the runner sampled token ${tokenId}, which the structured-output constraint does not allow` };
}
