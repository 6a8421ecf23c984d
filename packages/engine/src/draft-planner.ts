// DraftPlanner: the scheduler's side of n-gram speculative decoding — which running decodes get drafts and how
// many (k by the step's number of running decodes: numSpeculativeTokensFor). Invariant: a row's drafts leave room for the bonus token (maxTokens, the sequence length cap) and for the
// step's other decodes (one budget token each); rows whose pick must be exactly one token's (structured output,
// prompt logprobs still owed) get none. Rows with logprobs get drafts (the runner scores each emitted token).

import { numSpeculativeTokensFor, type SpeculativeConfig } from '@mini-dynamo/protocol';
import { NgramProposer } from './ngram-proposer.js';
import type { Sequence } from './sequence.js';

export class DraftPlanner {
  private readonly proposer: NgramProposer;

  constructor(private readonly config: SpeculativeConfig, private readonly maxSeqLen: number) {
    this.proposer = new NgramProposer(config);
  }

  /** Drafts per decode in a step running numDecodes decodes (vLLM's dynamic k; 0 = none this step). */
  numDraftsFor(numDecodes: number): number {
    return numSpeculativeTokensFor(this.config, numDecodes);
  }

  /**
   * At most k drafts for seq's next decode, which may take at most maxNumTokens tokens of the step (≥ 1: the decode
   * itself); null: none.
   */
  drafts(seq: Sequence, maxNumTokens: number, k: number): number[] | null {
    if (k <= 0 || !isSpeculationEligible(seq)) return null;
    const cap = Math.min(
      k,
      maxNumTokens - 1,
      seq.request.sampling.maxTokens - seq.outputTokenIds.length - 1,
      this.maxSeqLen - seq.numTokens - 1,
    );
    const drafts = cap > 0 ? this.proposer.propose(seq.tokenIds, cap) : [];
    return drafts.length > 0 ? drafts : null;
  }
}

/** A decode whose tokens may be verified several at a time: no constraint, no prompt logprobs owed. */
function isSpeculationEligible(seq: Sequence): boolean {
  const sampling = seq.request.sampling;
  return (sampling.structuredOutput ?? null) === null && seq.constraint === null && !seq.needsPromptLogprobs;
}
