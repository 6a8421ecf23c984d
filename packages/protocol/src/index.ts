// @mini-dynamo/protocol: the spec package. Interfaces and the block hash every other package shares;
// implementations and consumers depend on this, never on each other.
export * from './sampling.js';
export * from './token-logprobs.js';
export * from './structured-output.js';
export * from './request.js';
export * from './block-hash.js';
export * from './seeded-random.js';
export * from './kv-events.js';
export * from './worker-load.js';
export * from './model-runner.js';
export * from './logits-processing.js';
export * from './worker-messages.js';
export * from './routing.js';
export * from './worker-connection.js';
export * from './speculative.js';
