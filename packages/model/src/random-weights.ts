// Deterministic random Llama weights of any shape: tiny test models and realistic-shape speed tests.
// Invariant: the same (config, seed) always yields bit-identical weights.

import { seededRandom } from '@mini-dynamo/protocol';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaLayerWeights, LlamaWeights } from './llama-weights.js';

/** Re-exported for existing callers (bench's rng); the one implementation lives in protocol. */
export { seededRandom };

function uniform(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

function norm(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + (rand() * 2 - 1) * 0.1;
  return out;
}

export function randomLlamaWeights(config: LlamaConfig, seed = 1): LlamaWeights {
  const rand = seededRandom(seed);
  const h = config.hiddenSize;
  const qDim = config.numHeads * config.headDim;
  const kvDim = config.numKvHeads * config.headDim;
  const inter = config.intermediateSize;
  // Uniform(-s, s) with s = sqrt(3/fan_in) keeps activations at unit scale through the layers.
  const s = (fanIn: number) => Math.sqrt(3 / fanIn);
  const layers: LlamaLayerWeights[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    layers.push({
      inputNorm: norm(rand, h),
      q: uniform(rand, qDim * h, s(h)),
      k: uniform(rand, kvDim * h, s(h)),
      v: uniform(rand, kvDim * h, s(h)),
      qBias: config.attentionBias ? uniform(rand, qDim, 0.1) : null,
      kBias: config.attentionBias ? uniform(rand, kvDim, 0.1) : null,
      vBias: config.attentionBias ? uniform(rand, kvDim, 0.1) : null,
      o: uniform(rand, h * qDim, s(qDim)),
      postAttentionNorm: norm(rand, h),
      gate: uniform(rand, inter * h, s(h)),
      up: uniform(rand, inter * h, s(h)),
      down: uniform(rand, h * inter, s(inter)),
    });
  }
  return {
    embedTokens: uniform(rand, config.vocabSize * h, 1),
    layers,
    finalNorm: norm(rand, h),
    lmHead: config.tieWordEmbeddings ? null : uniform(rand, config.vocabSize * h, s(h)),
  };
}

/** A tiny Llama config for tests (a few hundred KB of weights). */
export function tinyLlamaConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize: 64,
    intermediateSize: 128,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    vocabSize: 512,
    maxPositionEmbeddings: 512,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings: true,
    attentionBias: false,
    bosTokenId: 1,
    eosTokenIds: [2],
    ...overrides,
  };
}
