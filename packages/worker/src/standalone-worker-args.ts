// `mini-dynamo worker` flags → StandaloneWorkerOptions, and the command itself
// (runStandaloneWorker: the gateway CLI dispatches its `worker` subcommand here).
// Invariant: bad flags give a usage message and exit code 2, never a stack trace.

import { parseArgs } from 'node:util';
import { defaultModelDir } from '@mini-dynamo/model';
import { startStandaloneWorker, type StandaloneWorkerOptions } from './standalone-worker.js';

export const WORKER_USAGE = `usage: mini-dynamo worker --nats <url> [--model <dir>] [--runner ort|mock] [--worker-id <id>]
  [--host 127.0.0.1] [--port 0] [--advertise-host <name>] [--block-size 16] [--num-blocks 1024]
  [--max-num-seqs N] [--max-num-batched-tokens N] [--max-model-len N] [--max-num-waiting N]
  [--served-model-name NAME] [--intra-op-threads N] [--mock-speedup X] [--heartbeat-ms 1000]
  [--device cpu|cuda] [--trace-file spans.jsonl]`;

export function parseWorkerArgs(argv: string[]): { ok: true; value: StandaloneWorkerOptions } | { ok: false; message: string } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        nats: { type: 'string' }, model: { type: 'string' }, runner: { type: 'string' }, 'worker-id': { type: 'string' },
        host: { type: 'string' }, port: { type: 'string' }, 'advertise-host': { type: 'string' },
        'block-size': { type: 'string' }, 'num-blocks': { type: 'string' }, 'max-num-seqs': { type: 'string' },
        'max-num-batched-tokens': { type: 'string' }, 'max-model-len': { type: 'string' }, 'max-num-waiting': { type: 'string' },
        'served-model-name': { type: 'string' }, 'intra-op-threads': { type: 'string' },
        'mock-speedup': { type: 'string' }, 'heartbeat-ms': { type: 'string' }, device: { type: 'string' },
        'trace-file': { type: 'string' },
      },
      strict: true,
    });
    if (!values.nats) return { ok: false, message: '--nats <url> is required' };
    const runner = values.runner ?? 'ort';
    if (runner !== 'ort' && runner !== 'mock') return { ok: false, message: `--runner must be ort or mock, got ${runner}` };
    const device = values.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') return { ok: false, message: `--device must be cpu or cuda, got ${device}` };
    /** A numeric flag: absent → dflt; otherwise a finite number ≥ min (an integer unless `real`), or a clear error. */
    const num = (name: string, v: string | undefined, dflt: number | undefined, min = 1, real = false) => {
      if (v === undefined) return dflt;
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n) || n < min || (!real && !Number.isInteger(n))) {
        throw new Error(`--${name} must be ${real ? 'a number' : 'an integer'} ≥ ${min}, got ${JSON.stringify(v)}`);
      }
      return n;
    };
    const options: StandaloneWorkerOptions = {
      natsUrl: values.nats,
      workerId: values['worker-id'] ?? `worker-${process.pid}`,
      runner, device,
      modelDir: values.model ?? defaultModelDir(),
      host: values.host ?? '127.0.0.1',
      port: num('port', values.port, 0, 0)!,
      blockSize: num('block-size', values['block-size'], 16)!,
      numBlocks: num('num-blocks', values['num-blocks'], 1024)!,
      maxNumSeqs: num('max-num-seqs', values['max-num-seqs'], undefined),
      maxNumBatchedTokens: num('max-num-batched-tokens', values['max-num-batched-tokens'], undefined),
      maxModelLen: num('max-model-len', values['max-model-len'], undefined),
      maxNumWaiting: num('max-num-waiting', values['max-num-waiting'], undefined, 0),
      intraOpNumThreads: num('intra-op-threads', values['intra-op-threads'], undefined),
      mockSpeedup: num('mock-speedup', values['mock-speedup'], undefined, 0.001, true),
      heartbeatMs: num('heartbeat-ms', values['heartbeat-ms'], 1000),
    };
    if (values['advertise-host']) options.advertiseHost = values['advertise-host'];
    if (values['served-model-name']) options.servedModelName = values['served-model-name'];
    if (values['trace-file']) options.tracing = { jsonlPath: values['trace-file'] }; // telemetry, issue 6
    return { ok: true, value: options };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Runs a standalone worker until SIGINT/SIGTERM; resolves with the process exit code. */
export async function runStandaloneWorker(argv: string[]): Promise<number> {
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
