// What a worker needs to build its ModelRunner and Engine; travels as worker_thread workerData
// (and as CLI flags for the standalone worker). Plain JSON, no functions.

import type { SchedulingPolicy, SpeculativeConfig } from '@mini-dynamo/protocol';
import type { TracingOptions } from '@mini-dynamo/telemetry';

/** TracingOptions that survive structured cloning (no exporters) and name no service. */
export type PlainTracingOptions = Omit<TracingOptions, 'serviceName' | 'instanceId' | 'exporters'>;

export type RunnerKind = 'ort' | 'mock';
export type Device = 'cpu' | 'cuda';

export interface WorkerOptions {
  workerId: string;
  runner: RunnerKind;
  /** Model folder (HF folder or llama2.c checkpoint folder); the mock runner only reads its config. */
  modelDir: string;
  /** The `model` metric label (the gateway's served model name; default: the folder's name). */
  servedModelName?: string;
  device: Device;
  blockSize: number;
  /** KV blocks per worker; default: the runner's own (ORT sizes it from the model; mock 2048). */
  numBlocks?: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  maxModelLen?: number;
  /** Waiting-queue bound: beyond it `generate` fails with `overloaded`. */
  maxNumWaiting?: number;
  enablePrefixCaching?: boolean;
  /** n-gram speculative decoding (--speculative-config); absent = off. */
  speculative?: SpeculativeConfig;
  /** vLLM --scheduling-policy fcfs|priority (request `priority`, lower first); absent = fcfs. */
  schedulingPolicy?: SchedulingPolicy;
  /** ORT intra-op threads per worker (a 2-core host runs 2 workers × 1 thread). */
  intraOpNumThreads?: number;
  /** Mock runner only: divide its modelled step time by this factor. */
  mockSpeedup?: number;
  /** Span recording (JSONL file, sampling, per-step spans); OTLP export follows OTEL_* env vars. */
  tracing?: PlainTracingOptions;
  /** Period of unsolicited load reports (a report also follows every engine step). */
  loadIntervalMs?: number;
}

/** Progress lines a worker emits while loading (model load, graph build); transport-private. */
export interface WorkerProgress {
  workerId: string;
  stage: string;
  message: string;
}
