// Packs a StepBatch into the step graph's index/mask inputs (see llama-graph.ts for their meaning).
// Invariant: pure; sequences with one new token go to the 'single' group, longer chunks to 'multi';
// an empty group gets one fully padded row so every tensor keeps non-zero dims.

import type { StepBatch, StepSequence } from '@mini-dynamo/protocol';
import { MASKED, type AttentionGroup } from './llama-graph.js';
import type { KvPool } from './kv-pool.js';

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

/**
 * logits: 'sampled' gives, per sequence in order, one row per prompt-logprobs target (the chunk's first
 * targetTokenIds.length tokens) then one row if its sampling is non-null (its last token);
 * 'all' one row per new token in packed order.
 */
export function packStep(batch: StepBatch, pool: KvPool, logits: 'sampled' | 'all' = 'sampled'): PackedStep {
  const numTokens = batch.sequences.reduce((n, s) => n + s.tokenIds.length, 0);
  if (numTokens === 0) throw new RangeError('empty step batch');
  const inputIds = new Int32Array(numTokens), positions = new Int32Array(numTokens), slots = new Int32Array(numTokens);
  const byGroup: Record<AttentionGroup, Placed[]> = { single: [], multi: [] };
  const logitRows: number[] = [];
  let offset = 0;
  for (const seq of batch.sequences) {
    if (seq.tokenIds.length === 0) throw new RangeError(`sequence ${seq.seqId} has no tokens to compute`);
    for (let i = 0; i < seq.tokenIds.length; i++) {
      const pos = seq.startPosition + i;
      inputIds[offset + i] = seq.tokenIds[i]!;
      positions[offset + i] = pos;
      slots[offset + i] = pool.slotOf(seq.blockTable, pos);
      if (logits === 'all') logitRows.push(offset + i);
    }
    byGroup[seq.tokenIds.length === 1 ? 'single' : 'multi'].push({ seq, tokenOffset: offset });
    offset += seq.tokenIds.length;
    if (logits === 'sampled') {
      const numScored = seq.promptLogprobs?.targetTokenIds.length ?? 0;
      for (let i = 0; i < numScored; i++) logitRows.push(offset - seq.tokenIds.length + i);
      if (seq.sampling !== null) logitRows.push(offset - 1);
    }
  }
  const outIndex = new Int32Array(numTokens);
  const single = packGroup(byGroup.single, pool, 0, outIndex);
  const multi = packGroup(byGroup.multi, pool, single.numSeqs * single.maxQ, outIndex);
  return { numTokens, inputIds, positions, slots, groups: { single, multi }, outIndex, logitsIndex: Int32Array.from(logitRows) };
}
