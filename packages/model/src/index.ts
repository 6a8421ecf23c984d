// @mini-dynamo/model: Llama-family loading, tokenizer, ONNX graph export and the ORT model runner.
export * from './llama-config.js';
export * from './llama-weights.js';
export * from './random-weights.js';
