// The shared contract of both prefix indexes (event-driven KvIndexer, approximate ApproxIndexer):
// which workers hold how many leading blocks of a chained block-hash sequence.
// Invariant: findMatches only reports workers with ≥ 1 matched block, counted from block 0.

import type { BlockHash } from '@mini-dynamo/protocol';

/** workerId → number of leading blocks of the query that worker holds. */
export type WorkerMatches = Map<string, number>;

export interface PrefixIndex {
  findMatches(blockHashes: readonly BlockHash[]): WorkerMatches;
  addWorker(workerId: string): void;
  /** Drops the worker and every block indexed for it. */
  removeWorker(workerId: string): void;
  /** Blocks indexed for one worker (0 when unknown). */
  numBlocks(workerId: string): number;
  workerIds(): string[];
}
