// @mini-dynamo/engine: one worker's engine — Sequence, BlockAllocator (paged KV + prefix cache),
// Scheduler (continuous batching, chunked prefill, preemption), Engine step loop, MockRunner.
export * from './sequence.js';
export * from './free-block-queue.js';
export * from './block-allocator.js';
export * from './finish-rules.js';
export * from './scheduler.js';
export * from './engine-config.js';
export * from './admission.js';
export * from './engine-observer.js';
export * from './engine.js';
export * from './mock-kv-store.js';
export * from './mock-runner.js';
