// vLLM's `prompt_logprobs` wire shape: one entry per prompt token, null for the first, else a dict keyed by token id
// holding the prompt token itself (its rank) and the top-N alternatives (ranks 1..N), each {logprob, rank, decoded_token}.
// Invariants: logprobs are finite (the runners floor -inf at protocol's LOGPROB_FLOOR, -9999.0: vLLM's clamp_prompt_logprobs); decoded_token is decode([id]).

import type { TokenLogprobs } from '@mini-dynamo/protocol';
import type { DecodeIds } from './choice-logprobs.js';

export interface VllmLogprob {
  logprob: number;
  rank: number | null;
  decoded_token: string;
}

export type VllmPromptLogprobs = (Record<string, VllmLogprob> | null)[];

/** `logprobs` is aligned with the prompt ([0] null), as the engine reports it; `numTop` cuts the alternatives. */
export function vllmPromptLogprobs(
  decode: DecodeIds, promptTokenIds: readonly number[], logprobs: readonly (TokenLogprobs | null)[], numTop: number,
): VllmPromptLogprobs {
  return promptTokenIds.map((id, i) => {
    const l = logprobs[i] ?? null;
    return l === null ? null : positionDict(decode, id, l, numTop);
  });
}

/** As vLLM builds it: the prompt token first, then the alternatives (one already there takes its top-N rank). */
function positionDict(decode: DecodeIds, tokenId: number, l: TokenLogprobs, numTop: number): Record<string, VllmLogprob> {
  const dict: Record<string, VllmLogprob> = {};
  const top = Math.min(numTop, l.topTokenIds.length);
  const topIndex = l.topTokenIds.slice(0, top).indexOf(tokenId);
  const rank = l.rank ?? (topIndex >= 0 ? topIndex + 1 : null);
  dict[String(tokenId)] = { logprob: l.logprob, rank, decoded_token: decode([tokenId]) };
  for (let k = 0; k < top; k++) {
    const alt = l.topTokenIds[k]!;
    dict[String(alt)] = { logprob: l.topLogprobs[k]!, rank: k + 1, decoded_token: decode([alt]) };
  }
  return dict;
}
