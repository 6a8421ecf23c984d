// NATS subjects and payloads between standalone workers and gateways (multi-host topology).
// Workers publish heartbeats, KV events and loads; gateways publish discovery pings and replica
// sync. Invariant: worker ids are single NATS tokens (no dots, spaces or wildcards).

import type { ModelRunnerInfo } from '@mini-dynamo/protocol';

export const NATS_PREFIX = 'mini-dynamo';

export const subjects = {
  heartbeat: `${NATS_PREFIX}.worker.heartbeat`,
  /** Gateways ping this at startup; every worker answers with a heartbeat at once. */
  discover: `${NATS_PREFIX}.worker.discover`,
  kvEvents: (workerId: string) => `${NATS_PREFIX}.kv.${workerId}`,
  load: (workerId: string) => `${NATS_PREFIX}.load.${workerId}`,
  replica: `${NATS_PREFIX}.router.replica`,
} as const;

export interface WorkerHeartbeat {
  workerId: string;
  /** Random per process: a restarted worker with the same id is a new instance (event ids restart). */
  instanceId: string;
  /** Base URL of the worker's HTTP server (POST /generate, /abort, GET /snapshot, /metrics, /health). */
  url: string;
  info: ModelRunnerInfo;
  sentAtMs: number;
}

export function isValidWorkerId(workerId: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(workerId);
}

export function parseHeartbeat(text: string): WorkerHeartbeat | null {
  try {
    const hb = JSON.parse(text) as WorkerHeartbeat;
    if (typeof hb?.workerId !== 'string' || !isValidWorkerId(hb.workerId)) return null;
    if (typeof hb.instanceId !== 'string' || typeof hb.url !== 'string' || typeof hb.info !== 'object' || hb.info === null) return null;
    return hb;
  } catch {
    return null;
  }
}
