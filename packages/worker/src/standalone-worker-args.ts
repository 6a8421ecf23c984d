// `mini-dynamo worker` flags (or MINI_DYNAMO_* env vars, via FlagReader) → StandaloneWorkerOptions, the engine
// flags `serve` shares (ENGINE_FLAGS), and the command itself (runStandaloneWorker: the gateway CLI's `worker`).
// Invariant: bad flags give a usage message and exit code 2, never a stack trace.

import { defaultModelDir } from '@mini-dynamo/model';
import { parseSpeculativeConfig, SCHEDULING_POLICIES } from '@mini-dynamo/protocol';
import { flagEnvName, readFlags, type Env, type FlagReader } from './flag-reader.js';
import { startStandaloneWorker, type StandaloneWorkerOptions } from './standalone-worker.js';

export const WORKER_USAGE = `usage: mini-dynamo worker --nats <url> [--model <dir>] [--runner ort|mock] [--worker-id <id>]
  [--host 127.0.0.1] [--port 0] [--advertise-host <name>] [--block-size 16] [--num-blocks 1024]
  [--max-num-seqs N] [--max-num-batched-tokens N] [--max-model-len N] [--max-num-waiting N]
  [--served-model-name NAME] [--intra-op-threads N] [--mock-speedup X] [--heartbeat-ms 1000]
  [--device cpu|cuda] [--trace-file spans.jsonl] [--cluster-token TOKEN]
  [--speculative-config '{"method":"ngram","num_speculative_tokens":4}']   (n-gram speculative decoding, vLLM's JSON)
  [--scheduling-policy fcfs|priority]   (vLLM's; priority: a request's priority, lower first, orders the queues and preemption)
  (--cluster-token: NATS token + bearer token of the worker's HTTP routes; prefer MINI_DYNAMO_CLUSTER_TOKEN)
Each flag can also come from the environment, e.g. MINI_DYNAMO_NATS=nats://nats:4222, MINI_DYNAMO_WORKER_ID=w0.`;

/** Engine and runner flags `serve` and `worker` both take: same names, env vars and checks (readEngineFlags). */
export const ENGINE_FLAGS = {
  runner: 'string', device: 'string', 'block-size': 'string', 'num-blocks': 'string', 'max-num-seqs': 'string',
  'max-num-batched-tokens': 'string', 'max-model-len': 'string', 'max-num-waiting': 'string',
  'intra-op-threads': 'string', 'mock-speedup': 'string', 'speculative-config': 'string',
  'scheduling-policy': 'string',
} as const;

/** ENGINE_FLAGS → WorkerOptions fields; an absent flag (and env var) stays undefined for the caller's default. */
export function readEngineFlags(p: FlagReader<keyof typeof ENGINE_FLAGS>) {
  return {
    runner: p.oneOf('runner', ['ort', 'mock'] as const),
    device: p.oneOf('device', ['cpu', 'cuda'] as const),
    blockSize: p.int('block-size'),
    numBlocks: p.int('num-blocks'),
    maxNumSeqs: p.int('max-num-seqs'),
    maxNumBatchedTokens: p.int('max-num-batched-tokens'),
    maxModelLen: p.int('max-model-len'),
    maxNumWaiting: p.int('max-num-waiting', 0),
    intraOpNumThreads: p.int('intra-op-threads'),
    mockSpeedup: p.num('mock-speedup', 0.001),
    speculative: p.parsed('speculative-config', parseSpeculativeConfig),
    schedulingPolicy: p.oneOf('scheduling-policy', SCHEDULING_POLICIES),
  };
}

const FLAGS = {
  ...ENGINE_FLAGS, nats: 'string', model: 'string', 'worker-id': 'string', host: 'string', port: 'string',
  'advertise-host': 'string', 'served-model-name': 'string', 'heartbeat-ms': 'string', 'trace-file': 'string',
  'cluster-token': 'string',
} as const;

export type WorkerArgs = { ok: true; value: StandaloneWorkerOptions } | { ok: false; message: string };

/** Parses `worker` argv (flags win over MINI_DYNAMO_* env vars); a bad value is a message, never a throw. */
export function parseWorkerArgs(argv: string[], env: Env = process.env): WorkerArgs {
  try {
    const p = readFlags(FLAGS, argv, env);
    const natsUrl = p.string('nats');
    if (!natsUrl) return { ok: false, message: `--nats <url> (or ${flagEnvName('nats')}) is required` };
    const engine = readEngineFlags(p);
    const options: StandaloneWorkerOptions = {
      ...engine,
      natsUrl,
      workerId: p.string('worker-id') ?? `worker-${process.pid}`,
      runner: engine.runner ?? 'ort',
      device: engine.device ?? 'cpu',
      modelDir: p.string('model') ?? defaultModelDir(),
      host: p.string('host') ?? '127.0.0.1',
      port: p.int('port', 0) ?? 0,
      blockSize: engine.blockSize ?? 16,
      numBlocks: engine.numBlocks ?? 1024,
      heartbeatMs: p.int('heartbeat-ms') ?? 1000,
    };
    const advertiseHost = p.string('advertise-host');
    const servedModelName = p.string('served-model-name');
    const traceFile = p.string('trace-file');
    const clusterToken = p.secret('cluster-token');
    if (clusterToken) options.clusterToken = clusterToken;
    if (advertiseHost) options.advertiseHost = advertiseHost;
    if (servedModelName) options.servedModelName = servedModelName;
    if (traceFile) options.tracing = { jsonlPath: traceFile }; // telemetry, issue 6
    return { ok: true, value: options };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Runs a standalone worker until SIGINT/SIGTERM; resolves with the process exit code. */
export async function runStandaloneWorker(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(WORKER_USAGE);
    return 0;
  }
  const parsed = parseWorkerArgs(argv);
  if (!parsed.ok) {
    console.error(`${parsed.message}\n${WORKER_USAGE}`);
    return 2;
  }
  const started = await startStandaloneWorker(parsed.value);
  if (!started.ok) {
    console.error(`worker failed to start: ${started.error.code}: ${started.error.message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = () => void started.value.close().then(() => resolve(0), () => resolve(1));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
