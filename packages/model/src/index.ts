// @mini-dynamo/model: Llama-family loading, tokenizer, ONNX graph export and the ORT model runner.
export * from './llama-config.js';
export * from './llama-weights.js';
export * from './random-weights.js';
// model loading (HF + llama2.c), reference forward, tokenizer
export type { ModelLoadError, ModelLoadErrorCode } from './model-load-error.js';
export * from './load-model.js';
export * from './hf-config.js';
export * from './safetensors.js';
export * from './llama2c-loader.js';
export * from './llama2c-tokenizer.js';
export * from './rope-frequencies.js';
export * from './reference-forward.js';
export * from './chat-template.js';
export * from './incremental-detokenizer.js';
export * from './model-tokenizer.js';
// ONNX step graph, KV pool, ORT runner, sampler
export * from './onnx-builder.js';
export * from './llama-graph.js';
export * from './graph-cache.js';
export * from './kv-pool.js';
export * from './step-packing.js';
export * from './sampler.js';
export * from './token-logprobs.js';
export * from './ort-model-runner.js';
export * from './hf-loader.js';
export * from './tiny-model.js';
