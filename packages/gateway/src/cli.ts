#!/usr/bin/env node
// `mini-dynamo serve` (gateway + N worker threads on this host) and `mini-dynamo worker`
// (a standalone worker, provided by @mini-dynamo/worker). Every flag also reads an env var:
// --max-num-seqs ↔ MINI_DYNAMO_MAX_NUM_SEQS. Startup progress goes to stderr, the URL to stdout.

import { parseArgs } from 'node:util';
import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import { runStandaloneWorker } from '@mini-dynamo/worker';
import { startServer, DEFAULT_PORT, type ServerOptions } from './start-server.js';

const FLAGS = {
  model: 'string', workers: 'string', device: 'string', port: 'string', host: 'string', runner: 'string',
  router: 'string', 'overlap-weight': 'string', 'block-size': 'string', 'num-blocks': 'string',
  'max-num-seqs': 'string', 'max-num-batched-tokens': 'string', 'max-model-len': 'string',
  'max-num-waiting': 'string', 'served-model-name': 'string', 'intra-op-threads': 'string',
  'mock-speedup': 'string', 'max-body-bytes': 'string', 'trace-file': 'string', nats: 'string', help: 'boolean',
} as const;

const USAGE = `usage: mini-dynamo serve [--model <folder>] [--workers 2] [--device cpu|cuda] [--port ${DEFAULT_PORT}]
         [--host 127.0.0.1] [--runner ort|mock] [--router kv|round_robin|random|least_loaded]
         [--overlap-weight W] [--block-size 16] [--num-blocks N] [--max-num-seqs N]
         [--max-num-batched-tokens N] [--max-model-len N] [--max-num-waiting N]
         [--served-model-name NAME] [--intra-op-threads N] [--mock-speedup X] [--max-body-bytes N]
         [--nats nats://host:4222]   (also serve standalone workers discovered over NATS; --workers 0 for none local)
         [--trace-file spans.jsonl]   (request spans; OTLP/HTTP too when OTEL_EXPORTER_OTLP_ENDPOINT is set)
       mini-dynamo worker ...   (standalone worker, see --help there)
Each flag can also come from the environment, e.g. MINI_DYNAMO_WORKERS=4.`;

type Values = Partial<Record<keyof typeof FLAGS, string | boolean>>;

function flag(values: Values, name: keyof typeof FLAGS): string | undefined {
  const v = values[name];
  if (typeof v === 'string') return v;
  return process.env[`MINI_DYNAMO_${name.toUpperCase().replaceAll('-', '_')}`];
}

function int(values: Values, name: keyof typeof FLAGS, min = 1): number | undefined {
  const raw = flag(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

function num(values: Values, name: keyof typeof FLAGS): number | undefined {
  const raw = flag(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got '${raw}'`);
  return n;
}

function oneOf<T extends string>(values: Values, name: keyof typeof FLAGS, allowed: readonly T[]): T | undefined {
  const raw = flag(values, name);
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

function serveOptions(argv: string[]): { server: ServerOptions; traceFile: string | undefined } {
  const { values } = parseArgs({ args: argv, options: Object.fromEntries(Object.entries(FLAGS).map(([k, type]) => [k, { type }])), strict: true });
  const v = values as Values;
  const options: ServerOptions = {
    modelDir: flag(v, 'model'),
    servedModelName: flag(v, 'served-model-name'),
    numWorkers: int(v, 'workers', flag(v, 'nats') === undefined ? 1 : 0),
    natsUrl: flag(v, 'nats'),
    device: oneOf(v, 'device', ['cpu', 'cuda'] as const),
    port: int(v, 'port', 0),
    host: flag(v, 'host'),
    runner: oneOf(v, 'runner', ['ort', 'mock'] as const),
    routerPolicy: oneOf<RoutingPolicyName>(v, 'router', ['kv', 'round_robin', 'random', 'least_loaded']),
    overlapWeight: num(v, 'overlap-weight'),
    blockSize: int(v, 'block-size'),
    numBlocks: int(v, 'num-blocks'),
    maxNumSeqs: int(v, 'max-num-seqs'),
    maxNumBatchedTokens: int(v, 'max-num-batched-tokens'),
    maxModelLen: int(v, 'max-model-len'),
    maxNumWaiting: int(v, 'max-num-waiting', 0),
    intraOpNumThreads: int(v, 'intra-op-threads'),
    mockSpeedup: num(v, 'mock-speedup'),
    maxBodyBytes: int(v, 'max-body-bytes'),
  };
  const server = Object.fromEntries(Object.entries(options).filter(([, x]) => x !== undefined)) as ServerOptions;
  return { server, traceFile: flag(v, 'trace-file') };
}

/** Like uvicorn's graceful shutdown: requests in flight at the first SIGINT/SIGTERM may finish. */
const SHUTDOWN_GRACE_MS = 10_000;

async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help')) return void console.log(USAGE);
  const { server: options, traceFile } = serveOptions(argv);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const server = await startServer({
    ...options, tracing: traceFile ? { jsonlPath: traceFile } : {}, onProgress: (line) => console.error(`[${elapsed()}] ${line}`),
  });
  console.log(`mini-dynamo serving at ${server.url}  (OpenAI API: ${server.url}/v1, ready in ${elapsed()})`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    console.error(`${signal}: shutting down (in-flight requests get ${SHUTDOWN_GRACE_MS / 1000}s to finish; again to exit now)`);
    server.gateway.drain(SHUTDOWN_GRACE_MS)
      .then(() => server.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** `worker`: a standalone worker process (multi-host topology), owned by @mini-dynamo/worker. */
async function worker(argv: string[]): Promise<void> {
  process.exit(await runStandaloneWorker(argv));
}

async function main(): Promise<void> {
  const [command = 'serve', ...rest] = process.argv.slice(2);
  if (command === 'serve') return serve(rest);
  if (command === 'worker') return worker(rest);
  console.error(USAGE);
  process.exitCode = 2;
}

main().catch((e: unknown) => {
  console.error(`mini-dynamo: ${(e as Error).message}`);
  process.exit(1);
});
