// Finish rules: what a freshly sampled token means for its sequence.
// A stop token (EOS unless ignoreEos, or any stopTokenIds id) ends with 'stop' and is counted but not
// streamed; reaching maxTokens or the model length ends with 'length' after streaming the token.

import type { FinishReason } from '@mini-dynamo/protocol';
import type { Sequence } from './sequence.js';

export interface TokenVerdict {
  /** Stream the token to the client. */
  emit: boolean;
  finishReason: FinishReason | null;
}

/** Judge the token just appended to seq. maxSeqLen caps prompt + output tokens. */
export function judgeToken(seq: Sequence, tokenId: number, eosTokenIds: readonly number[], maxSeqLen: number): TokenVerdict {
  const sampling = seq.request.sampling;
  if ((!sampling.ignoreEos && eosTokenIds.includes(tokenId)) || sampling.stopTokenIds.includes(tokenId)) {
    return { emit: false, finishReason: 'stop' };
  }
  const full = seq.outputTokenIds.length >= sampling.maxTokens || seq.numTokens >= maxSeqLen;
  return { emit: true, finishReason: full ? 'length' : null };
}
