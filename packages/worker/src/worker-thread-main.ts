// Entry of a worker thread (spawned by ThreadWorkerConnection): builds the runner and Engine from
// workerData, reports `ready`, then serves parent messages through createWorkerHost.
// Invariant: any failure before or after ready ends in one `fatal` report, then the thread exits.

import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from '@mini-dynamo/engine';
import type { WorkerCommand } from '@mini-dynamo/protocol';
import type { ThreadMessage } from './thread-messages.js';
import { createRunner } from './runner-factory.js';
import { createWorkerHost } from './worker-host.js';
import type { WorkerOptions } from './worker-options.js';

const port = parentPort!;
const options = workerData as WorkerOptions;
const post = (message: ThreadMessage) => port.postMessage(message);

function fatal(message: string): void {
  post({ type: 'fatal', message });
  process.exit(1);
}

async function main(): Promise<void> {
  const progress = (message: string) => post({ type: 'progress', progress: { workerId: options.workerId, stage: 'load', message } });
  const runner = await createRunner(options, progress);
  if (!runner.ok) return fatal(`${runner.error.code}: ${runner.error.message}`);
  const engine = new Engine(runner.value, {
    workerId: options.workerId,
    blockSize: options.blockSize,
    ...definedOnly({
      numBlocks: options.numBlocks,
      maxNumSeqs: options.maxNumSeqs,
      maxNumBatchedTokens: options.maxNumBatchedTokens,
      maxModelLen: options.maxModelLen,
      maxNumWaiting: options.maxNumWaiting,
      enablePrefixCaching: options.enablePrefixCaching,
    }),
  });
  const host = createWorkerHost(engine, post, {
    ...(options.loadIntervalMs === undefined ? {} : { loadIntervalMs: options.loadIntervalMs }),
    onShutdown: () => {
      void runner.value.close().finally(() => port.close());
    },
  });
  port.on('message', (command: WorkerCommand) => {
    host.handle(command).catch((e: unknown) => fatal(`handling ${command.type}: ${(e as Error).stack ?? String(e)}`));
  });
  engine.run().catch((e: unknown) => fatal(`engine loop: ${(e as Error).stack ?? String(e)}`));
  post({
    type: 'ready',
    workerId: options.workerId,
    info: { ...runner.value.info, numBlocks: engine.config.numBlocks, maxModelLen: engine.maxSeqLen },
  });
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

main().catch((e: unknown) => fatal(`startup: ${(e as Error).stack ?? String(e)}`));
