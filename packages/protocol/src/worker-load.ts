// A worker's load as the router sees it (Dynamo's ForwardPassMetrics / worker load gauges).

export interface WorkerLoad {
  workerId: string;
  /** KV blocks held by running sequences (cached-but-free blocks do not count). */
  numActiveBlocks: number;
  numTotalBlocks: number;
  /** Prompt tokens admitted but not yet computed. */
  numPrefillTokensQueued: number;
  numRunning: number;
  numWaiting: number;
  /** Epoch milliseconds when the snapshot was taken. */
  timestampMs: number;
}

export function kvUsage(load: WorkerLoad): number {
  return load.numTotalBlocks === 0 ? 0 : load.numActiveBlocks / load.numTotalBlocks;
}

const COUNT_FIELDS = ['numActiveBlocks', 'numTotalBlocks', 'numPrefillTokensQueued', 'numRunning', 'numWaiting', 'timestampMs'] as const;

/**
 * A WorkerLoad from JSON off the wire (NATS), or null when it is not one: a string workerId and every
 * count a finite number ≥ 0, active blocks ≤ total. A load the router would turn into NaN costs never gets in.
 */
export function workerLoadFromJson(text: string): WorkerLoad | null {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (typeof o.workerId !== 'string') return null;
  for (const key of COUNT_FIELDS) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return null;
  }
  const load = o as unknown as WorkerLoad;
  if (load.numActiveBlocks > load.numTotalBlocks) return null;
  return {
    workerId: load.workerId, numActiveBlocks: load.numActiveBlocks, numTotalBlocks: load.numTotalBlocks,
    numPrefillTokensQueued: load.numPrefillTokensQueued, numRunning: load.numRunning, numWaiting: load.numWaiting,
    timestampMs: load.timestampMs,
  };
}
