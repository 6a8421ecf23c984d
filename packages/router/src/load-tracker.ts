// Per-worker load as the router predicts it (Dynamo's ActiveSequences): each routed request adds
// its blocks and uncached prefill tokens to its worker at routing time; a WorkerLoad report
// replaces everything routed more than `reportGraceMs` before the report arrived (the worker has
// seen those requests by then); finish(requestId) releases the request's prediction.
// Invariant: one prediction per requestId; a removed worker leaves no predictions behind.

import type { WorkerLoad } from '@mini-dynamo/protocol';

export interface LoadView {
  workerId: string;
  numActiveBlocks: number;
  numPrefillTokensQueued: number;
  numTotalBlocks: number;
  /** Requests routed here that have not finished. */
  numInFlight: number;
}

interface Prediction {
  workerId: string;
  numBlocks: number;
  numPrefillTokens: number;
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

  constructor(options: LoadTrackerOptions = {}) {
    this.graceMs = options.reportGraceMs ?? 50;
    this.now = options.now ?? Date.now;
  }

  addWorker(workerId: string, numTotalBlocks: number): void {
    const st = this.workers.get(workerId);
    if (st) st.numTotalBlocks = numTotalBlocks;
    else this.workers.set(workerId, { numTotalBlocks, report: null, reportReceivedAtMs: 0, predictions: new Set() });
  }

  /** Drops the worker; returns the request ids still predicted on it. */
  removeWorker(workerId: string): string[] {
    const st = this.workers.get(workerId);
    if (!st) return [];
    this.workers.delete(workerId);
    const orphaned: string[] = [];
    for (const [requestId, p] of this.byRequest) {
      if (p.workerId === workerId) {
        this.byRequest.delete(requestId);
        orphaned.push(requestId);
      }
    }
    return orphaned;
  }

  has(workerId: string): boolean {
    return this.workers.has(workerId);
  }

  workerIds(): string[] {
    return [...this.workers.keys()];
  }

  predict(requestId: string, workerId: string, numBlocks: number, numPrefillTokens: number): void {
    const st = this.workers.get(workerId);
    if (!st) return;
    this.finish(requestId);
    const p: Prediction = { workerId, numBlocks, numPrefillTokens, atMs: this.now() };
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
    let numActiveBlocks = st.report?.numActiveBlocks ?? 0;
    let numPrefillTokensQueued = st.report?.numPrefillTokensQueued ?? 0;
    const cutoff = st.report === null ? -Infinity : st.reportReceivedAtMs - this.graceMs;
    for (const p of st.predictions) {
      if (p.atMs <= cutoff) continue;
      numActiveBlocks += p.numBlocks;
      numPrefillTokensQueued += p.numPrefillTokens;
    }
    return { workerId, numActiveBlocks, numPrefillTokensQueued, numTotalBlocks: st.numTotalBlocks, numInFlight: st.predictions.size };
  }
}
