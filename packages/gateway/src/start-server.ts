// startServer(): the whole single-host stack from options — tokenizer, router, N worker threads
// (each an Engine + runner), the gateway — as used by `serve`, tests and benches.
// Invariant: resolves only when every worker is ready; on any startup failure everything is closed.

import { cpus } from 'node:os';
import { basename, resolve } from 'node:path';
import { defaultModelDir, loadTokenizer } from '@mini-dynamo/model';
import type { AllocatorAudit, RoutingPolicyName } from '@mini-dynamo/protocol';
import { createRouter, type BusyThresholds } from '@mini-dynamo/router';
import { connectMultiHost, type MultiHost } from './multi-host.js';
import { createTracing } from '@mini-dynamo/telemetry';
import { acquireProcessGpuMetrics, redactNatsUrl, ThreadWorkerConnection, type ProcessGpuMetrics, type WorkerOptions } from '@mini-dynamo/worker';
import { startGateway, type GatewayHandle } from './gateway-server.js';
import { combineObservers, type GenerationObserver } from './generation-observer.js';
import { activeTraceCarrier, GatewayTelemetry } from './request-telemetry.js';
import type { ToolCallParserName } from './tool-call-parser.js';
import { autoToolChoiceParser } from './tool-call-parsers.js';
import { DEFAULT_MIGRATION_LIMIT } from './request-migration.js';
import type { HealthCheckOptions } from './canary-health-check.js';

/** Gateway options plus the engine/runner options every worker gets (WorkerOptions, less its id). */
export interface ServerOptions extends Partial<Omit<WorkerOptions, 'workerId'>> {
  /** OpenAI model id (default: the model folder's name). */
  servedModelName?: string;
  numWorkers?: number;
  /** Multi-host: also serve standalone workers found over this NATS server (0 local workers is fine then). */
  natsUrl?: string;
  /** Multi-host shared secret: NATS token + bearer token of the workers' HTTP routes (--cluster-token). */
  clusterToken?: string;
  host?: string;
  port?: number;
  routerPolicy?: RoutingPolicyName;
  overlapWeight?: number;
  /** kv policy softmax temperature (0 = always the lowest cost). */
  routerTemperature?: number;
  /** false = approximate mode (Dynamo --no-kv-events): predict caches from routing decisions. */
  useKvEvents?: boolean;
  busyThresholds?: BusyThresholds;
  maxBodyBytes?: number;
  /** Require `Authorization: Bearer <apiKey>` on every route but /health, /ready, /metrics and /version (vLLM --api-key). */
  apiKey?: string;
  /** vLLM --enable-tokenizer-info-endpoint: serve GET /tokenizer_info (it shows the chat template and tokenizer config; off by default, as vLLM). */
  enableTokenizerInfoEndpoint?: boolean;
  /** vLLM --enable-auto-tool-choice: tool_choice "auto" (the default with tools) parsed by `toolCallParser`; needs it. */
  enableAutoToolChoice?: boolean;
  /** vLLM --tool-call-parser: the model's tool-call format; needs enableAutoToolChoice. */
  toolCallParser?: ToolCallParserName;
  /** Dynamo --migration-limit: times one request may move to another worker mid-stream when its worker dies (0: off; default 3). */
  migrationLimit?: number;
  /** Dynamo's canary health checks (--health-check-enabled): a hung worker leaves routing until a canary succeeds. Absent: off. */
  healthCheck?: HealthCheckOptions;
  /** Extra observer of every generation, besides the gateway's telemetry. */
  observer?: GenerationObserver;
  onProgress?: (line: string) => void;
  log?: (line: string) => void;
}

export interface ServerHandle {
  url: string;
  port: number;
  gateway: GatewayHandle;
  /** The local worker threads (close() takes one away as a worker leaving would, kill() as a crash would: fault drills, tests). */
  localWorkers: readonly ThreadWorkerConnection[];
  close(): Promise<void>;
  audit(): Promise<AllocatorAudit[]>;
}

export const DEFAULT_PORT = 8000;

export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  const progress = options.onProgress ?? (() => {});
  const toolCallParser = autoToolChoiceParser(options.enableAutoToolChoice, options.toolCallParser);
  const modelDir = options.modelDir ?? defaultModelDir();
  progress(`loading tokenizer from ${modelDir}`);
  const tokenizer = await loadTokenizer(modelDir);
  if (!tokenizer.ok) throw new Error(`cannot load the tokenizer: ${tokenizer.error.message}`);
  const numWorkers = options.numWorkers ?? 2;
  const blockSize = options.blockSize ?? 16;
  const modelName = options.servedModelName ?? basename(resolve(modelDir));
  const tracing = createTracing({ ...options.tracing, serviceName: 'mini-dynamo-gateway' });
  const telemetry = new GatewayTelemetry({ model: modelName, tracing });
  let gateway: GatewayHandle | null = null;
  const router = telemetry.router.instrument(createRouter({
    policy: options.routerPolicy ?? 'kv', blockSize, overlapWeight: options.overlapWeight,
    temperature: options.routerTemperature, useKvEvents: options.useKvEvents, busyThresholds: options.busyThresholds,
    observer: telemetry.router.observer,
    requestResync: (workerId) => gateway?.pool.requestSnapshot(workerId),
  }));
  const workers = Array.from({ length: numWorkers }, (_, i) => workerOptions(options, modelDir, modelName, blockSize, i));
  let gpu: ProcessGpuMetrics | null = null;
  gateway = await startGateway({
    tokenizer: tokenizer.value, router, modelName,
    host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_PORT,
    bodyLimits: options.maxBodyBytes === undefined ? {} : { limitBytes: options.maxBodyBytes },
    apiKey: options.apiKey,
    toolCallParser,
    schedulingPolicy: options.schedulingPolicy ?? 'fcfs',
    enableTokenizerInfoEndpoint: options.enableTokenizerInfoEndpoint ?? false,
    observer: options.observer ? combineObservers(telemetry.observer, options.observer) : telemetry.observer,
    middleware: [telemetry.middleware()],
    traceContext: activeTraceCarrier,
    ...(options.log ? { log: options.log } : {}),
    healthCheck: options.healthCheck ?? null,
    migration: {
      limit: options.migrationLimit ?? DEFAULT_MIGRATION_LIMIT,
      onMigration: (type) => telemetry.metrics.modelMigrations.inc({ model: modelName, migration_type: type }),
    },
    metricsText: async (pool) => telemetry.metricsText([...await pool.metricsTexts(), ...(gpu ? [await gpu.metricsText()] : [])], router),
  });
  const handle = gateway;
  // `--device cuda` threads share this process's GPUs: one nvidia-smi poller, its series exported once (under worker-0)
  if (options.device === 'cuda' && workers[0]) {
    gpu = acquireProcessGpuMetrics({ model: modelName, workerId: workers[0].workerId }, { log: options.log ?? ((line) => console.error(line)) });
  }
  let multiHost: MultiHost | null = null;
  const localWorkers: ThreadWorkerConnection[] = [];
  const close = async () => {
    await handle.close(); // workers flush their spans as their threads shut down; remote connections close too
    await multiHost?.close();
    gpu?.release();
    await tracing.shutdown();
  };
  try {
    await startWorkers(handle, workers, progress, localWorkers);
    if (options.natsUrl) {
      multiHost = await connectMultiHost({ natsUrl: options.natsUrl, clusterToken: options.clusterToken, router, addWorker: (c) => handle.addWorker(c), log: progress });
      progress(`discovering standalone workers over NATS at ${redactNatsUrl(options.natsUrl)}`);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { url: handle.url, port: handle.port, gateway: handle, localWorkers, close, audit: () => handle.audit() };
}

/** The first worker builds (or caches) the ONNX graph alone; the rest then start in parallel. */
async function startWorkers(gateway: GatewayHandle, all: WorkerOptions[], progress: (line: string) => void, started: ThreadWorkerConnection[]): Promise<void> {
  const spawn = (o: WorkerOptions) => {
    const connection = new ThreadWorkerConnection(o);
    started.push(connection);
    connection.onProgress((p) => progress(`[${p.workerId}] ${p.message}`));
    gateway.addWorker(connection);
    return connection.ready.then((info) => progress(`[${o.workerId}] ready: ${info.modelName}, ${info.numBlocks} blocks of ${info.blockSize}, context ${info.maxModelLen}`));
  };
  const [first, ...rest] = all;
  if (first) await spawn(first);
  await Promise.all(rest.map(spawn));
}

function workerOptions(options: ServerOptions, modelDir: string, servedModelName: string, blockSize: number, index: number): WorkerOptions {
  const numWorkers = options.numWorkers ?? 2;
  const {
    servedModelName: _name, numWorkers: _n, host: _host, port: _port, routerPolicy: _policy, overlapWeight: _weight,
    routerTemperature: _temperature, useKvEvents: _kvEvents, busyThresholds: _busy,
    maxBodyBytes: _max, apiKey: _apiKey, enableAutoToolChoice: _auto, toolCallParser: _parser, enableTokenizerInfoEndpoint: _tokenizerInfo, observer: _observer, onProgress: _progress, log: _log, natsUrl: _nats, clusterToken: _token, migrationLimit: _migration, healthCheck: _health, ...engineOptions
  } = options;
  return {
    ...engineOptions, // plain data only: it is structured-cloned into the worker thread
    workerId: `worker-${index}`,
    servedModelName,
    runner: options.runner ?? 'ort',
    modelDir,
    device: options.device ?? 'cpu',
    blockSize,
    intraOpNumThreads: options.intraOpNumThreads ?? Math.max(1, Math.floor(cpus().length / numWorkers)),
  };
}
