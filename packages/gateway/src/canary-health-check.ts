// Dynamo's canary health checks: a worker with no successful activity (a token or finished event, or a
// canary's success) for `waitMs` is sent a tiny canary generate (max_tokens 1, greedy); no success within
// `timeoutMs` marks it unhealthy — out of routing, its canary dropped — and it is probed every `waitMs`
// until a canary succeeds. Invariants: at most one canary per worker in flight; canaries bypass the router
// (no load prediction) and the HTTP layer (no request metrics); a worker's health changes only here.

import { DEFAULT_SAMPLING, type EngineEvent, type GenerateRequest } from '@mini-dynamo/protocol';

/** DYN_HEALTH_CHECK_ENABLED / DYN_CANARY_WAIT_TIME / DYN_HEALTH_CHECK_REQUEST_TIMEOUT, in ms. */
export interface HealthCheckOptions {
  /** Idle time (no successful activity) before a canary is sent; also the probe period of an unhealthy worker. */
  waitMs: number;
  /** A canary with no terminal success within this marks its worker unhealthy. */
  timeoutMs: number;
}

/** Dynamo's defaults: DYN_CANARY_WAIT_TIME 10 s, DYN_HEALTH_CHECK_REQUEST_TIMEOUT 3 s. */
export const DEFAULT_HEALTH_CHECK: HealthCheckOptions = { waitMs: 10_000, timeoutMs: 3_000 };

/** Request ids of canaries start with this (worker logs and traces can tell them from user requests). */
export const CANARY_REQUEST_PREFIX = 'canary-';

/** Dynamo's health_check_payload is a short prompt with max_tokens 1; these ids exist in any vocabulary ≥ 16. */
const CANARY_PROMPT_TOKEN_IDS = [1, 12, 13, 14];

/** What the checker needs from the worker pool. */
export interface CanaryHost {
  /** Sends the canary to the worker, its events to `listener`; false when the worker is not (or no longer) ready. */
  send(workerId: string, request: GenerateRequest, listener: (event: EngineEvent) => void): boolean;
  /** Stops relaying the canary's events and asks the worker to abort it (a hung one may never answer). */
  cancel(workerId: string, requestId: string): void;
  /** Put the worker back into routing (true) or take it out (false). */
  setRouted(workerId: string, routed: boolean): void;
}

interface WorkerHealth {
  healthy: boolean;
  lastActivityMs: number;
  /** When the next canary may go out (unhealthy workers: one probe per waitMs). */
  nextProbeAtMs: number;
  canary: { requestId: string; timer: NodeJS.Timeout } | null;
}

export class CanaryHealthCheck {
  private readonly workers = new Map<string, WorkerHealth>();
  private readonly ticker: NodeJS.Timeout;
  private numCanaries = 0;

  constructor(
    private readonly host: CanaryHost,
    private readonly options: HealthCheckOptions,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    const periodMs = Math.min(1000, Math.max(10, Math.min(options.waitMs, options.timeoutMs) / 4));
    this.ticker = setInterval(() => this.tick(), periodMs);
    this.ticker.unref();
  }

  /** A worker became ready: healthy, its idle clock starting now. */
  watch(workerId: string): void {
    const nowMs = this.now();
    this.workers.set(workerId, { healthy: true, lastActivityMs: nowMs, nextProbeAtMs: nowMs, canary: null });
  }

  /** The worker left the pool: forget it (its canary's listener is failed by the pool). */
  forget(workerId: string): void {
    const w = this.workers.get(workerId);
    if (w?.canary) clearTimeout(w.canary.timer);
    this.workers.delete(workerId);
  }

  /** false only for a watched worker whose last canary failed; an unknown worker is not judged here. */
  isHealthy(workerId: string): boolean {
    return this.workers.get(workerId)?.healthy ?? true;
  }

  /** Any token or finished event from the worker is activity: it postpones the next canary. */
  noteEvent(workerId: string, event: EngineEvent): void {
    const w = this.workers.get(workerId);
    if (w && event.kind !== 'failed') w.lastActivityMs = this.now();
  }

  stop(): void {
    clearInterval(this.ticker);
    for (const w of this.workers.values()) if (w.canary) clearTimeout(w.canary.timer);
  }

  private tick(): void {
    const nowMs = this.now();
    for (const [workerId, w] of this.workers) {
      if (w.canary !== null || nowMs < w.nextProbeAtMs) continue;
      if (w.healthy && nowMs - w.lastActivityMs < this.options.waitMs) continue;
      this.probe(workerId, w);
    }
  }

  private probe(workerId: string, w: WorkerHealth): void {
    const request = canaryRequest(`${CANARY_REQUEST_PREFIX}${workerId}-${++this.numCanaries}`);
    const timer = setTimeout(() => this.timedOut(workerId, w, request.requestId), this.options.timeoutMs);
    timer.unref();
    w.canary = { requestId: request.requestId, timer };
    const sent = this.host.send(workerId, request, (event) => {
      if (event.kind === 'tokens' || w.canary?.requestId !== request.requestId) return;
      this.settle(w);
      if (event.kind === 'finished') this.succeeded(workerId, w);
      else this.failed(workerId, w, `canary ${request.requestId} failed: ${event.error.message}`);
    });
    if (!sent) this.settle(w);
  }

  private timedOut(workerId: string, w: WorkerHealth, requestId: string): void {
    if (w.canary?.requestId !== requestId) return;
    this.settle(w);
    this.host.cancel(workerId, requestId);
    this.failed(workerId, w, `canary ${requestId} did not finish within ${this.options.timeoutMs} ms`);
  }

  private settle(w: WorkerHealth): void {
    if (w.canary) clearTimeout(w.canary.timer);
    w.canary = null;
    w.nextProbeAtMs = this.now() + this.options.waitMs;
  }

  private succeeded(workerId: string, w: WorkerHealth): void {
    w.lastActivityMs = this.now();
    if (w.healthy || this.workers.get(workerId) !== w) return;
    w.healthy = true;
    this.host.setRouted(workerId, true);
    this.log(`worker ${workerId} healthy again: canary succeeded, back in routing`);
  }

  private failed(workerId: string, w: WorkerHealth, why: string): void {
    if (!w.healthy || this.workers.get(workerId) !== w) return;
    w.healthy = false;
    this.host.setRouted(workerId, false);
    this.log(`worker ${workerId} unhealthy: ${why}; out of routing, probing every ${this.options.waitMs} ms`);
  }
}

/** Dynamo's health_check_payload: a few prompt tokens, one greedy output token, no cache salt. */
export function canaryRequest(requestId: string): GenerateRequest {
  return {
    requestId, promptTokenIds: [...CANARY_PROMPT_TOKEN_IDS], cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
    sampling: { ...DEFAULT_SAMPLING, stopTokenIds: [], temperature: 0, maxTokens: 1 },
  };
}

export function isCanaryRequestId(requestId: string): boolean {
  return requestId.startsWith(CANARY_REQUEST_PREFIX);
}
