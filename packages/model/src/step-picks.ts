// One step's StepOutput from one session.run's outputs: each sequence's token from greedy_ids, an in-graph pick output
// or JS sampling over the fetched logits rows, its drafts verified position by position (draft-verification.ts), and
// the logprobs asked for. Invariant: the pick at each position is the one a plain decode step would make there (same
// output or JS path, same logits processing, same draw index), so speculation never changes a greedy or seeded output.

import type * as ort from 'onnxruntime-node';
import type { StepBatch, StepOutput, StepSequence, TokenLogprobs } from '@mini-dynamo/protocol';
import type { GraphDraws, GraphPick } from './graph-picks.js';
import { outputAt, verifyDrafts } from './draft-verification.js';
import { sampleToken } from './sampler.js';
import type { LogitsRows } from './step-packing.js';
import { tokenLogprobs } from './token-logprobs.js';

/** What one run gave the picks. */
export interface StepRun {
  /** The fetched outputs by name (greedy_ids or logits, and the pick outputs some sequence reads). */
  out: Record<string, ort.Tensor['data']>;
  /** The fetched logits, one row per logits_index entry; null when greedy_ids was fetched instead. */
  logitsRows: Float32Array[] | null;
  picks: (GraphPick | null)[];
  draws: GraphDraws | null;
}

const pickOutput = { draw: 'sampled_ids', 'top-k-draw': 'top_k_ids', 'top-p-draw': 'top_p_ids', 'masked-argmax': 'sampled_greedy_ids' } as const;

/** Sequence i's token at its j-th pick row from its in-graph pick output; null when greedy_ids or JS picks it. */
function inGraphPick(run: StepRun, i: number, j: number): number | null {
  const r = run.draws?.rowOf[i] ?? null, pick = run.picks[i] ?? null;
  if (r === null || pick === null || pick === 'argmax') return null;
  return (run.out[pickOutput[pick]] as Int32Array)[r + j]!;
}

/**
 * Sequence i's pick at its j-th pick row (logits row pickRow + j): in-graph output, else greedy_ids, else JS sampling
 * over outputAt(s, j). Module-level so a plain row (the common case) allocates nothing to pick.
 */
function pickAt(run: StepRun, s: StepSequence, i: number, pickRow: number, j: number, random: () => number, eosTokenIds: readonly number[]): number {
  const inGraph = inGraphPick(run, i, j);
  if (inGraph !== null) return inGraph;
  if (run.logitsRows === null) return (run.out.greedy_ids as Int32Array)[pickRow + j]!;
  const context = { eosTokenIds, allowedTokenMask: s.allowedTokenMask, promptTokenIds: s.promptTokenIds };
  return sampleToken(run.logitsRows[pickRow + j]!, s.sampling!, outputAt(s, j), random, context);
}

/** The StepOutput of `batch` (its logits rows at `layout`: logitsRowsOf) from `run`; `random` draws for unseeded JS sampling. */
export function stepOutput(batch: StepBatch, layout: readonly LogitsRows[], run: StepRun, random: () => number, eosTokenIds: readonly number[]): StepOutput {
  const rows = run.logitsRows;
  const sampledTokenIds: (number | null)[] = [];
  const logprobs: (TokenLogprobs | null)[] = [];
  const promptLogprobs: (TokenLogprobs[] | null)[] = [];
  const numAcceptedDrafts: (number | null)[] = [];
  const draftLogprobs: (TokenLogprobs[] | null)[] = [];
  for (let i = 0; i < batch.sequences.length; i++) {
    const s = batch.sequences[i]!;
    const { promptRow, pickRow } = layout[i]!;
    // Prompt logprobs (they force the logits fetch): row promptRow + t scores the token at position startPosition + t + 1.
    const scored = s.promptLogprobs;
    promptLogprobs.push(scored === undefined || rows === null ? null
      : scored.targetTokenIds.map((target, t) => tokenLogprobs(rows[promptRow + t]!, target, scored.numTop)));
    const params = s.sampling;
    if (params === null || pickRow === null) {
      sampledTokenIds.push(null); logprobs.push(null); numAcceptedDrafts.push(null); draftLogprobs.push(null);
      continue;
    }
    const drafts = s.draftTokenIds;
    const verdict = drafts === undefined ? null : verifyDrafts(drafts, (j) => pickAt(run, s, i, pickRow, j, random, eosTokenIds));
    const tokenId = verdict?.tokenId ?? pickAt(run, s, i, pickRow, 0, random, eosTokenIds);
    sampledTokenIds.push(tokenId);
    numAcceptedDrafts.push(verdict?.numAcceptedDrafts ?? null);
    // Raw logits (sampleToken copies before penalising): the accepted drafts' at their rows, the pick's at the next.
    const numTop = params.numLogprobs ?? null; // absent on the wire from an older gateway: none
    if (numTop === null || rows === null) {
      logprobs.push(null); draftLogprobs.push(null);
      continue;
    }
    const numAccepted = verdict?.numAcceptedDrafts ?? 0;
    logprobs.push(tokenLogprobs(rows[pickRow + numAccepted]!, tokenId, numTop));
    draftLogprobs.push(drafts === undefined ? null
      : drafts.slice(0, numAccepted).map((draft, j) => tokenLogprobs(rows[pickRow + j]!, draft, numTop)));
  }
  const output: StepOutput = { sampledTokenIds };
  if (logprobs.some((l) => l !== null)) output.logprobs = logprobs;
  if (promptLogprobs.some((l) => l !== null)) output.promptLogprobs = promptLogprobs;
  if (batch.sequences.some((s) => s.draftTokenIds !== undefined)) output.numAcceptedDrafts = numAcceptedDrafts;
  if (draftLogprobs.some((l) => l !== null)) output.draftLogprobs = draftLogprobs;
  return output;
}
