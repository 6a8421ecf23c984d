// Builds the Engine a worker serves from WorkerOptions (runner + engine limits) and its tracing +
// engine telemetry: shared by the worker-thread entry and the standalone worker so both configure
// engines and metrics identically, structured outputs included. Expected failures (model files, graph build) are Results.

import { basename, resolve } from 'node:path';
import { Engine, type EngineObserver } from '@mini-dynamo/engine';
import { loadTokenizer } from '@mini-dynamo/model';
import { err, ok, type ModelRunner, type ModelRunnerInfo, type Result, type TokenConstraintFactory } from '@mini-dynamo/protocol';
import { createTokenConstraintFactory } from '@mini-dynamo/structured-output';
import { createTracing, type Tracing } from '@mini-dynamo/telemetry';
import { createEngineTelemetry, type EngineTelemetry } from './engine-telemetry.js';
import { createRunner, type RunnerBuildError } from './runner-factory.js';
import type { WorkerOptions } from './worker-options.js';

export interface WorkerEngine {
  engine: Engine;
  runner: ModelRunner;
  /** What the worker reports as `ready` (engine limits applied to the runner's info). */
  info: ModelRunnerInfo;
}

export async function createWorkerEngine(
  options: WorkerOptions, onProgress: (message: string) => void, observer?: EngineObserver,
): Promise<Result<WorkerEngine, RunnerBuildError>> {
  const runner = await createRunner(options, onProgress);
  if (!runner.ok) return err(runner.error);
  const engine = new Engine(runner.value, {
    workerId: options.workerId,
    constraintFactory: await createConstraintFactory(options.modelDir, onProgress),
    blockSize: options.blockSize,
    numBlocks: options.numBlocks,
    ...definedOnly({
      maxNumSeqs: options.maxNumSeqs,
      maxNumBatchedTokens: options.maxNumBatchedTokens,
      maxModelLen: options.maxModelLen,
      maxNumWaiting: options.maxNumWaiting,
      enablePrefixCaching: options.enablePrefixCaching,
      speculative: options.speculative,
      schedulingPolicy: options.schedulingPolicy,
    }),
  }, observer);
  const info = { ...runner.value.info, numBlocks: engine.config.numBlocks, maxModelLen: engine.maxSeqLen };
  return ok({ engine, runner: runner.value, info });
}

/**
 * Structured outputs over the model's own vocabulary (its tokenizer's token bytes); without a loadable tokenizer
 * the worker still serves, refusing structured-output requests. Built per worker: a factory holds closures.
 */
async function createConstraintFactory(modelDir: string, onProgress: (message: string) => void): Promise<TokenConstraintFactory | null> {
  const tokenizer = await loadTokenizer(modelDir);
  if (!tokenizer.ok) {
    onProgress(`structured outputs disabled: ${tokenizer.error.message}`);
    return null;
  }
  return createTokenConstraintFactory({ tokenBytes: tokenizer.value.tokenBytes(), eosTokenIds: tokenizer.value.eosTokenIds });
}

/** The worker's tracing and engine telemetry (`model` label: the served model name, else the folder's name). */
export function createWorkerTelemetry(
  options: WorkerOptions, collectProcessMetrics: boolean,
): { tracing: Tracing; telemetry: EngineTelemetry } {
  const tracing = createTracing({ ...options.tracing, serviceName: 'mini-dynamo-worker', instanceId: options.workerId });
  const telemetry = createEngineTelemetry({
    model: options.servedModelName ?? basename(resolve(options.modelDir)), workerId: options.workerId,
    collectProcessMetrics, tracing: tracing.recording ? tracing : null,
  });
  return { tracing, telemetry };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
