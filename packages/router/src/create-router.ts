// The Router the gateway uses: hashes the prompt, asks the prefix index (KvIndexer, or the
// ApproxIndexer when useKvEvents is false) for per-worker overlap, builds candidates from the
// LoadTracker, drops busy workers and lets the RoutingPolicy pick; then records the prediction,
// tells replica peers and the observer. Invariant: route() never throws; errors are Results.

import {
  chainBlockHashWords, err, hashSeed, localBlockHashWords, ok,
  type KvCacheEvent, type KvCacheSnapshot, type Result, type RouteRequest, type Router,
  type RoutingDecision, type RoutingError, type RoutingPolicyName, type WorkerLoad,
} from '@mini-dynamo/protocol';
import { KvIndexer, type KvIndexerStats } from './kv-indexer.js';
import { ApproxIndexer } from './approx-indexer.js';
import { LoadTracker, type LoadView } from './load-tracker.js';
import { createKvPolicy } from './kv-policy.js';
import { createLeastLoadedPolicy, createRandomPolicy, createRoundRobinPolicy } from './baseline-policies.js';
import { isBusy, type BusyThresholds } from './busy-filter.js';
import { pickMinimum, type RandomSource, type RoutingPolicy, type WorkerCandidate } from './routing-policy.js';
import type { RouterObserver } from './router-observer.js';
import type { RouterReplicaEvent } from './replica-events.js';
import type { PrefixIndex } from './prefix-index.js';

export interface RouterOptions {
  policy: RoutingPolicyName;
  blockSize: number;
  overlapWeight?: number;
  temperature?: number;
  busyThresholds?: BusyThresholds;
  /** false = approximate mode (Dynamo --no-kv-events): predict caches from routing decisions. */
  useKvEvents?: boolean;
  observer?: RouterObserver;
  /** Approximate mode: how long a routed prompt counts as cached, and the per-worker cap. */
  approxTtlMs?: number;
  approxMaxBlocksPerWorker?: number;
  /** Asked when a worker's KV event stream has a gap (answer: send it a `snapshot` command). */
  requestResync?: (workerId: string) => void;
  /** Identifies this router in replica sync; defaults to a random id. */
  routerId?: string;
  random?: RandomSource;
  now?: () => number;
}

export interface RouterStats {
  numWorkers: number;
  indexer: KvIndexerStats | null;
  numReplicaEventsApplied: number;
}

/** The protocol Router plus what the gateway needs for resync, replica sync and failures. */
export interface MiniRouter extends Router {
  readonly routerId: string;
  readonly options: Readonly<RouterOptions>;
  workerIds(): string[];
  loadOf(workerId: string): LoadView | null;
  /** Worker a still-unfinished request was routed to (null when unknown or finished). */
  workerOf(requestId: string): string | null;
  findMatches(tokenIds: number[], cacheSalt: string | null): Map<string, number>;
  onResyncRequest(listener: (workerId: string) => void): void;
  /** Local decisions and finishes, to publish to replica peers. */
  onReplicaEvent(listener: (event: RouterReplicaEvent) => void): void;
  applyReplicaEvent(event: RouterReplicaEvent): void;
  stats(): RouterStats;
}

export function createRouter(options: RouterOptions): MiniRouter {
  return new PrefixAwareRouter(options);
}

class PrefixAwareRouter implements MiniRouter {
  readonly routerId: string;
  private readonly kvIndexer: KvIndexer | null;
  private readonly approx: ApproxIndexer | null;
  private readonly index: PrefixIndex;
  private readonly load: LoadTracker;
  private readonly policies: Record<RoutingPolicyName, RoutingPolicy>;
  private readonly random: RandomSource;
  private readonly resyncListeners: ((workerId: string) => void)[] = [];
  private readonly replicaListeners: ((e: RouterReplicaEvent) => void)[] = [];
  private sortedWorkers: string[] = [];
  private numReplicaEventsApplied = 0;
  /** Scratch for the prompt's local hashes as (hi, lo) u32 pairs; grows, never shrinks. */
  private localWords: Uint32Array = new Uint32Array(2 * 1024);

  constructor(readonly options: RouterOptions) {
    if (!(options.blockSize > 0)) throw new Error(`blockSize must be > 0, got ${options.blockSize}`);
    this.random = options.random ?? Math.random;
    this.routerId = options.routerId ?? `router-${Math.floor(this.random() * 2 ** 48).toString(36)}`;
    if (options.requestResync) this.resyncListeners.push(options.requestResync);
    const now = options.now ?? Date.now;
    if (options.useKvEvents === false) {
      this.kvIndexer = null;
      this.approx = new ApproxIndexer({ ttlMs: options.approxTtlMs, maxBlocksPerWorker: options.approxMaxBlocksPerWorker, now });
      this.index = this.approx;
    } else {
      this.approx = null;
      this.kvIndexer = new KvIndexer({ now, requestResync: (w) => this.resyncListeners.forEach((l) => l(w)) });
      this.index = this.kvIndexer;
    }
    this.load = new LoadTracker({ now });
    this.policies = {
      kv: createKvPolicy({ temperature: options.temperature, random: this.random }),
      round_robin: createRoundRobinPolicy(),
      random: createRandomPolicy(this.random),
      least_loaded: createLeastLoadedPolicy(this.random),
    };
  }

  route(request: RouteRequest): Result<RoutingDecision, RoutingError> {
    const t0 = performance.now();
    if (this.sortedWorkers.length === 0) return this.reject({ code: 'no_workers', message: 'no workers are registered' }, request);
    const policyName = request.policy ?? this.options.policy;
    const seed = hashSeed(request.cacheSalt);
    const numBlocks = this.localHashWords(request.tokenIds, seed);
    const t1 = performance.now();
    const hashes = chainBlockHashWords(this.localWords, numBlocks, seed);
    const t2 = performance.now();
    const matches = request.readsPrefixCache === false ? new Map<string, number>() : this.overlaps(hashes);
    const t3 = performance.now();
    const all = this.candidates(matches);
    const bestOverlapBlocks = all.reduce((m, c) => Math.max(m, c.overlapBlocks), 0);
    const free = all.filter((c) => !isBusy(c, this.options.busyThresholds));
    if (free.length === 0 && this.options.busyThresholds?.onAllBusy !== 'least_loaded') {
      return this.reject({ code: 'all_busy', message: `all ${all.length} workers are above their busy thresholds` }, request);
    }
    const chosen = this.select(policyName, free.length > 0 ? free : all, request);
    const decision: RoutingDecision = {
      workerId: chosen.workerId,
      policy: policyName,
      reason: this.sortedWorkers.length === 1 ? 'single_worker' : chosen.reason,
      numPromptBlocks: hashes.length,
      overlapBlocks: chosen.overlapBlocks,
      bestOverlapBlocks,
      predictedCachedTokens: chosen.overlapBlocks * this.options.blockSize,
    };
    this.record(request, decision, hashes);
    const t4 = performance.now();
    this.options.observer?.onDecision?.(
      decision,
      { blockHashingMs: t1 - t0, seqHashingMs: t2 - t1, indexerFindMatchesMs: t3 - t2, schedulingMs: t4 - t3, totalMs: t4 - t0 },
      request,
    );
    return ok(decision);
  }

  finish(requestId: string): void {
    if (this.load.workerOf(requestId) === null) return;
    this.load.finish(requestId);
    this.emitReplica({ type: 'finished', routerId: this.routerId, requestId });
  }

  addWorker(workerId: string, numTotalBlocks: number): void {
    this.load.addWorker(workerId, numTotalBlocks);
    this.index.addWorker(workerId);
    if (!this.sortedWorkers.includes(workerId)) this.sortedWorkers = [...this.sortedWorkers, workerId].sort();
  }

  removeWorker(workerId: string): void {
    this.load.removeWorker(workerId);
    this.index.removeWorker(workerId);
    this.sortedWorkers = this.sortedWorkers.filter((w) => w !== workerId);
  }

  /** Approximate mode predicts instead of listening, but a `cleared` event (cache reset) still wipes its predictions. */
  applyKvEvent(event: KvCacheEvent): void {
    this.kvIndexer?.applyEvent(event);
    if (this.approx && event.data?.type === 'cleared') this.approx.clearWorker(event.workerId);
  }

  applySnapshot(snapshot: KvCacheSnapshot): void {
    this.kvIndexer?.applySnapshot(snapshot);
  }

  updateLoad(load: WorkerLoad): void {
    this.load.updateLoad(load);
  }

  workerIds(): string[] {
    return [...this.sortedWorkers];
  }

  loadOf(workerId: string): LoadView | null {
    return this.load.view(workerId);
  }

  workerOf(requestId: string): string | null {
    return this.load.workerOf(requestId);
  }

  findMatches(tokenIds: number[], cacheSalt: string | null): Map<string, number> {
    const seed = hashSeed(cacheSalt);
    return this.index.findMatches(chainBlockHashWords(this.localWords, this.localHashWords(tokenIds, seed), seed));
  }

  /**
   * Block hashing into the reused u32 scratch `localWords` (no bigint per local hash; seq hashing
   * then makes the only bigints, the index's keys). Returns the number of full blocks.
   */
  private localHashWords(tokenIds: readonly number[], seed: bigint): number {
    this.localWords = localBlockHashWords(tokenIds, this.options.blockSize, seed, this.localWords);
    return Math.floor(tokenIds.length / this.options.blockSize);
  }

  /** Per worker: leading blocks cached (index) or being computed by its in-flight requests. */
  private overlaps(hashes: bigint[]): Map<string, number> {
    const matches = this.index.findMatches(hashes);
    for (const [w, n] of this.load.activeMatches(hashes)) if (n > (matches.get(w) ?? 0)) matches.set(w, n);
    return matches;
  }

  onResyncRequest(listener: (workerId: string) => void): void {
    this.resyncListeners.push(listener);
  }

  onReplicaEvent(listener: (event: RouterReplicaEvent) => void): void {
    this.replicaListeners.push(listener);
  }

  applyReplicaEvent(event: RouterReplicaEvent): void {
    if (event.routerId === this.routerId) return;
    this.numReplicaEventsApplied++;
    const key = `${event.routerId}/${event.requestId}`;
    if (event.type === 'finished') return this.load.finish(key);
    if (!this.load.has(event.workerId)) return;
    this.load.predict(key, event.workerId, { numNewBlocks: event.numNewBlocks, numPrefillTokens: event.numPrefillTokens, blockHashes: event.blockHashes });
    this.approx?.recordRouting(event.workerId, event.blockHashes);
  }

  stats(): RouterStats {
    return {
      numWorkers: this.sortedWorkers.length,
      indexer: this.kvIndexer?.stats() ?? null,
      numReplicaEventsApplied: this.numReplicaEventsApplied,
    };
  }

  private candidates(matches: Map<string, number>): WorkerCandidate[] {
    return this.sortedWorkers.map((workerId) => this.load.candidate(workerId, matches.get(workerId) ?? 0)!);
  }

  private select(policyName: RoutingPolicyName, candidates: WorkerCandidate[], request: RouteRequest) {
    const selection = this.policies[policyName].select({
      candidates,
      numPromptTokens: request.tokenIds.length,
      blockSize: this.options.blockSize,
      overlapWeight: request.overlapWeight ?? this.options.overlapWeight ?? 1,
    });
    const c = candidates.find((w) => w.workerId === selection.workerId) ?? pickMinimum(candidates, (w) => w.numActiveBlocks, this.random);
    return { ...c, reason: selection.reason };
  }

  private record(request: RouteRequest, decision: RoutingDecision, hashes: bigint[]): void {
    const numNewBlocks = Math.max(0, Math.ceil(request.tokenIds.length / this.options.blockSize) - decision.overlapBlocks);
    const numPrefillTokens = Math.max(0, request.tokenIds.length - decision.predictedCachedTokens);
    this.load.predict(request.requestId, decision.workerId, { numNewBlocks, numPrefillTokens, blockHashes: hashes });
    this.approx?.recordRouting(decision.workerId, hashes);
    if (this.replicaListeners.length === 0) return;
    this.emitReplica({
      type: 'routed', routerId: this.routerId, requestId: request.requestId, workerId: decision.workerId,
      numNewBlocks, numPrefillTokens, blockHashes: hashes,
    });
  }

  private emitReplica(event: RouterReplicaEvent): void {
    for (const l of this.replicaListeners) l(event);
  }

  private reject(error: RoutingError, request: RouteRequest): Result<RoutingDecision, RoutingError> {
    this.options.observer?.onRejected?.(error, request);
    return err(error);
  }
}
