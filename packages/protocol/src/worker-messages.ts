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
  | { type: 'fatal'; message: string };
