// Finds standalone workers from their NATS heartbeats, with a TTL: a worker is up from its first
// heartbeat and down when none arrived for `ttlMs` (or its instance id changed: a restart).
// Invariant: onUp / onDown alternate per worker id; forget() lets the next heartbeat re-add it.

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

const decoder = new TextDecoder();

export class WorkerDiscovery {
  private readonly known = new Map<string, { instanceId: string; lastSeenMs: number }>();
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

  /** Drop a worker without calling onDown (its connection closed itself). */
  forget(workerId: string): void {
    this.known.delete(workerId);
  }

  close(): void {
    clearInterval(this.timer);
    this.subscription.unsubscribe();
  }

  seen(hb: WorkerHeartbeat): void {
    const entry = this.known.get(hb.workerId);
    if (entry && entry.instanceId === hb.instanceId) {
      entry.lastSeenMs = this.now();
      return;
    }
    if (entry) this.options.onDown(hb.workerId, 'worker restarted (new instance id)');
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
