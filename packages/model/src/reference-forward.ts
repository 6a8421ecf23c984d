// An independent float64 Llama-family forward pass in plain TypeScript (no ORT): the correctness oracle
// for the ONNX graph. Invariant: forward() appends to this model's own KV cache; positions continue from it.

import type { LlamaConfig } from './llama-config.js';
import type { LlamaLayerWeights, LlamaWeights } from './llama-weights.js';
import { ropeInverseFrequencies } from './rope-frequencies.js';
import { argmax } from './sampler.js';

type Vec = Float64Array;

/** y = W x (+ b), W row-major [rows, cols] (fp32 values, float64 accumulation). */
function matVec(w: Float32Array, x: Vec, rows: number, bias: Float32Array | null = null): Vec {
  const cols = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = bias === null ? 0 : bias[r]!;
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc += w[base + c]! * x[c]!;
    y[r] = acc;
  }
  return y;
}

function rmsNorm(x: Vec, weight: Float32Array, eps: number): Vec {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! * scale * weight[i]!;
  return y;
}

const silu = (v: number) => v / (1 + Math.exp(-v));

export class ReferenceModel {
  private readonly invFreq: Float64Array;
  /** Per layer, per position: the rotated key / value vectors [numKvHeads*headDim]. */
  private keys: Vec[][] = [];
  private values: Vec[][] = [];

  constructor(readonly config: LlamaConfig, readonly weights: LlamaWeights) {
    this.invFreq = ropeInverseFrequencies(config);
    this.reset();
  }

  /** Tokens already in the KV cache. */
  get numCachedTokens(): number {
    return this.keys[0]?.length ?? 0;
  }

  reset(): void {
    this.keys = Array.from({ length: this.config.numLayers }, () => []);
    this.values = Array.from({ length: this.config.numLayers }, () => []);
  }

  /** Logits (length vocabSize) for each of tokenIds, attending to everything cached before it. */
  forward(tokenIds: number[]): Float64Array[] {
    return tokenIds.map((id) => this.forwardOne(id));
  }

  private forwardOne(tokenId: number): Vec {
    const { hiddenSize: h, vocabSize } = this.config;
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= vocabSize) throw new RangeError(`token id ${tokenId} out of range`);
    const position = this.numCachedTokens;
    let x: Vec = Float64Array.from(this.weights.embedTokens.subarray(tokenId * h, (tokenId + 1) * h));
    this.weights.layers.forEach((layer, l) => { x = this.layer(layer, l, x, position); });
    const normed = rmsNorm(x, this.weights.finalNorm, this.config.rmsNormEps);
    return matVec(this.weights.lmHead ?? this.weights.embedTokens, normed, vocabSize);
  }

  private layer(w: LlamaLayerWeights, l: number, x: Vec, position: number): Vec {
    const c = this.config;
    const xn = rmsNorm(x, w.inputNorm, c.rmsNormEps);
    const q = matVec(w.q, xn, c.numHeads * c.headDim, w.qBias);
    const k = matVec(w.k, xn, c.numKvHeads * c.headDim, w.kBias);
    const v = matVec(w.v, xn, c.numKvHeads * c.headDim, w.vBias);
    this.rotate(q, c.numHeads, position);
    this.rotate(k, c.numKvHeads, position);
    this.keys[l]!.push(k);
    this.values[l]!.push(v);
    const attn = this.attend(q, l);
    const o = matVec(w.o, attn, c.hiddenSize);
    const x1 = x.map((v0, i) => v0 + o[i]!);
    const xn2 = rmsNorm(x1, w.postAttentionNorm, c.rmsNormEps);
    const gate = matVec(w.gate, xn2, c.intermediateSize);
    const up = matVec(w.up, xn2, c.intermediateSize);
    const act = gate.map((g, i) => silu(g) * up[i]!);
    const down = matVec(w.down, act, c.hiddenSize);
    return x1.map((v0, i) => v0 + down[i]!);
  }

  /** Rotate-half RoPE in place over each head of a [numHeads*headDim] vector. */
  private rotate(vec: Vec, numHeads: number, position: number): void {
    const d = this.config.headDim;
    const half = d / 2;
    for (let hd = 0; hd < numHeads; hd++) {
      const base = hd * d;
      for (let j = 0; j < half; j++) {
        const angle = position * this.invFreq[j]!;
        const cos = Math.cos(angle), sin = Math.sin(angle);
        const a = vec[base + j]!, b = vec[base + j + half]!;
        vec[base + j] = a * cos - b * sin;
        vec[base + j + half] = b * cos + a * sin;
      }
    }
  }

  /** Causal softmax attention of one query over all cached keys, GQA heads sharing KV heads. */
  private attend(q: Vec, l: number): Vec {
    const c = this.config;
    const d = c.headDim;
    const group = c.numHeads / c.numKvHeads;
    const keys = this.keys[l]!, values = this.values[l]!;
    const out = new Float64Array(c.numHeads * d);
    const scale = 1 / Math.sqrt(d);
    const scores = new Float64Array(keys.length);
    for (let hd = 0; hd < c.numHeads; hd++) {
      const kvBase = Math.floor(hd / group) * d;
      let max = -Infinity;
      for (let t = 0; t < keys.length; t++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += q[hd * d + i]! * keys[t]![kvBase + i]!;
        scores[t] = s * scale;
        if (scores[t]! > max) max = scores[t]!;
      }
      let sum = 0;
      for (let t = 0; t < keys.length; t++) { scores[t] = Math.exp(scores[t]! - max); sum += scores[t]!; }
      for (let t = 0; t < keys.length; t++) {
        const p = scores[t]! / sum;
        for (let i = 0; i < d; i++) out[hd * d + i] += p * values[t]![kvBase + i]!;
      }
    }
    return out;
  }
}

/** Greedy continuation of a prompt with a fresh cache (first index wins ties): the golden-output oracle. */
export function referenceGreedy(model: ReferenceModel, promptIds: number[], numTokens: number): number[] {
  model.reset();
  let logits = model.forward(promptIds).at(-1)!;
  const out: number[] = [];
  for (let n = 0; n < numTokens; n++) {
    const best = argmax(logits);
    out.push(best);
    if (n + 1 < numTokens) logits = model.forward([best])[0]!;
  }
  return out;
}
