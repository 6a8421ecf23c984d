// Finds standalone workers from their NATS heartbeats, with a TTL: a worker is up from its first
// heartbeat and down when none arrived for `ttlMs` (or its instance id changed: a restart).
// A worker whose connection failed (hung, refused) is ejected: its heartbeats are ignored for a
// hold-off that doubles with each ejection in a row (outlier ejection), unless it restarts.
// Invariant: onUp / onDown alternate per worker id; eject() lets a later heartbeat re-add it.

import type { NatsConnection, Subscription } from 'nats';
import { parseHeartbeat, subjects, type WorkerHeartbeat } from '@mini-dynamo/worker';

export interface WorkerDiscoveryOptions {
  nats: NatsConnection;
  ttlMs?: number;
  onUp(heartbeat: WorkerHeartbeat): void;
  onDown(workerId: string, reason: string): void;
  now?: () => number;
}

export const DEFAULT_DISCOVERY_TTL_MS = 3000;
/** First hold-off after an ejection; each ejection in a row doubles it, up to the max. */
export const EJECTION_BASE_MS = 1000;
export const EJECTION_MAX_MS = 30_000;

interface Ejection { instanceId: string; untilMs: number; numEjections: number }

const decoder = new TextDecoder();

export class WorkerDiscovery {
  private readonly known = new Map<string, { instanceId: string; lastSeenMs: number }>();
  private readonly ejected = new Map<string, Ejection>();
  private readonly subscription: Subscription;
  private readonly timer: NodeJS.Timeout;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: WorkerDiscoveryOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_DISCOVERY_TTL_MS;
    this.now = options.now ?? Date.now;
    this.subscription = options.nats.subscribe(subjects.heartbeat, {
      callback: (_e, msg) => {
        const hb = parseHeartbeat(decoder.decode(msg.data));
        if (hb) this.seen(hb);
      },
    });
    options.nats.publish(subjects.discover);
    this.timer = setInterval(() => this.sweep(), Math.max(50, this.ttlMs / 4));
    this.timer.unref();
  }

  workerIds(): string[] {
    return [...this.known.keys()];
  }

  /**
   * Drop a worker without calling onDown (its connection closed itself) and ignore heartbeats of the
   * same instance for a hold-off: 1 s, 2 s, 4 s … 30 s for ejections in a row (the count restarts once
   * a worker stayed out of trouble for twice the max). Returns the hold-off in ms.
   */
  eject(workerId: string): number {
    const entry = this.known.get(workerId);
    this.known.delete(workerId);
    if (!entry) return 0;
    const now = this.now();
    const last = this.ejected.get(workerId);
    const inARow = last !== undefined && last.instanceId === entry.instanceId && now - last.untilMs < 2 * EJECTION_MAX_MS;
    const numEjections = inARow ? last.numEjections + 1 : 1;
    const holdOffMs = Math.min(EJECTION_MAX_MS, EJECTION_BASE_MS * 2 ** (numEjections - 1));
    this.ejected.set(workerId, { instanceId: entry.instanceId, untilMs: now + holdOffMs, numEjections });
    return holdOffMs;
  }

  /** Drop a worker that refused our cluster token and ignore this instance's heartbeats until it restarts. */
  refuse(workerId: string): void {
    const entry = this.known.get(workerId);
    this.known.delete(workerId);
    if (entry) this.ejected.set(workerId, { instanceId: entry.instanceId, untilMs: Number.POSITIVE_INFINITY, numEjections: 1 });
  }

  close(): void {
    clearInterval(this.timer);
    this.subscription.unsubscribe();
  }

  seen(hb: WorkerHeartbeat): void {
    const ejection = this.ejected.get(hb.workerId);
    if (ejection && ejection.instanceId === hb.instanceId && this.now() < ejection.untilMs) return;
    const entry = this.known.get(hb.workerId);
    if (entry && entry.instanceId === hb.instanceId) {
      entry.lastSeenMs = this.now();
      return;
    }
    if (entry) {
      this.known.delete(hb.workerId); // gone before onDown: the old instance's closing is not an ejection
      this.options.onDown(hb.workerId, 'worker restarted (new instance id)');
    }
    this.known.set(hb.workerId, { instanceId: hb.instanceId, lastSeenMs: this.now() });
    this.options.onUp(hb);
  }

  sweep(): void {
    const now = this.now();
    for (const [workerId, entry] of this.known) {
      if (now - entry.lastSeenMs <= this.ttlMs) continue;
      this.known.delete(workerId);
      this.options.onDown(workerId, `no heartbeat for ${now - entry.lastSeenMs} ms (TTL ${this.ttlMs} ms)`);
    }
  }
}
