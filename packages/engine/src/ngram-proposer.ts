// NgramProposer: speculative-decoding drafts by prompt lookup (vLLM's n-gram proposer). Drafts are the tokens that
// followed the most recent earlier occurrence of the sequence's last n tokens, n tried from promptLookupMax down to
// promptLookupMin; past the sequence's end the copy continues periodically (a loop of period d yields k drafts).
// Invariant: one O(length) KMP pass per call over the tokens read backwards, no allocation but the drafts.

import type { SpeculativeConfig } from '@mini-dynamo/protocol';

export class NgramProposer {
  /** KMP failure function of the reversed suffix (pattern), reused across calls. */
  private readonly failure: Int32Array;

  constructor(private readonly config: SpeculativeConfig) {
    this.failure = new Int32Array(config.promptLookupMax);
  }

  /**
   * min(maxDrafts, numSpeculativeTokens) tokens that followed the latest earlier occurrence of the longest suffix
   * n-gram (promptLookupMin ≤ n ≤ promptLookupMax) of tokenIds, [] when nothing matches. The suffix itself is not an
   * occurrence. When the occurrence ends d tokens before the suffix and fewer than k tokens follow it, the copy goes on
   * periodically: draft i is the token d positions before it (drafts included), as if the loop of period d continued.
   */
  propose(tokenIds: readonly number[], maxDrafts = this.config.numSpeculativeTokens): number[] {
    const numTokens = tokenIds.length;
    // The pattern is the suffix reversed: pattern[j] = tokenIds[numTokens - 1 - j]; an occurrence starts ≥ 1 back.
    const patternLength = Math.min(this.config.promptLookupMax, numTokens - 1);
    const k = Math.min(maxDrafts, this.config.numSpeculativeTokens);
    if (k <= 0 || patternLength < this.config.promptLookupMin) return [];
    const at = (j: number) => tokenIds[numTokens - 1 - j]!;
    this.buildFailure(at, patternLength);
    // Scan the reversed text from index 1 (most recent first); the first longest match wins.
    let matched = 0;
    let bestLength = 0;
    let bestEnd = 0;
    for (let i = 1; i < numTokens; i++) {
      const token = at(i);
      while (matched > 0 && at(matched) !== token) matched = this.failure[matched - 1]!;
      if (at(matched) === token) matched++;
      if (matched > bestLength) {
        bestLength = matched;
        bestEnd = i;
        if (matched === patternLength) break; // nothing longer exists and later matches are older
      }
    }
    if (bestLength < this.config.promptLookupMin) return [];
    // Reversed [bestEnd - bestLength + 1, bestEnd] is the occurrence; it ends at forward index numTokens - 1 - start.
    const period = bestEnd - bestLength + 1;
    const next = numTokens - period;
    const drafts = new Array<number>(k);
    for (let i = 0; i < k; i++) drafts[i] = i < period ? tokenIds[next + i]! : drafts[i - period]!;
    return drafts;
  }

  /** failure[j] = length of the longest proper border of pattern[0..j]. */
  private buildFailure(at: (j: number) => number, patternLength: number): void {
    const failure = this.failure;
    failure[0] = 0;
    let border = 0;
    for (let j = 1; j < patternLength; j++) {
      while (border > 0 && at(border) !== at(j)) border = failure[border - 1]!;
      if (at(border) === at(j)) border++;
      failure[j] = border;
    }
  }
}
