// The gateway's view of its workers: feeds the Router with their KV events and loads, dispatches
// requests to the worker the Router picks and relays each request's engine events back.
// Invariants: every dispatched request gets exactly one terminal event (finished/failed), also
// when its worker dies; router.finish runs exactly once per dispatched attempt, at that attempt's end
// (a request re-routed or migrated to another worker is a new attempt, see request-migration.ts);
// a query to the workers (metrics, audit, reset) settles within `queryDeadlineMs`, answered or not, and is
// not sent to a worker the canary health check marked unhealthy (it counts as unanswered at once).

import {
  queryAnsweredBy, readsPrefixCache,
  type AllocatorAudit, type EngineEvent, type GenerateRequest, type ModelRunnerInfo, type QueryType, type Router,
  type RoutingPolicyName, type WorkerConnection, type WorkerReport,
} from '@mini-dynamo/protocol';
import { fromRoutingError, unavailable } from './api-error.js';
import { CanaryHealthCheck, type CanaryHost, type HealthCheckOptions } from './canary-health-check.js';
import { DEFAULT_MIGRATION_LIMIT, dispatchMigrating, routedTokenIds, type Dispatched, type MigrationOptions } from './request-migration.js';

export interface RouteOverrides {
  policy?: RoutingPolicyName;
  overlapWeight?: number;
}

type Listener = (event: EngineEvent) => void;

/**
 * Backstop for a worker that never answers a query (a remote connection's own HTTP timeouts come
 * first): below Prometheus' default 10 s scrape timeout, so GET /metrics still answers.
 */
export const DEFAULT_QUERY_DEADLINE_MS = 8000;

/** One worker's answer to a query, or why there is none (`asked` false: unhealthy, so not asked). */
type Answer<T> = { workerId: string; ok: true; value: T } | { workerId: string; ok: false; message: string; asked: boolean };

interface Member {
  connection: WorkerConnection;
  info: ModelRunnerInfo | null;
  inFlight: Map<string, Listener>;
  /** FIFO per query type: a waiter past its deadline stays queued so that the late answer pairs with it. */
  waiting: Map<QueryType, ((report: WorkerReport) => void)[]>;
}

export class WorkerPool {
  private readonly members = new Map<string, Member>();
  private closing = false;
  /** Canary health checks (--health-check-enabled); null: off, every ready worker is routed to. */
  private readonly health: CanaryHealthCheck | null;

  constructor(
    private readonly router: Router,
    private readonly log: (line: string) => void = () => {},
    private readonly queryDeadlineMs = DEFAULT_QUERY_DEADLINE_MS,
    private readonly migration: MigrationOptions = { limit: DEFAULT_MIGRATION_LIMIT },
    healthCheck: HealthCheckOptions | null = null,
  ) {
    this.health = healthCheck ? new CanaryHealthCheck(this.canaryHost(), healthCheck, log) : null;
  }

  add(connection: WorkerConnection): void {
    const member: Member = { connection, info: null, inFlight: new Map(), waiting: new Map() };
    this.members.set(connection.workerId, member);
    connection.onReport((report) => this.receive(member, report));
    connection.onClosed((reason) => this.drop(member, reason));
    connection.ready.then((info) => {
      if (!this.members.has(connection.workerId)) return;
      member.info = info;
      this.router.addWorker(connection.workerId, info.numBlocks);
      this.health?.watch(connection.workerId);
    }, () => {});
  }

  /** Runner info of the first ready worker (all workers serve the same model). */
  info(): ModelRunnerInfo | null {
    for (const m of this.members.values()) if (m.info) return m.info;
    return null;
  }

  /** Ready workers the canary health check has not marked unhealthy (those the router may choose). */
  numReady(): number {
    let n = 0;
    for (const [workerId, m] of this.members) if (m.info && this.health?.isHealthy(workerId) !== false) n++;
    return n;
  }

  /**
   * Routes and sends a request. A request whose worker dies is sent to another worker instead of
   * failing (request-migration.ts): routed again before its first token (up to MAX_DISPATCH_RETRIES
   * times), migrated with its tokens so far after it (up to the migration limit); the client sees one
   * uninterrupted stream. A request the client aborted is not migrated.
   */
  dispatch(request: GenerateRequest, overrides: RouteOverrides, listener: Listener): Dispatched {
    return dispatchMigrating(request, this.migration, {
      send: (attempt, relay) => this.dispatchOnce(attempt, overrides, relay),
      canMigrate: () => !this.closing,
      log: this.log,
    }, listener);
  }

  private dispatchOnce(request: GenerateRequest, overrides: RouteOverrides, listener: Listener): Dispatched {
    if (this.numReady() === 0) throw unavailable('No worker is ready yet.', 'no_workers', 2);
    const routed = this.router.route({
      requestId: request.requestId, tokenIds: routedTokenIds(request), cacheSalt: request.cacheSalt,
      readsPrefixCache: readsPrefixCache(request.sampling), ...overrides,
    });
    if (!routed.ok) throw fromRoutingError(routed.error);
    const member = this.members.get(routed.value.workerId);
    if (!member?.info) {
      this.router.finish(request.requestId);
      throw unavailable(`Router chose worker ${routed.value.workerId}, which is not ready.`, 'no_workers');
    }
    member.inFlight.set(request.requestId, listener);
    member.connection.send({ type: 'generate', request });
    return {
      decision: routed.value,
      abort: () => {
        if (member.inFlight.has(request.requestId)) member.connection.send({ type: 'abort', requestId: request.requestId });
      },
    };
  }

  /** The router saw a gap in a worker's KV events: ask that worker for a full snapshot. */
  requestSnapshot(workerId: string): void {
    this.members.get(workerId)?.connection.send({ type: 'snapshot' });
  }

  /** Allocator audit of every ready worker; rejects naming each worker that gave none. */
  async audit(): Promise<AllocatorAudit[]> {
    const answers = await this.askAll('audit', (r) => (r.type === 'audit' ? r.audit : null));
    const { values, failures } = split(answers);
    if (failures.length) throw new Error(`audit failed: ${failures.join('; ')}`);
    return values;
  }

  /**
   * Prometheus text of every ready worker that answered; a worker without an answer is skipped (and logged,
   * but not an unhealthy one at every scrape: its `dynamo_frontend_worker_up` 0 says it).
   */
  async metricsTexts(): Promise<string[]> {
    const answers = await this.askAll('metrics', (r) => (r.type === 'metrics' ? r.text : null));
    for (const a of answers) if (!a.ok && a.asked) this.log(`metrics of worker ${a.workerId} left out: ${a.message}`);
    return answers.flatMap((a) => (a.ok ? [a.value] : []));
  }

  /**
   * Empty every ready worker's prefix cache; resolves with each one's number of hashes dropped. A
   * thread worker's `cleared` KV event precedes its answer, so the router's index of it is empty by
   * then; a remote worker flushes that event to NATS before answering (a separate channel).
   * Throws a 503 naming the workers that did not confirm (the others did reset).
   */
  async resetPrefixCache(): Promise<number[]> {
    const answers = await this.askAll('reset_prefix_cache', (r) => (r.type === 'prefix_cache_reset' ? r.numBlocks : null));
    const { values, failures } = split(answers);
    if (failures.length === 0) return values;
    throw unavailable(`Prefix cache reset not confirmed by ${failures.length} of ${answers.length} workers: ${failures.join('; ')}`, 'worker_failed');
  }

  async close(): Promise<void> {
    this.closing = true;
    this.health?.stop();
    await Promise.all([...this.members.values()].map((m) => m.connection.close()));
  }

  /**
   * Asks every ready worker; one marked unhealthy is not asked (hung, it would hold the caller until the
   * deadline) and counts as unanswered at once, so audit and reset still name it.
   */
  private askAll<T>(type: QueryType, pick: (r: WorkerReport) => T | null): Promise<Answer<T>[]> {
    const ready = [...this.members.values()].filter((m) => m.info);
    return Promise.all(ready.map((m) => {
      const workerId = m.connection.workerId;
      if (this.health?.isHealthy(workerId) !== false) return this.ask(m, type, pick);
      return { workerId, ok: false, asked: false, message: `worker ${workerId} is unhealthy (canary health check), not asked` } as const;
    }));
  }

  private ask<T>(m: Member, type: QueryType, pick: (r: WorkerReport) => T | null): Promise<Answer<T>> {
    return new Promise<Answer<T>>((resolve) => {
      const workerId = m.connection.workerId;
      const fail = (message: string) => resolve({ workerId, ok: false, asked: true, message });
      const timer = setTimeout(() => fail(`worker ${workerId} did not answer ${type} within ${this.queryDeadlineMs} ms`), this.queryDeadlineMs);
      const queue = m.waiting.get(type) ?? [];
      m.waiting.set(type, queue);
      queue.push((r) => {
        clearTimeout(timer);
        const value = pick(r);
        if (value !== null) resolve({ workerId, ok: true, value });
        else fail(r.type === 'fatal' || r.type === 'query_failed' ? r.message : `worker ${workerId} answered ${type} with ${r.type}`);
      });
      m.connection.send({ type });
    });
  }

  private receive(member: Member, report: WorkerReport): void {
    switch (report.type) {
      case 'event': return this.relay(member, report.event);
      case 'kv': return this.router.applyKvEvent(report.event);
      case 'load': return this.router.updateLoad(report.load);
      case 'snapshot':
        this.router.applySnapshot(report.snapshot);
        return this.answer(member, report);
      case 'audit': case 'metrics': case 'prefix_cache_reset': case 'query_failed': return this.answer(member, report);
      case 'fatal': return this.log(`worker ${member.connection.workerId}: fatal: ${report.message}`);
      case 'ready': return;
    }
  }

  private answer(member: Member, report: WorkerReport): void {
    const query = queryAnsweredBy(report);
    const waiter = query === null ? undefined : member.waiting.get(query)?.shift();
    if (waiter) waiter(report);
    else if (report.type === 'query_failed') this.log(`worker ${member.connection.workerId}: ${report.message}`); // e.g. a resync snapshot
  }

  private relay(member: Member, event: EngineEvent): void {
    this.health?.noteEvent(member.connection.workerId, event);
    const listener = member.inFlight.get(event.requestId);
    if (!listener) return;
    if (event.kind !== 'tokens') this.settle(member, event.requestId);
    listener(event);
  }

  private settle(member: Member, requestId: string): void {
    member.inFlight.delete(requestId);
    this.router.finish(requestId);
  }

  /** Canaries go straight to the worker (never through the router: no load prediction, no request metrics). */
  private canaryHost(): CanaryHost {
    const ready = (workerId: string) => {
      const m = this.members.get(workerId);
      return m?.info && !this.closing ? { m, info: m.info } : null;
    };
    return {
      send: (workerId, request, listener) => {
        const r = ready(workerId);
        r?.m.inFlight.set(request.requestId, listener);
        r?.m.connection.send({ type: 'generate', request });
        return r !== null;
      },
      cancel: (workerId, requestId) => {
        const m = this.members.get(workerId);
        if (!m?.inFlight.delete(requestId)) return;
        m.connection.send({ type: 'abort', requestId });
        m.connection.release?.(requestId);
      },
      setRouted: (workerId, routed) => {
        const r = ready(workerId);
        if (r === null) return;
        if (!routed) return this.router.removeWorker(workerId); // its in-flight requests go on; it keeps streaming
        this.router.addWorker(workerId, r.info.numBlocks);
        r.m.connection.send({ type: 'snapshot' }); // its KV index was dropped with it: back warm
      },
    };
  }

  private drop(member: Member, reason: string): void {
    const workerId = member.connection.workerId;
    if (this.members.get(workerId) !== member) return;
    this.members.delete(workerId);
    this.health?.forget(workerId);
    if (member.info) this.router.removeWorker(workerId);
    if (!this.closing) this.log(`worker ${workerId} left: ${reason}`);
    for (const [requestId, listener] of [...member.inFlight]) {
      this.settle(member, requestId);
      listener({ kind: 'failed', requestId, error: { code: 'worker_failed', message: reason } });
    }
    for (const queue of member.waiting.values()) for (const w of queue.splice(0)) w({ type: 'fatal', message: reason });
  }
}

/** The answered values and the failure messages of a query's answers. */
function split<T>(answers: readonly Answer<T>[]): { values: T[]; failures: string[] } {
  const values: T[] = [];
  const failures: string[] = [];
  for (const a of answers) {
    if (a.ok) values.push(a.value);
    else failures.push(a.message);
  }
  return { values, failures };
}
