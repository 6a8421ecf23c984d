// Speculative decoding's verification of one sequence's drafts (protocol's StepSequence.draftTokenIds): a pick at each
// of the k + 1 positions, made as a plain decode step would make it; drafts are kept while each pick equals its draft.
// Invariant: a pick past the first rejection is never asked for (so no JS or unseeded draw is spent on it).

import type { StepSequence } from '@mini-dynamo/protocol';

export interface DraftVerdict {
  /** The first pick that differs from its draft, or the pick after the last draft. */
  tokenId: number;
  /** Leading drafts kept (0…k). */
  numAcceptedDrafts: number;
}

/** Walks positions 0…k: pickAt(j) is the token a plain step would pick after the first j drafts. */
export function verifyDrafts(drafts: readonly number[], pickAt: (j: number) => number): DraftVerdict {
  for (let j = 0; ; j++) {
    const tokenId = pickAt(j);
    if (j === drafts.length || tokenId !== drafts[j]) return { tokenId, numAcceptedDrafts: j };
  }
}

/** Logits rows a sequence's pick reads (its last tokens, in order): 1 + k with k drafts, none without sampling. */
export function numPickRows(s: StepSequence): number {
  return s.sampling === null ? 0 : 1 + (s.draftTokenIds?.length ?? 0);
}

/**
 * The output so far at draft position j, outputTokenIds ‖ draftTokenIds[0..j): what penalties and min-tokens read;
 * its length is the seeded draw's index.
 */
export function outputAt(s: StepSequence, j: number): readonly number[] {
  return j === 0 ? s.outputTokenIds : [...s.outputTokenIds, ...s.draftTokenIds!.slice(0, j)];
}

/** Why a sequence's drafts break the contract (protocol's StepSequence.draftTokenIds), or null when they keep it. */
export function draftRowViolation(s: StepSequence): string | null {
  const drafts = s.draftTokenIds;
  if (drafts === undefined) return null;
  if (s.sampling === null) return 'drafts need sampling';
  if (s.tokenIds.length !== drafts.length + 1 || drafts.some((id, j) => s.tokenIds[j + 1] !== id)) {
    return 'tokenIds must be [last token, ...draftTokenIds]';
  }
  if (s.allowedTokenMask !== undefined) return 'drafts cannot be verified under an allowed-token mask';
  if (s.promptLogprobs !== undefined) return 'drafts cannot be verified with prompt logprobs';
  return null;
}

/** Throws a RangeError naming the first sequence whose drafts break the contract (an engine bug, not a request error). */
export function checkDraftRows(sequences: readonly StepSequence[]): void {
  for (const s of sequences) {
    const why = draftRowViolation(s);
    if (why !== null) throw new RangeError(`sequence ${s.seqId}: ${why}`);
  }
}
