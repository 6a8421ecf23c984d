// `mini-dynamo serve` flags → ServerOptions via @mini-dynamo/worker's FlagReader (engine flags shared with `worker`):
// --max-num-seqs ↔ MINI_DYNAMO_MAX_NUM_SEQS, flag wins. Invariant: a bad value throws one clear message naming the flag.

import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import type { BusyThresholds } from '@mini-dynamo/router';
import { ENGINE_FLAGS, readEngineFlags, readFlags, type Env, type FlagReader } from '@mini-dynamo/worker';
import { DEFAULT_PORT, type ServerOptions } from './start-server.js';
import { TOOL_CALL_PARSER_NAMES } from './tool-call-parser.js';
import { DEFAULT_HEALTH_CHECK, type HealthCheckOptions } from './canary-health-check.js';
import { autoToolChoiceParser } from './tool-call-parsers.js';

const FLAGS = {
  ...ENGINE_FLAGS, model: 'string', workers: 'string', port: 'string', host: 'string',
  router: 'string', 'overlap-weight': 'string', 'router-temperature': 'string', 'no-kv-events': 'boolean',
  'busy-kv-threshold': 'string', 'busy-prefill-threshold': 'string', 'on-all-busy': 'string',
  'served-model-name': 'string', 'max-body-bytes': 'string', 'trace-file': 'string', nats: 'string',
  'api-key': 'string', 'enable-auto-tool-choice': 'boolean', 'enable-tokenizer-info-endpoint': 'boolean', 'tool-call-parser': 'string', help: 'boolean',
  'cluster-token': 'string',
  'migration-limit': 'string',
  'health-check-enabled': 'boolean', 'canary-wait-time': 'string', 'health-check-request-timeout': 'string',
} as const;

export const SERVE_USAGE = `usage: mini-dynamo serve [--model <folder>] [--workers 2] [--device cpu|cuda] [--port ${DEFAULT_PORT}]
         [--host 127.0.0.1] [--runner ort|mock] [--router kv|round_robin|random|least_loaded]
         [--overlap-weight W] [--router-temperature T] [--no-kv-events]
         [--busy-kv-threshold F] [--busy-prefill-threshold TOKENS] [--on-all-busy reject|least_loaded]
         [--block-size 16] [--num-blocks N] [--max-num-seqs N]
         [--max-num-batched-tokens N] [--max-model-len N] [--max-num-waiting N]
         [--served-model-name NAME] [--intra-op-threads N] [--mock-speedup X] [--max-body-bytes N]
         [--speculative-config '{"method":"ngram","num_speculative_tokens":4}']   (n-gram speculative decoding, vLLM's JSON)
         [--scheduling-policy fcfs|priority]   (vLLM's; priority: requests' priority field, lower first; fcfs refuses priority ≠ 0)
         [--nats nats://host:4222]   (also serve standalone workers discovered over NATS; --workers 0 for none local)
         [--cluster-token TOKEN]   (NATS token + bearer token to the workers' HTTP; prefer MINI_DYNAMO_CLUSTER_TOKEN)
         [--migration-limit 3]   (times a request may move to another worker mid-stream when its worker dies; 0: off)
         [--health-check-enabled [--canary-wait-time 10] [--health-check-request-timeout 3]]   (canary health checks: a worker
             idle that long gets a 1-token canary; none finished in time → out of routing until one does; off by default)
         [--trace-file spans.jsonl]   (request spans; OTLP/HTTP too when OTEL_EXPORTER_OTLP_ENDPOINT is set)
         [--enable-auto-tool-choice --tool-call-parser hermes|llama3_json]   (tool_choice "auto", the default with tools)
         [--enable-tokenizer-info-endpoint]   (GET /tokenizer_info: tokenizer config + chat template, as vLLM; off by default)
         [--api-key KEY]   (require 'Authorization: Bearer KEY' on all but /health, /ready, /metrics, /version; prefer MINI_DYNAMO_API_KEY)
       mini-dynamo worker ...   (standalone worker, see --help there)
Each flag can also come from the environment, e.g. MINI_DYNAMO_WORKERS=4, MINI_DYNAMO_NO_KV_EVENTS=1.`;

type Flags = FlagReader<keyof typeof FLAGS>;

export interface ServeArgs {
  server: ServerOptions;
  traceFile: string | undefined;
}

/** Parses `serve` argv (flags win over env vars); throws an Error with a clear message on a bad value. */
export function parseServeArgs(argv: string[], env: Env = process.env): ServeArgs {
  const p = readFlags(FLAGS, argv, env);
  const server: ServerOptions = {
    ...readEngineFlags(p),
    modelDir: p.string('model'),
    servedModelName: p.string('served-model-name'),
    numWorkers: p.int('workers', p.string('nats') === undefined ? 1 : 0),
    natsUrl: p.string('nats'),
    port: p.int('port', 0),
    host: p.string('host'),
    routerPolicy: p.oneOf<RoutingPolicyName>('router', ['kv', 'round_robin', 'random', 'least_loaded']),
    overlapWeight: p.num('overlap-weight'),
    routerTemperature: p.num('router-temperature'),
    useKvEvents: p.bool('no-kv-events') === true ? false : undefined,
    busyThresholds: busyThresholds(p),
    maxBodyBytes: p.int('max-body-bytes'),
    apiKey: p.secret('api-key'),
    clusterToken: p.secret('cluster-token'),
    enableTokenizerInfoEndpoint: p.bool('enable-tokenizer-info-endpoint'),
    migrationLimit: p.int('migration-limit', 0),
    healthCheck: healthCheck(p),
    ...autoToolChoice(p),
  };
  return { server: withoutUndefined(server), traceFile: p.string('trace-file') };
}

/** Both auto-tool-choice flags or neither (vLLM's pair), checked now so `serve` fails before loading anything. */
function autoToolChoice(p: Flags): Pick<ServerOptions, 'enableAutoToolChoice' | 'toolCallParser'> {
  const enableAutoToolChoice = p.bool('enable-auto-tool-choice');
  const toolCallParser = p.oneOf('tool-call-parser', TOOL_CALL_PARSER_NAMES);
  autoToolChoiceParser(enableAutoToolChoice, toolCallParser);
  return { enableAutoToolChoice, toolCallParser };
}

/** Dynamo's DYN_HEALTH_CHECK_ENABLED / DYN_CANARY_WAIT_TIME / DYN_HEALTH_CHECK_REQUEST_TIMEOUT (seconds). */
function healthCheck(p: Flags): HealthCheckOptions | undefined {
  const enabled = p.bool('health-check-enabled');
  const waitS = p.num('canary-wait-time', 0.001);
  const timeoutS = p.num('health-check-request-timeout', 0.001);
  const tuned = waitS !== undefined || timeoutS !== undefined;
  if (enabled === undefined && tuned) throw new Error('--canary-wait-time / --health-check-request-timeout need --health-check-enabled');
  if (enabled !== true) return undefined;
  return {
    waitMs: waitS === undefined ? DEFAULT_HEALTH_CHECK.waitMs : waitS * 1000,
    timeoutMs: timeoutS === undefined ? DEFAULT_HEALTH_CHECK.timeoutMs : timeoutS * 1000,
  };
}

function busyThresholds(p: Flags): BusyThresholds | undefined {
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
