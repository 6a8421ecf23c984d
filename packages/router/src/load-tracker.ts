// Per-worker load as the router predicts it (Dynamo's ActiveSequences): each routed request adds
// its new (not already cached) blocks and uncached prefill tokens to its worker at routing time,
// and its block hashes to the worker's active set; a WorkerLoad report replaces the counts of
// everything routed more than `reportGraceMs` before it arrived (the worker has seen those);
// finish(requestId) releases the request. Invariants: one prediction per requestId; the active
// set holds exactly the hashes of unfinished predictions; a removed worker leaves nothing behind.

import type { BlockHash, WorkerLoad } from '@mini-dynamo/protocol';
import { BlockOwners } from './block-owners.js';
import { WorkerSlots } from './worker-slots.js';

export interface LoadView {
  workerId: string;
  numActiveBlocks: number;
  numPrefillTokensQueued: number;
  numTotalBlocks: number;
  /** Requests routed here that have not finished. */
  numInFlight: number;
}

export interface PredictedRequest {
  numNewBlocks: number;
  numPrefillTokens: number;
  /** The prompt's block hashes (they become active on the worker). */
  blockHashes: readonly BlockHash[];
}

interface Prediction extends PredictedRequest {
  workerId: string;
  atMs: number;
}

interface WorkerLoadState {
  numTotalBlocks: number;
  report: WorkerLoad | null;
  reportReceivedAtMs: number;
  predictions: Set<Prediction>;
  /** hash → number of unfinished predictions holding it. */
  activeRefs: Map<BlockHash, number>;
}

export interface LoadTrackerOptions {
  reportGraceMs?: number;
  now?: () => number;
}

export class LoadTracker {
  private readonly workers = new WorkerSlots<WorkerLoadState>();
  private readonly activeOwners = new BlockOwners();
  private readonly byRequest = new Map<string, Prediction>();
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(options: LoadTrackerOptions = {}) {
    this.graceMs = options.reportGraceMs ?? 50;
    this.now = options.now ?? Date.now;
  }

  addWorker(workerId: string, numTotalBlocks: number): void {
    const entry = this.workers.get(workerId);
    if (entry) entry.state.numTotalBlocks = numTotalBlocks;
    else this.workers.add(workerId, { numTotalBlocks, report: null, reportReceivedAtMs: 0, predictions: new Set(), activeRefs: new Map() });
  }

  /** Drops the worker; returns the request ids still predicted on it. */
  removeWorker(workerId: string): string[] {
    const entry = this.workers.delete(workerId);
    if (!entry) return [];
    for (const h of entry.state.activeRefs.keys()) this.activeOwners.delete(h, entry.slot);
    const orphaned: string[] = [];
    for (const [requestId, p] of this.byRequest) {
      if (p.workerId !== workerId) continue;
      this.byRequest.delete(requestId);
      orphaned.push(requestId);
    }
    return orphaned;
  }

  has(workerId: string): boolean {
    return this.workers.get(workerId) !== undefined;
  }

  predict(requestId: string, workerId: string, request: PredictedRequest): void {
    const entry = this.workers.get(workerId);
    if (!entry) return;
    this.finish(requestId);
    const p: Prediction = { ...request, workerId, atMs: this.now() };
    entry.state.predictions.add(p);
    for (const h of p.blockHashes) {
      const n = entry.state.activeRefs.get(h) ?? 0;
      entry.state.activeRefs.set(h, n + 1);
      if (n === 0) this.activeOwners.add(h, entry.slot);
    }
    this.byRequest.set(requestId, p);
  }

  finish(requestId: string): void {
    const p = this.byRequest.get(requestId);
    if (!p) return;
    this.byRequest.delete(requestId);
    const entry = this.workers.get(p.workerId);
    if (!entry) return;
    entry.state.predictions.delete(p);
    for (const h of p.blockHashes) {
      const n = entry.state.activeRefs.get(h) ?? 0;
      if (n > 1) entry.state.activeRefs.set(h, n - 1);
      else {
        entry.state.activeRefs.delete(h);
        this.activeOwners.delete(h, entry.slot);
      }
    }
  }

  /** Worker of an in-flight prediction (null once finished or unknown). */
  workerOf(requestId: string): string | null {
    return this.byRequest.get(requestId)?.workerId ?? null;
  }

  /** Leading blocks of `hashes` that in-flight requests hold per worker (computed or being computed). */
  activeMatches(hashes: readonly BlockHash[]): Map<string, number> {
    return this.workers.toWorkerIds(this.activeOwners.matchPrefix(hashes));
  }

  updateLoad(load: WorkerLoad): void {
    const entry = this.workers.get(load.workerId);
    if (!entry) return;
    entry.state.report = load;
    entry.state.reportReceivedAtMs = this.now();
    if (load.numTotalBlocks > 0) entry.state.numTotalBlocks = load.numTotalBlocks;
  }

  view(workerId: string): LoadView | null {
    const st = this.workers.get(workerId)?.state;
    if (!st) return null;
    let numActiveBlocks = st.report?.numActiveBlocks ?? 0;
    let numPrefillTokensQueued = st.report?.numPrefillTokensQueued ?? 0;
    const cutoff = st.report === null ? -Infinity : st.reportReceivedAtMs - this.graceMs;
    for (const p of st.predictions) {
      if (p.atMs <= cutoff) continue;
      numActiveBlocks += p.numNewBlocks;
      numPrefillTokensQueued += p.numPrefillTokens;
    }
    return { workerId, numActiveBlocks, numPrefillTokensQueued, numTotalBlocks: st.numTotalBlocks, numInFlight: st.predictions.size };
  }
}
