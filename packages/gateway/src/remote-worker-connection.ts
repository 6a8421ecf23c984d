// WorkerConnection to a standalone worker on another host: requests stream over HTTP (NDJSON
// EngineEvents from POST /generate), KV events and loads arrive over NATS, snapshots / audits /
// metrics are HTTP GETs, a prefix-cache reset a POST. Invariants: `closed` fires once (worker unreachable
// or silent past a timeout, its stream broke, discovery lost its heartbeat, or close()); after it no report
// is delivered and send is a no-op; every query gets exactly one report (its answer or `query_failed`) or
// the connection closes; every HTTP call but a generate stream's body has a deadline; a 401 (cluster token
// mismatch) closes it with `tokenRefused` set, so discovery ignores that worker instance until it restarts.

import type { NatsConnection, Subscription } from 'nats';
import {
  kvEventFromJson, workerLoadFromJson,
  type EngineEvent, type GenerateRequest, type ModelRunnerInfo, type WorkerCommand,
  type QueryType, type WorkerConnection, type WorkerReport, type WorkerTransport,
} from '@mini-dynamo/protocol';
import { NdjsonDecoder, isTerminalEvent, snapshotFromJson, subjects, type WorkerHeartbeat } from '@mini-dynamo/worker';
import { abortAfter, callDeadline } from './call-deadline.js';

const decoder = new TextDecoder();
/** Abort reason of a stream given up on purpose (release): not a worker failure. */
const RELEASED = new Error('stream released by the gateway');

/** Deadlines of the HTTP calls to one worker (a generate stream's body is not timed: long generations are legit). */
export interface RemoteWorkerTimeouts {
  /** Snapshot / audit / metrics / reset: the whole answer, body included. */
  queryMs: number;
  /** Fire-and-forget POST /abort. */
  abortMs: number;
  /** POST /generate until the response headers (the worker answers them before its first token). */
  generateHeadersMs: number;
}

export const DEFAULT_REMOTE_WORKER_TIMEOUTS: RemoteWorkerTimeouts = { queryMs: 5000, abortMs: 5000, generateHeadersMs: 10_000 };

type HttpMethod = 'GET' | 'POST';

export class RemoteWorkerConnection implements WorkerConnection {
  readonly transport: WorkerTransport = 'remote';
  readonly workerId: string;
  readonly instanceId: string;
  readonly url: string;
  readonly ready: Promise<ModelRunnerInfo>;
  private readonly reportListeners: ((report: WorkerReport) => void)[] = [];
  private readonly closedListeners: ((reason: string) => void)[] = [];
  private readonly streams = new Map<string, AbortController>();
  private readonly subscriptions: Subscription[];
  private closedReason: string | null = null;
  /** Aborted at close: cancels in-flight queries and aborts. */
  private readonly lifetime = new AbortController();
  private readonly timeouts: RemoteWorkerTimeouts;
  /** Authorization of every HTTP call (`Bearer <cluster token>`), empty without a token. */
  private readonly authHeaders: Record<string, string>;
  /** The worker answered 401: the gateway's --cluster-token is missing or differs from the worker's. */
  tokenRefused = false;

  constructor(heartbeat: WorkerHeartbeat, nats: NatsConnection, timeouts: Partial<RemoteWorkerTimeouts> = {}, clusterToken?: string) {
    this.timeouts = { ...DEFAULT_REMOTE_WORKER_TIMEOUTS, ...timeouts };
    this.authHeaders = clusterToken ? { authorization: `Bearer ${clusterToken}` } : {};
    this.workerId = heartbeat.workerId;
    this.instanceId = heartbeat.instanceId;
    this.url = heartbeat.url.replace(/\/$/, '');
    this.ready = Promise.resolve(heartbeat.info);
    this.subscriptions = [
      nats.subscribe(subjects.kvEvents(this.workerId), {
        callback: (_e, msg) => this.parsed(msg.data, (t) => ({ type: 'kv', event: kvEventFromJson(t) })),
      }),
      nats.subscribe(subjects.load(this.workerId), {
        callback: (_e, msg) => this.parsed(msg.data, (t) => this.loadReport(t)),
      }),
    ];
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  send(command: WorkerCommand): void {
    if (this.closedReason !== null) return;
    switch (command.type) {
      case 'generate': return void this.generate(command.request);
      case 'abort': return void this.post('/abort', { requestId: command.requestId });
      case 'snapshot': return void this.query('snapshot', 'GET', '/snapshot', (t) => {
        const snapshot = snapshotFromJson(t);
        return snapshot ? { type: 'snapshot', snapshot } : null;
      });
      case 'audit': return void this.query('audit', 'GET', '/audit', (t) => ({ type: 'audit', audit: JSON.parse(t) }));
      case 'metrics': return void this.query('metrics', 'GET', '/metrics', (text) => ({ type: 'metrics', text }));
      case 'reset_prefix_cache': return void this.query('reset_prefix_cache', 'POST', '/reset_prefix_cache', resetReplyFromJson);
      case 'shutdown': return; // a standalone worker's life is its own; the gateway only disconnects
    }
  }

  onReport(listener: (report: WorkerReport) => void): void {
    this.reportListeners.push(listener);
  }

  onClosed(listener: (reason: string) => void): void {
    if (this.closedReason !== null) queueMicrotask(() => listener(this.closedReason!));
    else this.closedListeners.push(listener);
  }

  async close(): Promise<void> {
    this.markClosed('disconnected by the gateway');
  }

  /**
   * Gives up one request's stream locally (a canary to a hung worker): its HTTP request is cancelled (a
   * standalone worker aborts the request when its client goes), no event follows, the connection stays.
   */
  release(requestId: string): void {
    this.streams.get(requestId)?.abort(RELEASED);
  }

  /** The worker is gone (heartbeat TTL expired, connection refused, stream broken). */
  markClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.lifetime.abort();
    for (const s of this.subscriptions) s.unsubscribe();
    for (const controller of this.streams.values()) controller.abort();
    this.streams.clear();
    for (const l of this.closedListeners.splice(0)) l(reason);
  }

  private emit(report: WorkerReport): void {
    if (this.closedReason !== null) return;
    for (const l of this.reportListeners) l(report);
  }

  /** A malformed NATS message (or one built to null) is skipped; gaps it causes trigger a resync. */
  private parsed(data: Uint8Array, build: (text: string) => WorkerReport | null): void {
    let report: WorkerReport | null;
    try {
      report = build(decoder.decode(data));
    } catch {
      return;
    }
    if (report !== null) this.emit(report);
  }

  /** A load that is not a WorkerLoad, or names another worker, never reaches the router. */
  private loadReport(text: string): WorkerReport | null {
    const load = workerLoadFromJson(text);
    return load !== null && load.workerId === this.workerId ? { type: 'load', load } : null;
  }

  private async generate(request: GenerateRequest): Promise<void> {
    const controller = new AbortController();
    this.streams.set(request.requestId, controller);
    const headersMs = this.timeouts.generateHeadersMs;
    const cancelHeadersTimer = abortAfter(controller, headersMs, `no response headers within ${headersMs} ms`);
    let terminal = false;
    try {
      const res = await fetch(`${this.url}/generate`, {
        // W3C trace context also as headers on the HTTP hop (the body carries it for the engine) — telemetry, issue 6
        method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json', ...request.traceContext, ...this.authHeaders }, signal: controller.signal,
      }).finally(cancelHeadersTimer);
      if (!res.ok || !res.body) {
        terminal = true;
        const bodyMs = this.timeouts.queryMs;
        const cancelBodyTimer = abortAfter(controller, bodyMs, `no error body within ${bodyMs} ms`);
        const detail = await res.text().finally(cancelBodyTimer);
        if (res.status === 401) return this.refused('POST /generate'); // closing re-routes the request
        return this.failRequest(request.requestId, 'internal', `worker ${this.workerId} answered ${res.status}: ${detail}`);
      }
      const ndjson = new NdjsonDecoder();
      for await (const chunk of res.body) {
        for (const event of ndjson.push(chunk as Uint8Array) as EngineEvent[]) {
          terminal ||= isTerminalEvent(event);
          this.emit({ type: 'event', event });
        }
      }
    } catch (e) {
      if (controller.signal.reason !== RELEASED) this.markClosed(`POST ${this.url}/generate on worker ${this.workerId}: ${failure(e)}`);
    } finally {
      this.streams.delete(request.requestId);
      if (!terminal && controller.signal.reason !== RELEASED) this.markClosed(`worker ${this.workerId} ended a stream without a terminal event`);
    }
  }

  /** A 401: this gateway's token is not the worker's. Closes for good (the pool re-routes unstarted requests). */
  private refused(call: string): void {
    this.tokenRefused = true;
    this.markClosed(`worker ${this.workerId} refused the cluster token (401 on ${call}): --cluster-token (MINI_DYNAMO_CLUSTER_TOKEN) must match on gateway and workers`);
  }

  private failRequest(requestId: string, code: 'internal' | 'worker_failed', message: string): void {
    this.emit({ type: 'event', event: { kind: 'failed', requestId, error: { code, message } } });
  }

  /** Fire-and-forget: a failure is ignored (the request's stream still ends it), but the call has a deadline. */
  private async post(path: string, body: unknown): Promise<void> {
    const deadline = callDeadline(this.lifetime.signal, this.timeouts.abortMs);
    await fetch(`${this.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...this.authHeaders }, signal: deadline.signal })
      .then((r) => r.body?.cancel())
      .catch(() => {})
      .finally(deadline.release);
  }

  /**
   * A request answered by one report. No answer in time or a broken connection closes the connection
   * (the worker is unreachable or hung); a non-2xx or unreadable answer from a live worker fails only this query.
   */
  private async query(type: QueryType, method: HttpMethod, path: string, build: (text: string) => WorkerReport | null): Promise<void> {
    const call = `${method} ${this.url}${path} on worker ${this.workerId}`;
    let status: number;
    let text: string;
    const deadline = callDeadline(this.lifetime.signal, this.timeouts.queryMs);
    try {
      const res = await fetch(`${this.url}${path}`, { method, headers: this.authHeaders, signal: deadline.signal });
      status = res.status;
      text = await res.text();
    } catch (e) {
      return this.markClosed(`${call}: ${failure(e)}`);
    } finally {
      deadline.release();
    }
    if (status === 401) return this.refused(`${method} ${path}`);
    if (status < 200 || status > 299) return this.failQuery(type, `${call} answered ${status}: ${text.slice(0, 200)}`);
    let report: WorkerReport | null = null;
    try {
      report = build(text);
    } catch {
      // unreadable: reported below
    }
    if (report) this.emit(report);
    else this.failQuery(type, `${call} answered ${status} with an unreadable body: ${text.slice(0, 200)}`);
  }

  private failQuery(query: QueryType, message: string): void {
    this.emit({ type: 'query_failed', query, message });
  }
}

/** Why a fetch failed, for a close reason: a timeout names its limit (abortAfter's message), a network error its cause. */
function failure(e: unknown): string {
  const error = e as Error & { cause?: unknown };
  if (error?.name === 'TimeoutError') return error.message;
  const cause = error?.cause as { message?: string; code?: string } | undefined;
  return `failed: ${cause?.message ?? cause?.code ?? error?.message ?? String(e)}`;
}

function resetReplyFromJson(text: string): WorkerReport {
  const numBlocks = (JSON.parse(text) as { numBlocks?: unknown }).numBlocks;
  if (!Number.isSafeInteger(numBlocks)) throw new Error(`unreadable reset reply: ${text.slice(0, 200)}`);
  return { type: 'prefix_cache_reset', numBlocks: numBlocks as number };
}
