// WorkerConnection to a standalone worker on another host: requests stream over HTTP (NDJSON
// EngineEvents from POST /generate), KV events and loads arrive over NATS, snapshots / audits /
// metrics are HTTP GETs, a prefix-cache reset a POST. Invariants: `closed` fires once (worker unreachable, its stream broke,
// discovery lost its heartbeat, or close()); after it no report is delivered and send is a no-op.

import type { NatsConnection, Subscription } from 'nats';
import {
  kvEventFromJson,
  type EngineEvent, type GenerateRequest, type ModelRunnerInfo, type WorkerCommand,
  type WorkerConnection, type WorkerLoad, type WorkerReport, type WorkerTransport,
} from '@mini-dynamo/protocol';
import { NdjsonDecoder, isTerminalEvent, snapshotFromJson, subjects, type WorkerHeartbeat } from '@mini-dynamo/worker';

const decoder = new TextDecoder();

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

  constructor(heartbeat: WorkerHeartbeat, nats: NatsConnection) {
    this.workerId = heartbeat.workerId;
    this.instanceId = heartbeat.instanceId;
    this.url = heartbeat.url.replace(/\/$/, '');
    this.ready = Promise.resolve(heartbeat.info);
    this.subscriptions = [
      nats.subscribe(subjects.kvEvents(this.workerId), {
        callback: (_e, msg) => this.parsed(msg.data, (t) => ({ type: 'kv', event: kvEventFromJson(t) })),
      }),
      nats.subscribe(subjects.load(this.workerId), {
        callback: (_e, msg) => this.parsed(msg.data, (t) => ({ type: 'load', load: JSON.parse(t) as WorkerLoad })),
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
      case 'snapshot': return void this.query('GET', '/snapshot', (t) => {
        const snapshot = snapshotFromJson(t);
        return snapshot ? { type: 'snapshot', snapshot } : null;
      });
      case 'audit': return void this.query('GET', '/audit', (t) => ({ type: 'audit', audit: JSON.parse(t) }));
      case 'metrics': return void this.query('GET', '/metrics', (text) => ({ type: 'metrics', text }));
      case 'reset_prefix_cache': return void this.query('POST', '/reset_prefix_cache', resetReplyFromJson);
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

  /** The worker is gone (heartbeat TTL expired, connection refused, stream broken). */
  markClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const s of this.subscriptions) s.unsubscribe();
    for (const controller of this.streams.values()) controller.abort();
    this.streams.clear();
    for (const l of this.closedListeners.splice(0)) l(reason);
  }

  private emit(report: WorkerReport): void {
    if (this.closedReason !== null) return;
    for (const l of this.reportListeners) l(report);
  }

  private parsed(data: Uint8Array, build: (text: string) => WorkerReport): void {
    let report: WorkerReport;
    try {
      report = build(decoder.decode(data));
    } catch {
      return; // a malformed NATS message is skipped; gaps it causes trigger a resync
    }
    this.emit(report);
  }

  private async generate(request: GenerateRequest): Promise<void> {
    const controller = new AbortController();
    this.streams.set(request.requestId, controller);
    let terminal = false;
    try {
      const res = await fetch(`${this.url}/generate`, {
        // W3C trace context also as headers on the HTTP hop (the body carries it for the engine) — telemetry, issue 6
        method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json', ...request.traceContext }, signal: controller.signal,
      });
      if (!res.ok || !res.body) {
        terminal = true;
        return this.failRequest(request.requestId, 'internal', `worker ${this.workerId} answered ${res.status}: ${await res.text()}`);
      }
      const ndjson = new NdjsonDecoder();
      for await (const chunk of res.body) {
        for (const event of ndjson.push(chunk as Uint8Array) as EngineEvent[]) {
          terminal ||= isTerminalEvent(event);
          this.emit({ type: 'event', event });
        }
      }
    } catch (e) {
      if (this.closedReason === null) this.markClosed(`worker ${this.workerId} at ${this.url} failed: ${(e as Error).cause ?? (e as Error).message}`);
    } finally {
      this.streams.delete(request.requestId);
      if (!terminal && this.closedReason === null) this.markClosed(`worker ${this.workerId} ended a stream without a terminal event`);
    }
  }

  private failRequest(requestId: string, code: 'internal' | 'worker_failed', message: string): void {
    this.emit({ type: 'event', event: { kind: 'failed', requestId, error: { code, message } } });
  }

  private async post(path: string, body: unknown): Promise<void> {
    await fetch(`${this.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      .then((r) => r.body?.cancel())
      .catch(() => {});
  }

  /** A request answered by one report; a failed call or an unreadable answer (build throws) closes the connection. */
  private async query(method: 'GET' | 'POST', path: string, build: (text: string) => WorkerReport | null): Promise<void> {
    try {
      const res = await fetch(`${this.url}${path}`, { method });
      const report = build(await res.text());
      if (report) this.emit(report);
    } catch (e) {
      this.markClosed(`${method} ${path} on worker ${this.workerId} failed: ${(e as Error).cause ?? (e as Error).message}`);
    }
  }
}

function resetReplyFromJson(text: string): WorkerReport {
  const numBlocks = (JSON.parse(text) as { numBlocks?: unknown }).numBlocks;
  if (!Number.isSafeInteger(numBlocks)) throw new Error(`unreadable reset reply: ${text.slice(0, 200)}`);
  return { type: 'prefix_cache_reset', numBlocks: numBlocks as number };
}
