// @mini-dynamo/engine: one worker's engine — Sequence, BlockAllocator (paged KV + prefix cache),
// Scheduler (continuous batching, chunked prefill, preemption, n-gram speculative decoding), Engine step loop, MockRunner.
// Internal pieces (FreeBlockQueue, finish rules, admission checks, MockKvStore, NgramProposer / DraftPlanner) are not exported.
export * from './sequence.js';
export * from './block-allocator.js';
export * from './scheduler.js';
export * from './engine-config.js';
export * from './engine-observer.js';
export * from './engine.js';
export * from './mock-runner.js';
export * from './mock-logprobs.js';
