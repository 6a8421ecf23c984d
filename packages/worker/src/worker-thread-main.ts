// Entry of a worker thread (spawned by ThreadWorkerConnection): builds the runner and Engine from
// workerData, reports `ready`, then serves parent messages through createWorkerHost; the engine's
// metrics (engine-telemetry) answer the `metrics` command. GPU gauges are not sampled here: the hosting
// process runs one poller for all its threads (process-gpu-metrics).
// Invariant: any failure before or after ready ends in one `fatal` report, then the thread exits.

import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerCommand } from '@mini-dynamo/protocol';
import type { ThreadMessage } from './thread-messages.js';
import { createWorkerEngine, createWorkerTelemetry } from './worker-engine.js';
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
  const { tracing, telemetry } = createWorkerTelemetry(options, false);
  const built = await createWorkerEngine(options, progress, telemetry.observer);
  if (!built.ok) return fatal(`${built.error.code}: ${built.error.message}`);
  const { engine, runner, info } = built.value;
  const host = createWorkerHost(telemetry.instrument(engine), post, {
    loadIntervalMs: options.loadIntervalMs,
    metricsText: () => telemetry.metricsText(),
    onShutdown: () => {
      void Promise.allSettled([runner.close(), tracing.shutdown()]).finally(() => port.close());
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
