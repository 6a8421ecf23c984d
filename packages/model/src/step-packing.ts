// Packs a StepBatch into the step graph's index/mask inputs (see llama-graph.ts for their meaning).
// Invariant: pure; sequences with one new token go to the 'single' group, prefill chunks to 'multi', draft rows to
// whichever pads the attention less (attentionGroups); an empty group gets one fully padded row so every tensor keeps non-zero dims.

import type { StepBatch, StepSequence } from '@mini-dynamo/protocol';
import { ATTENTION_GROUPS, MASKED, type AttentionGroup } from './llama-graph.js';
import type { KvPool } from './kv-pool.js';
import { checkDraftRows, numPickRows } from './draft-verification.js';

export interface GroupArrays {
  /** pastBlocks [numSeqs, maxPastBlocks]: pool block of each whole block of past positions (padding: block 0). */
  qIndex: Int32Array; pastBlocks: Int32Array; mask: Float32Array;
  /** maxPast = maxPastBlocks * blockSize: past keys per sequence, i.e. the mask's first maxPast columns. */
  numSeqs: number; maxQ: number; maxPastBlocks: number; maxPast: number;
}

export interface PackedStep {
  numTokens: number;
  inputIds: Int32Array;
  positions: Int32Array;
  /** Pool slot of each new token (where its K/V is scattered after the run). */
  slots: Int32Array;
  groups: Record<AttentionGroup, GroupArrays>;
  outIndex: Int32Array;
  logitsIndex: Int32Array;
}

interface Placed { seq: StepSequence; tokenOffset: number }

function packGroup(placed: Placed[], pool: KvPool, rowBase: number, outIndex: Int32Array): GroupArrays {
  const numSeqs = Math.max(1, placed.length);
  const maxQ = Math.max(1, ...placed.map((p) => p.seq.tokenIds.length));
  const { blockSize } = pool.shape;
  const maxPastBlocks = Math.max(1, ...placed.map((p) => Math.ceil(p.seq.startPosition / blockSize)));
  const maxPast = maxPastBlocks * blockSize;
  const numKeys = maxPast + maxQ;
  const qIndex = new Int32Array(numSeqs * maxQ);
  const pastBlocks = new Int32Array(numSeqs * maxPastBlocks);
  const mask = new Float32Array(numSeqs * maxQ * numKeys).fill(MASKED);
  placed.forEach(({ seq, tokenOffset }, b) => {
    const len = seq.tokenIds.length;
    for (let p = 0; p < seq.startPosition; p += blockSize) pastBlocks[b * maxPastBlocks + p / blockSize] = pool.blockOf(seq.blockTable, p);
    for (let i = 0; i < maxQ; i++) {
      const row = (b * maxQ + i) * numKeys;
      mask.fill(0, row, row + seq.startPosition);
      mask.fill(0, row + maxPast, row + maxPast + Math.min(i, len - 1) + 1);
      if (i < len) {
        qIndex[b * maxQ + i] = tokenOffset + i;
        outIndex[tokenOffset + i] = rowBase + b * maxQ + i;
      }
    }
  });
  if (placed.length === 0) mask.fill(0);
  return { qIndex, pastBlocks, mask, numSeqs, maxQ, maxPastBlocks, maxPast };
}

/** A sequence's first logits row in packStep's 'sampled' order: of its prompt-logprobs rows, of its pick rows (null: no pick). */
export interface LogitsRows { promptRow: number; pickRow: number | null }

export function logitsRowsOf(batch: StepBatch): LogitsRows[] {
  let next = 0;
  return batch.sequences.map((s) => {
    const promptRow = next;
    next += s.promptLogprobs?.targetTokenIds.length ?? 0;
    const pickRow = s.sampling === null ? null : next;
    next += numPickRows(s);
    return { promptRow, pickRow };
  });
}

/** A group's padded attention work: rows × maxQ queries × (whole past blocks + maxQ) keys. */
function paddedWork(seqs: readonly StepSequence[], blockSize: number): number {
  if (seqs.length === 0) return 0;
  const maxQ = Math.max(...seqs.map((s) => s.tokenIds.length));
  const maxPast = Math.max(...seqs.map((s) => Math.ceil(s.startPosition / blockSize))) * blockSize;
  return seqs.length * maxQ * (maxPast + maxQ);
}

/**
 * Each sequence's attention group: one token → 'single', a prefill chunk → 'multi'; draft rows (a few queries) all join
 * the group that pads the step's attention less — 'single' beside a long chunk (not padded to its length), else 'multi'
 * (plain decodes keep one query).
 */
export function attentionGroups(batch: StepBatch, blockSize: number): AttentionGroup[] {
  const base = batch.sequences.map((s): AttentionGroup => (s.tokenIds.length === 1 ? 'single' : 'multi'));
  if (!batch.sequences.some((s) => s.draftTokenIds !== undefined && s.tokenIds.length > 1)) return base;
  const drafts = (g: AttentionGroup) => batch.sequences.map((s, i) => (s.draftTokenIds !== undefined ? g : base[i]!));
  const work = (groups: AttentionGroup[]) => ATTENTION_GROUPS.reduce(
    (sum, g) => sum + paddedWork(batch.sequences.filter((_, i) => groups[i] === g), blockSize), 0);
  const single = drafts('single'), multi = drafts('multi');
  return work(single) < work(multi) ? single : multi;
}

/**
 * logits: 'sampled' gives, per sequence in order, one row per prompt-logprobs target (the chunk's first
 * targetTokenIds.length tokens) then, if its sampling is non-null, one row for its last token — or, with k drafts,
 * one for each of its last k + 1 tokens (draft verification); 'all' one row per new token in packed order.
 */
export function packStep(batch: StepBatch, pool: KvPool, logits: 'sampled' | 'all' = 'sampled'): PackedStep {
  const numTokens = batch.sequences.reduce((n, s) => n + s.tokenIds.length, 0);
  if (numTokens === 0) throw new RangeError('empty step batch');
  checkDraftRows(batch.sequences);
  const inputIds = new Int32Array(numTokens), positions = new Int32Array(numTokens), slots = new Int32Array(numTokens);
  const byGroup: Record<AttentionGroup, Placed[]> = { single: [], multi: [] };
  const logitRows: number[] = [];
  const groupOf = attentionGroups(batch, pool.shape.blockSize);
  let offset = 0;
  for (let s = 0; s < batch.sequences.length; s++) {
    const seq = batch.sequences[s]!;
    if (seq.tokenIds.length === 0) throw new RangeError(`sequence ${seq.seqId} has no tokens to compute`);
    for (let i = 0; i < seq.tokenIds.length; i++) {
      const pos = seq.startPosition + i;
      inputIds[offset + i] = seq.tokenIds[i]!;
      positions[offset + i] = pos;
      slots[offset + i] = pool.slotOf(seq.blockTable, pos);
      if (logits === 'all') logitRows.push(offset + i);
    }
    byGroup[groupOf[s]!].push({ seq, tokenOffset: offset });
    offset += seq.tokenIds.length;
    if (logits === 'sampled') {
      const numScored = seq.promptLogprobs?.targetTokenIds.length ?? 0;
      for (let i = 0; i < numScored; i++) logitRows.push(offset - seq.tokenIds.length + i);
      const numPicked = numPickRows(seq);
      for (let i = numPicked; i > 0; i--) logitRows.push(offset - i);
    }
  }
  const outIndex = new Int32Array(numTokens);
  const single = packGroup(byGroup.single, pool, 0, outIndex);
  const multi = packGroup(byGroup.multi, pool, single.numSeqs * single.maxQ, outIndex);
  return { numTokens, inputIds, positions, slots, groups: { single, multi }, outIndex, logitsIndex: Int32Array.from(logitRows) };
}
