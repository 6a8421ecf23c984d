// Imports karpathy's llama2.c legacy checkpoints (7×int32 header + fp32 weights) into the canonical layout.
// Invariant: llama2.c rotates interleaved pairs (2i, 2i+1) within a head; wq/wk rows are permuted to HF's
// rotate-half order on import (as HF's convert_llama_weights_to_hf.py does), so one RoPE serves every format.

import { open } from 'node:fs/promises';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaLayerWeights, LlamaWeights } from './llama-weights.js';
import { fail } from './model-load-error.js';
import { readFloat32Array } from './safetensors.js';

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  vocabSize: number;
  /** Negative vocab_size in the file: the classifier is stored separately (untied). */
  sharedClassifier: boolean;
  seqLen: number;
}

const HEADER_BYTES = 28;

export function parseLlama2cHeader(buf: Buffer, file: string): Llama2cHeader {
  if (buf.length < HEADER_BYTES) fail('invalid_model', `${file}: ${buf.length} bytes is too short for a llama2.c header`);
  const f = (i: number) => buf.readInt32LE(i * 4);
  const header: Llama2cHeader = {
    dim: f(0), hiddenDim: f(1), numLayers: f(2), numHeads: f(3), numKvHeads: f(4),
    vocabSize: Math.abs(f(5)), sharedClassifier: f(5) > 0, seqLen: f(6),
  };
  const { dim, hiddenDim, numLayers, numHeads, numKvHeads, vocabSize, seqLen } = header;
  const positive = [dim, hiddenDim, numLayers, numHeads, numKvHeads, vocabSize, seqLen].every((v) => v > 0);
  if (!positive || dim % numHeads !== 0 || numHeads % numKvHeads !== 0 || (dim / numHeads) % 2 !== 0) {
    fail('invalid_model', `${file}: not a llama2.c checkpoint (header ${JSON.stringify(header)})`);
  }
  return header;
}

/** Read just the header of a checkpoint file (checkpoints can be hundreds of MB). */
export async function readLlama2cHeader(path: string, file: string): Promise<Llama2cHeader> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
    return parseLlama2cHeader(buffer.subarray(0, bytesRead), file);
  } finally {
    await handle.close();
  }
}

export function llama2cConfig(h: Llama2cHeader): LlamaConfig {
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize: h.dim,
    intermediateSize: h.hiddenDim,
    numLayers: h.numLayers,
    numHeads: h.numHeads,
    numKvHeads: h.numKvHeads,
    headDim: h.dim / h.numHeads,
    vocabSize: h.vocabSize,
    maxPositionEmbeddings: h.seqLen,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: h.sharedClassifier,
    attentionBias: false,
    bosTokenId: 1,
    // llama2.c's run.c stops at BOS: it delimits the training stories, so a story ends by emitting 1.
    eosTokenIds: [2, 1],
  };
}

/**
 * Reorder the rows of a [numHeads*headDim, cols] projection from interleaved RoPE pairs to rotate-half:
 * new row (p*half + j) of a head takes old row (2j + p).
 */
export function permuteInterleavedToHalf(w: Float32Array, numHeads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < numHeads; h++) {
    for (let j = 0; j < half; j++) {
      for (let p = 0; p < 2; p++) {
        const src = (h * headDim + 2 * j + p) * cols;
        const dst = (h * headDim + p * half + j) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** Sequential reader of fp32 tensors from the checkpoint body. */
function tensorReader(buf: Buffer, file: string) {
  let offset = HEADER_BYTES;
  return {
    take(n: number): Float32Array {
      const end = offset + n * 4;
      if (end > buf.length) fail('invalid_model', `${file}: truncated (needs at least ${end} bytes, has ${buf.length})`);
      const out = readFloat32Array(buf, offset, n);
      offset = end;
      return out;
    },
    skip(n: number): void { offset += n * 4; },
    get offset() { return offset; },
  };
}

function split(all: Float32Array, numLayers: number): Float32Array[] {
  const per = all.length / numLayers;
  return Array.from({ length: numLayers }, (_, l) => all.slice(l * per, (l + 1) * per));
}

export function parseLlama2cCheckpoint(buf: Buffer, file: string): { config: LlamaConfig; weights: LlamaWeights } {
  const h = parseLlama2cHeader(buf, file);
  const config = llama2cConfig(h);
  const { numLayers: L, dim, hiddenDim, numHeads, numKvHeads, vocabSize } = h;
  const headDim = config.headDim;
  const qDim = numHeads * headDim;
  const kvDim = numKvHeads * headDim;
  const r = tensorReader(buf, file);
  const embedTokens = r.take(vocabSize * dim);
  const attNorm = split(r.take(L * dim), L);
  const wq = split(r.take(L * qDim * dim), L);
  const wk = split(r.take(L * kvDim * dim), L);
  const wv = split(r.take(L * kvDim * dim), L);
  const wo = split(r.take(L * dim * qDim), L);
  const ffnNorm = split(r.take(L * dim), L);
  const w1 = split(r.take(L * hiddenDim * dim), L);
  const w2 = split(r.take(L * dim * hiddenDim), L);
  const w3 = split(r.take(L * hiddenDim * dim), L);
  const finalNorm = r.take(dim);
  r.skip(h.seqLen * headDim); // legacy freq_cis_real + freq_cis_imag (seqLen × headDim/2 each)
  const lmHead = h.sharedClassifier ? null : r.take(vocabSize * dim);
  if (r.offset !== buf.length) fail('invalid_model', `${file}: ${buf.length - r.offset} unexpected trailing bytes after the weights`);
  const layers: LlamaLayerWeights[] = [];
  for (let l = 0; l < L; l++) {
    layers.push({
      inputNorm: attNorm[l]!,
      q: permuteInterleavedToHalf(wq[l]!, numHeads, headDim, dim),
      k: permuteInterleavedToHalf(wk[l]!, numKvHeads, headDim, dim),
      v: wv[l]!, qBias: null, kBias: null, vBias: null,
      o: wo[l]!,
      postAttentionNorm: ffnNorm[l]!,
      gate: w1[l]!, up: w3[l]!, down: w2[l]!,
    });
  }
  return { config, weights: { embedTokens, layers, finalNorm, lmHead } };
}
