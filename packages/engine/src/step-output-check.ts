// What a runner's StepOutput must hold for its batch (the engine fails the batch's requests otherwise): a token for
// every sampling row, logprobs / prompt logprobs where asked, and an accepted-draft count in [0, k] for every row
// with k drafts (and, with logprobs asked, one draft logprobs entry per accepted draft). Returns the problem in one line, or null.

import type { StepBatch, StepOutput } from '@mini-dynamo/protocol';

export function stepOutputProblem(batch: StepBatch, output: StepOutput): string | null {
  const { sampledTokenIds, logprobs } = output;
  const rows = batch.sequences;
  const missing = rows.some((s, k) => s.sampling !== null && typeof sampledTokenIds[k] !== 'number');
  if (sampledTokenIds.length !== rows.length || missing) return 'runner returned no token for a sampled sequence';
  if (rows.some((s, k) => (s.sampling?.numLogprobs ?? null) !== null && !logprobs?.[k])) {
    return 'runner returned no logprobs for a sequence that asked for them';
  }
  const noPromptLogprobs = rows.some((s, k) => s.promptLogprobs !== undefined && output.promptLogprobs?.[k]?.length !== s.promptLogprobs.targetTokenIds.length);
  if (noPromptLogprobs) return 'runner returned no prompt logprobs for a chunk that asked for them';
  const badDrafts = rows.some((s, k) => {
    if (s.draftTokenIds === undefined) return false;
    const n = output.numAcceptedDrafts?.[k];
    return typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > s.draftTokenIds.length;
  });
  if (badDrafts) return 'runner returned no valid numAcceptedDrafts for a sequence with draft tokens';
  const badDraftLogprobs = rows.some((s, k) => s.draftTokenIds !== undefined && (s.sampling?.numLogprobs ?? null) !== null
    && output.draftLogprobs?.[k]?.length !== output.numAcceptedDrafts![k]);
  if (badDraftLogprobs) return 'runner returned no logprobs for each accepted draft of a sequence that asked for them';
  return null;
}
