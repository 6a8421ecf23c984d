// RoPE inverse frequencies for one head (rotate-half layout), incl. Llama 3 scaling; shared by every forward.
// Invariant: element j rotates the pair (j, j + headDim/2) of each head by position * invFreq[j].

import type { LlamaConfig } from './llama-config.js';

/** HF `_compute_llama3_parameters` / plain `1 / theta^(2j/d)`; length headDim/2, float64. */
export function ropeInverseFrequencies(config: LlamaConfig): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let j = 0; j < half; j++) inv[j] = 1 / Math.pow(config.ropeTheta, (2 * j) / config.headDim);
  const s = config.ropeScaling;
  if (s === null) return inv;
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let j = 0; j < half; j++) {
    const wavelen = (2 * Math.PI) / inv[j]!;
    if (wavelen < highWavelen) continue; // high frequency: unchanged
    if (wavelen > lowWavelen) { inv[j] = inv[j]! / s.factor; continue; } // low frequency: scaled
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    inv[j] = (1 - smooth) * (inv[j]! / s.factor) + smooth * inv[j]!;
  }
  return inv;
}
