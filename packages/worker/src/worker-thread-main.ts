// Entry of a worker thread (spawned by ThreadWorkerConnection): builds the runner and Engine from
// workerData, reports `ready`, then serves parent messages through createWorkerHost.
// Invariant: any failure before or after ready ends in one `fatal` report, then the thread exits.

import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerCommand } from '@mini-dynamo/protocol';
import type { ThreadMessage } from './thread-messages.js';
import { createWorkerEngine } from './worker-engine.js';
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
  const built = await createWorkerEngine(options, progress);
  if (!built.ok) return fatal(`${built.error.code}: ${built.error.message}`);
  const { engine, runner, info } = built.value;
  const host = createWorkerHost(engine, post, {
    loadIntervalMs: options.loadIntervalMs,
    onShutdown: () => {
      void runner.close().finally(() => port.close());
    },
  });
  port.on('message', (command: WorkerCommand) => {
    host.handle(command).catch((e: unknown) => fatal(`handling ${command.type}: ${(e as Error).stack ?? String(e)}`));
  });
  engine.run().catch((e: unknown) => fatal(`engine loop: ${(e as Error).stack ?? String(e)}`));
  post({
    type: 'ready',
    workerId: options.workerId,
    info,
  });
}

main().catch((e: unknown) => fatal(`startup: ${(e as Error).stack ?? String(e)}`));
