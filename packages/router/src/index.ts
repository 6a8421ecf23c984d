// @mini-dynamo/router: KV-aware routing. createRouter() is the entry point; the indexes and
// policies are exported for benches, conformance suites and multi-host replica sync.
export { createRouter, type MiniRouter, type RouterOptions, type RouterStats } from './create-router.js';
export type { RouterObserver, RoutingTimings } from './router-observer.js';
export type { BusyThresholds } from './busy-filter.js';
export { KvIndexer, type KvIndexerOptions, type KvIndexerStats } from './kv-indexer.js';
export { ApproxIndexer, type ApproxIndexerOptions, DEFAULT_APPROX_TTL_MS, DEFAULT_APPROX_MAX_BLOCKS } from './approx-indexer.js';
export type { PrefixIndex, WorkerMatches } from './prefix-index.js';
export { LoadTracker, type LoadView } from './load-tracker.js';
export type { RoutingPolicy, WorkerCandidate, SelectionContext, Selection, RandomSource } from './routing-policy.js';
export { createKvPolicy, kvCost, softmaxSample } from './kv-policy.js';
export { createRoundRobinPolicy, createRandomPolicy, createLeastLoadedPolicy } from './baseline-policies.js';
export { type RouterReplicaEvent, replicaEventToJson, replicaEventFromJson } from './replica-events.js';
