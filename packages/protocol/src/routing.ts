// The router contract: the gateway asks a Router where a request goes; implementations
// (kv-aware, round_robin, random, least_loaded) live in @mini-dynamo/router.

import type { Result } from './request.js';
import type { KvCacheEvent, KvCacheSnapshot } from './kv-events.js';
import type { WorkerLoad } from './worker-load.js';

export type RoutingPolicyName = 'kv' | 'round_robin' | 'random' | 'least_loaded';

export type RoutingReason =
  | 'kv_overlap'      // chosen because it holds the longest useful prefix (after load)
  | 'load'            // kv policy, no overlap anywhere: lowest load won
  | 'round_robin'
  | 'random'
  | 'least_loaded'
  | 'single_worker';

export interface RouteRequest {
  requestId: string;
  tokenIds: number[];
  cacheSalt: string | null;
  /** Per-request override (e.g. header `x-mini-dynamo-router`). */
  policy?: RoutingPolicyName;
  /** Per-request override of the kv policy's overlap weight. */
  overlapWeight?: number;
  /**
   * false: the worker will compute the whole prompt whatever it caches (e.g. prompt logprobs), so no worker's
   * overlap saves prefill and the choice is by load alone. Default true.
   */
  readsPrefixCache?: boolean;
}

export interface RoutingDecision {
  workerId: string;
  policy: RoutingPolicyName;
  reason: RoutingReason;
  numPromptBlocks: number;
  /** Blocks of the prompt the chosen worker is predicted to hold. */
  overlapBlocks: number;
  /** Best overlap any worker holds (the reachable hit rate). */
  bestOverlapBlocks: number;
  predictedCachedTokens: number;
}

export type RoutingError = { code: 'no_workers' | 'all_busy'; message: string };

export interface Router {
  route(request: RouteRequest): Result<RoutingDecision, RoutingError>;
  /** The request left the worker: release the load predicted for it. */
  finish(requestId: string): void;
  addWorker(workerId: string, numTotalBlocks: number): void;
  removeWorker(workerId: string): void;
  applyKvEvent(event: KvCacheEvent): void;
  applySnapshot(snapshot: KvCacheSnapshot): void;
  updateLoad(load: WorkerLoad): void;
}
