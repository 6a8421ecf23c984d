// Per-worker load as the router predicts it (Dynamo's ActiveSequences): each routed request adds
// its new (not already cached) blocks and uncached prefill tokens to its worker at routing time
// and keeps its chained block hashes (the worker's active prefixes); a WorkerLoad report replaces
// the counts of everything routed more than `reportGraceMs` before it arrived (the worker has seen
// those); finish(requestId) releases the request. Invariants: one prediction per requestId; a
// removed worker leaves nothing behind. Chained hashes make a shared prefix = equal hash at its
// last block, so active overlap is a binary search per in-flight request (O(1) to record).

import type { BlockHash, WorkerLoad } from '@mini-dynamo/protocol';
import type { WorkerCandidate } from './routing-policy.js';

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
}

export interface LoadTrackerOptions {
  reportGraceMs?: number;
  now?: () => number;
}

export class LoadTracker {
  private readonly workers = new Map<string, WorkerLoadState>();
  private readonly byRequest = new Map<string, Prediction>();
  private readonly graceMs: number;
  private readonly now: () => number;
  private sumActiveBlocks = 0;
  private sumPrefillTokens = 0;

  constructor(options: LoadTrackerOptions = {}) {
    this.graceMs = options.reportGraceMs ?? 50;
    this.now = options.now ?? Date.now;
  }

  addWorker(workerId: string, numTotalBlocks: number): void {
    const st = this.workers.get(workerId);
    if (st) st.numTotalBlocks = numTotalBlocks;
    else this.workers.set(workerId, { numTotalBlocks, report: null, reportReceivedAtMs: 0, predictions: new Set() });
  }

  /** Drops the worker and every prediction still on it. */
  removeWorker(workerId: string): void {
    if (!this.workers.delete(workerId)) return;
    for (const [requestId, p] of this.byRequest) if (p.workerId === workerId) this.byRequest.delete(requestId);
  }

  has(workerId: string): boolean {
    return this.workers.has(workerId);
  }

  predict(requestId: string, workerId: string, request: PredictedRequest): void {
    const st = this.workers.get(workerId);
    if (!st) return;
    this.finish(requestId);
    const p: Prediction = { ...request, workerId, atMs: this.now() };
    st.predictions.add(p);
    this.byRequest.set(requestId, p);
  }

  finish(requestId: string): void {
    const p = this.byRequest.get(requestId);
    if (!p) return;
    this.byRequest.delete(requestId);
    this.workers.get(p.workerId)?.predictions.delete(p);
  }

  /** Worker of an in-flight prediction (null once finished or unknown). */
  workerOf(requestId: string): string | null {
    return this.byRequest.get(requestId)?.workerId ?? null;
  }

  /** Leading blocks of `hashes` that in-flight requests hold per worker (computed or being computed). */
  activeMatches(hashes: readonly BlockHash[]): Map<string, number> {
    const out = new Map<string, number>();
    if (hashes.length === 0) return out;
    this.workers.forEach((st, workerId) => { // forEach: no [key, value] pair per worker
      if (st.predictions.size === 0) return;
      let best = 0;
      for (const p of st.predictions) best = Math.max(best, sharedPrefix(p.blockHashes, hashes));
      if (best > 0) out.set(workerId, best);
    });
    return out;
  }

  updateLoad(load: WorkerLoad): void {
    const st = this.workers.get(load.workerId);
    if (!st) return;
    st.report = load;
    st.reportReceivedAtMs = this.now();
    if (load.numTotalBlocks > 0) st.numTotalBlocks = load.numTotalBlocks;
  }

  view(workerId: string): LoadView | null {
    const st = this.workers.get(workerId);
    if (!st) return null;
    this.sumPredicted(st);
    return {
      workerId, numActiveBlocks: this.sumActiveBlocks, numPrefillTokensQueued: this.sumPrefillTokens,
      numTotalBlocks: st.numTotalBlocks, numInFlight: st.predictions.size,
    };
  }

  /** The view as a routing candidate with its overlap: one object per worker and request. */
  candidate(workerId: string, overlapBlocks: number): WorkerCandidate | null {
    const st = this.workers.get(workerId);
    if (!st) return null;
    this.sumPredicted(st);
    return {
      workerId, overlapBlocks, numActiveBlocks: this.sumActiveBlocks, numPrefillTokensQueued: this.sumPrefillTokens,
      numTotalBlocks: st.numTotalBlocks,
    };
  }

  /** Report counts plus the predictions the report has not seen, into sumActiveBlocks / sumPrefillTokens. */
  private sumPredicted(st: WorkerLoadState): void {
    let numActiveBlocks = st.report?.numActiveBlocks ?? 0;
    let numPrefillTokensQueued = st.report?.numPrefillTokensQueued ?? 0;
    const cutoff = st.report === null ? -Infinity : st.reportReceivedAtMs - this.graceMs;
    for (const p of st.predictions) {
      if (p.atMs <= cutoff) continue;
      numActiveBlocks += p.numNewBlocks;
      numPrefillTokensQueued += p.numPrefillTokens;
    }
    this.sumActiveBlocks = numActiveBlocks;
    this.sumPrefillTokens = numPrefillTokensQueued;
  }
}

/** Leading blocks two chained-hash sequences share: equal at k-1 ⇔ equal up to k-1 (binary search). */
function sharedPrefix(a: readonly BlockHash[], b: readonly BlockHash[]): number {
  if (a.length === 0 || a[0] !== b[0]) return 0;
  let lo = 1; // a[lo-1] === b[lo-1]
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a[mid - 1] === b[mid - 1]) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
