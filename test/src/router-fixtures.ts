// Fixtures for the router's multi-host tests: a real nats-server on a free loopback port,
// standalone worker processes (mock runner), and gateways (Router + WorkerPool + multi-host).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultModelDir } from '@mini-dynamo/model';
import { createRouter, type MiniRouter, type RouterOptions } from '@mini-dynamo/router';
import { WorkerPool, connectMultiHost, type MultiHost } from '@mini-dynamo/gateway';
import { samplingParams, type EngineEvent, type GenerateRequest } from '@mini-dynamo/protocol';

const WORKER_MAIN = fileURLToPath(new URL('../../packages/worker/dist/standalone-worker-main.js', import.meta.url));

// One nats-server starter and polling wait for every multi-host test (gateway's unit tests use them too).
export { startNatsServer, waitUntil as waitFor, type NatsServer } from '@mini-dynamo/gateway/testing';

export interface WorkerProcess {
  workerId: string;
  proc: ChildProcess;
  kill(): void;
}

export function spawnWorker(natsUrl: string, workerId: string, extra: string[] = []): WorkerProcess {
  const proc = spawn(process.execPath, [
    WORKER_MAIN, '--nats', natsUrl, '--worker-id', workerId, '--runner', 'mock', '--model', defaultModelDir(),
    '--mock-speedup', '20', '--heartbeat-ms', '200', '--num-blocks', '512', ...extra,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  proc.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`worker ${workerId} exited ${code}: ${stderr}`);
  });
  return { workerId, proc, kill: () => void proc.kill('SIGKILL') };
}

export interface TestGateway {
  router: MiniRouter;
  pool: WorkerPool;
  multiHost: MultiHost;
  /** The pool's log lines (worker left, request retried). */
  logs: string[];
  generate(requestId: string, tokenIds: number[], maxTokens?: number): Promise<GenerateOutcome>;
  close(): Promise<void>;
}

export interface GenerateOutcome {
  workerId: string;
  overlapBlocks: number;
  events: EngineEvent[];
  terminal: EngineEvent;
}

export async function startTestGateway(natsUrl: string, routerOptions: Partial<RouterOptions> = {}): Promise<TestGateway> {
  let pool: WorkerPool | null = null;
  const router = createRouter({ policy: 'kv', blockSize: 16, requestResync: (w) => pool?.requestSnapshot(w), ...routerOptions });
  const logs: string[] = [];
  pool = new WorkerPool(router, (line) => logs.push(line));
  const p = pool;
  const multiHost = await connectMultiHost({ natsUrl, router, addWorker: (c) => p.add(c), discoveryTtlMs: 1000, log: () => {} });
  const generate = (requestId: string, tokenIds: number[], maxTokens = 4) => new Promise<GenerateOutcome>((resolve, reject) => {
    const request: GenerateRequest = {
      requestId, promptTokenIds: tokenIds, sampling: samplingParams({ maxTokens, ignoreEos: true, temperature: 0 }),
      cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
    };
    const events: EngineEvent[] = [];
    try {
      const d = p.dispatch(request, {}, (event) => {
        events.push(event);
        if (event.kind !== 'tokens') resolve({ workerId: d.decision.workerId, overlapBlocks: d.decision.overlapBlocks, events, terminal: event });
      });
    } catch (e) {
      reject(e as Error);
    }
  });
  return {
    router, pool: p, multiHost, generate, logs,
    close: async () => {
      await multiHost.close();
      await p.close();
    },
  };
}

/** n pseudo-random token ids in [3, 503) from a seed: different seeds give different prompts. */
export function tokens(n: number, seed: number): number[] {
  let x = (seed * 7919 + 17) >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 3 + ((x >>> 8) % 500);
  });
}
