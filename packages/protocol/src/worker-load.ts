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
