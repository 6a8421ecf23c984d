// `mini-dynamo serve` flags → ServerOptions. Every flag also reads an env var:
// --max-num-seqs ↔ MINI_DYNAMO_MAX_NUM_SEQS. Invariant: a bad value throws one clear message naming the flag.

import { parseArgs } from 'node:util';
import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import type { BusyThresholds } from '@mini-dynamo/router';
import { DEFAULT_PORT, type ServerOptions } from './start-server.js';

const FLAGS = {
  model: 'string', workers: 'string', device: 'string', port: 'string', host: 'string', runner: 'string',
  router: 'string', 'overlap-weight': 'string', 'router-temperature': 'string', 'no-kv-events': 'boolean',
  'busy-kv-threshold': 'string', 'busy-prefill-threshold': 'string', 'on-all-busy': 'string',
  'block-size': 'string', 'num-blocks': 'string',
  'max-num-seqs': 'string', 'max-num-batched-tokens': 'string', 'max-model-len': 'string',
  'max-num-waiting': 'string', 'served-model-name': 'string', 'intra-op-threads': 'string',
  'mock-speedup': 'string', 'max-body-bytes': 'string', 'trace-file': 'string', nats: 'string', help: 'boolean',
} as const;

export const SERVE_USAGE = `usage: mini-dynamo serve [--model <folder>] [--workers 2] [--device cpu|cuda] [--port ${DEFAULT_PORT}]
         [--host 127.0.0.1] [--runner ort|mock] [--router kv|round_robin|random|least_loaded]
         [--overlap-weight W] [--router-temperature T] [--no-kv-events]
         [--busy-kv-threshold F] [--busy-prefill-threshold TOKENS] [--on-all-busy reject|least_loaded]
         [--block-size 16] [--num-blocks N] [--max-num-seqs N]
         [--max-num-batched-tokens N] [--max-model-len N] [--max-num-waiting N]
         [--served-model-name NAME] [--intra-op-threads N] [--mock-speedup X] [--max-body-bytes N]
         [--nats nats://host:4222]   (also serve standalone workers discovered over NATS; --workers 0 for none local)
         [--trace-file spans.jsonl]   (request spans; OTLP/HTTP too when OTEL_EXPORTER_OTLP_ENDPOINT is set)
       mini-dynamo worker ...   (standalone worker, see --help there)
Each flag can also come from the environment, e.g. MINI_DYNAMO_WORKERS=4, MINI_DYNAMO_NO_KV_EVENTS=1.`;

type FlagName = keyof typeof FLAGS;
type Values = Partial<Record<FlagName, string | boolean>>;
type Env = Record<string, string | undefined>;

export interface ServeArgs {
  server: ServerOptions;
  traceFile: string | undefined;
}

/** Parses `serve` argv (flags win over env vars); throws an Error with a clear message on a bad value. */
export function parseServeArgs(argv: string[], env: Env = process.env): ServeArgs {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([k, type]) => [k, { type }]));
  const { values } = parseArgs({ args: argv, options, strict: true });
  const p = new FlagReader(values as Values, env);
  const server: ServerOptions = {
    modelDir: p.flag('model'),
    servedModelName: p.flag('served-model-name'),
    numWorkers: p.int('workers', p.flag('nats') === undefined ? 1 : 0),
    natsUrl: p.flag('nats'),
    device: p.oneOf('device', ['cpu', 'cuda'] as const),
    port: p.int('port', 0),
    host: p.flag('host'),
    runner: p.oneOf('runner', ['ort', 'mock'] as const),
    routerPolicy: p.oneOf<RoutingPolicyName>('router', ['kv', 'round_robin', 'random', 'least_loaded']),
    overlapWeight: p.num('overlap-weight'),
    routerTemperature: p.num('router-temperature'),
    useKvEvents: p.bool('no-kv-events') === true ? false : undefined,
    busyThresholds: busyThresholds(p),
    blockSize: p.int('block-size'),
    numBlocks: p.int('num-blocks'),
    maxNumSeqs: p.int('max-num-seqs'),
    maxNumBatchedTokens: p.int('max-num-batched-tokens'),
    maxModelLen: p.int('max-model-len'),
    maxNumWaiting: p.int('max-num-waiting', 0),
    intraOpNumThreads: p.int('intra-op-threads'),
    mockSpeedup: p.num('mock-speedup'),
    maxBodyBytes: p.int('max-body-bytes'),
  };
  return { server: withoutUndefined(server), traceFile: p.flag('trace-file') };
}

function busyThresholds(p: FlagReader): BusyThresholds | undefined {
  const t: BusyThresholds = withoutUndefined({
    kvUsage: p.fraction('busy-kv-threshold'),
    prefillTokens: p.int('busy-prefill-threshold'),
    onAllBusy: p.oneOf('on-all-busy', ['reject', 'least_loaded'] as const),
  });
  return Object.keys(t).length > 0 ? t : undefined;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

class FlagReader {
  constructor(private readonly values: Values, private readonly env: Env) {}

  flag(name: FlagName): string | undefined {
    const v = this.values[name];
    if (typeof v === 'string') return v;
    return this.env[envName(name)];
  }

  /** A boolean flag, or its env var as 1/true/0/false. */
  bool(name: FlagName): boolean | undefined {
    if (this.values[name] === true) return true;
    const raw = this.env[envName(name)];
    if (raw === undefined || raw === '') return undefined;
    if (raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    throw new Error(`${envName(name)} must be 1, true, 0 or false, got '${raw}'`);
  }

  int(name: FlagName, min = 1): number | undefined {
    const raw = this.flag(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
    return n;
  }

  num(name: FlagName): number | undefined {
    const raw = this.flag(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got '${raw}'`);
    return n;
  }

  /** A fraction in (0, 1]. */
  fraction(name: FlagName): number | undefined {
    const raw = this.flag(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !(n > 0 && n <= 1)) throw new Error(`--${name} must be a fraction in (0, 1], got '${raw}'`);
    return n;
  }

  oneOf<T extends string>(name: FlagName, allowed: readonly T[]): T | undefined {
    const raw = this.flag(name);
    if (raw === undefined) return undefined;
    if (!allowed.includes(raw as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
    return raw as T;
  }
}

function envName(name: FlagName): string {
  return `MINI_DYNAMO_${name.toUpperCase().replaceAll('-', '_')}`;
}
