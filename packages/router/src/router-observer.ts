// What the router tells observers (metrics, logs) about each decision: the decision itself
// (reason, predicted / best overlap) and the time of each of Dynamo's routing phases in ms
// (dynamo_router_overhead_{block_hashing,indexer_find_matches,seq_hashing,scheduling,total}_ms).
// Invariant: observers are called synchronously once per route() and must not throw.

import type { RouteRequest, RoutingDecision, RoutingError } from '@mini-dynamo/protocol';

export interface RoutingTimings {
  /** Local (per-block) hashes of the prompt's full blocks. */
  blockHashingMs: number;
  /** Indexer prefix lookup. */
  indexerFindMatchesMs: number;
  /** Chaining local hashes into sequence hashes. */
  seqHashingMs: number;
  /** Load view, busy filter and policy selection. */
  schedulingMs: number;
  totalMs: number;
}

export interface RouterObserver {
  onDecision?(decision: RoutingDecision, timings: RoutingTimings, request: RouteRequest): void;
  onRejected?(error: RoutingError, request: RouteRequest): void;
}
