// Messages between a gateway and a worker, over any transport (worker thread, child process,
// HTTP + NATS). Everything is plain JSON-able except bigints, which transports encode as strings.

import type { EngineEvent, GenerateRequest } from './request.js';
import type { KvCacheEvent, KvCacheSnapshot } from './kv-events.js';
import type { WorkerLoad } from './worker-load.js';
import type { ModelRunnerInfo } from './model-runner.js';

export type WorkerCommand =
  | { type: 'generate'; request: GenerateRequest }
  | { type: 'abort'; requestId: string }
  | { type: 'snapshot' }
  | { type: 'audit' }
  | { type: 'metrics' }
  /** Drop every prefix-cache entry (vLLM's reset_prefix_cache); answered by `prefix_cache_reset`. */
  | { type: 'reset_prefix_cache' }
  | { type: 'shutdown' };

export interface AllocatorAudit {
  numTotalBlocks: number;
  numFreeBlocks: number;
  numUsedBlocks: number;
  orphanedBlocks: number[];
  refCountMismatches: { blockId: number; refCount: number; references: number }[];
  ok: boolean;
}

export type WorkerReport =
  | { type: 'ready'; workerId: string; info: ModelRunnerInfo }
  | { type: 'event'; event: EngineEvent }
  | { type: 'kv'; event: KvCacheEvent }
  | { type: 'load'; load: WorkerLoad }
  | { type: 'snapshot'; snapshot: KvCacheSnapshot }
  | { type: 'audit'; audit: AllocatorAudit }
  | { type: 'metrics'; text: string }
  /** Reply to `reset_prefix_cache`, sent after the worker's `cleared` KV event. */
  | { type: 'prefix_cache_reset'; numBlocks: number }
  /** A query this live worker could not answer (e.g. its HTTP endpoint answered 5xx); the connection stays open. */
  | { type: 'query_failed'; query: QueryType; message: string }
  | { type: 'fatal'; message: string };

/** Commands answered by exactly one report, its answer or `query_failed` (a transport pairs them with `queryAnsweredBy`). */
export type QueryType = Extract<WorkerCommand['type'], 'snapshot' | 'audit' | 'metrics' | 'reset_prefix_cache'>;

/** The query a report answers, or null for an unsolicited report (events, loads, ready, fatal). */
export function queryAnsweredBy(report: WorkerReport): QueryType | null {
  switch (report.type) {
    case 'snapshot': case 'audit': case 'metrics': return report.type;
    case 'prefix_cache_reset': return 'reset_prefix_cache';
    case 'query_failed': return report.query;
    default: return null;
  }
}
