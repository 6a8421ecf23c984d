// Weights of a Llama-family model in one canonical layout, whatever file they came from.
// Layout (HF convention): a Linear weight is [outFeatures, inFeatures] row-major fp32;
// q/k rows are in HF's rotate-half RoPE order (llama2.c checkpoints are permuted on import).

export interface LlamaLayerWeights {
  inputNorm: Float32Array;        // [hidden]
  q: Float32Array;                // [numHeads*headDim, hidden]
  k: Float32Array;                // [numKvHeads*headDim, hidden]
  v: Float32Array;                // [numKvHeads*headDim, hidden]
  qBias: Float32Array | null;     // [numHeads*headDim]
  kBias: Float32Array | null;
  vBias: Float32Array | null;
  o: Float32Array;                // [hidden, numHeads*headDim]
  postAttentionNorm: Float32Array;// [hidden]
  gate: Float32Array;             // [intermediate, hidden]
  up: Float32Array;               // [intermediate, hidden]
  down: Float32Array;             // [hidden, intermediate]
}

export interface LlamaWeights {
  embedTokens: Float32Array;      // [vocab, hidden]
  layers: LlamaLayerWeights[];
  finalNorm: Float32Array;        // [hidden]
  /** null when tied to embedTokens. */
  lmHead: Float32Array | null;    // [vocab, hidden]
}
