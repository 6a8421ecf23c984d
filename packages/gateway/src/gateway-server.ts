// Runs the gateway over already-built parts (tokenizer, router) on @hono/node-server; workers
// join through addWorker. Invariant: close() stops accepting, then closes every worker connection;
// drain() (graceful shutdown) first lets in-flight HTTP requests finish, up to a grace period.

import type { ServerType } from '@hono/node-server';
import { closeServer, listen } from '@mini-dynamo/worker';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import type { ModelTokenizer } from '@mini-dynamo/model';
import type { AllocatorAudit, Router, SchedulingPolicy, WorkerConnection } from '@mini-dynamo/protocol';
import { createApp } from './app.js';
import { NOOP_OBSERVER, type GenerationObserver } from './generation-observer.js';
import type { ToolCallParserName } from './tool-call-parser.js';
import { DEFAULT_BODY_LIMITS, type JsonBodyLimits } from './json-body.js';
import type { MigrationOptions } from './request-migration.js';
import type { HealthCheckOptions } from './canary-health-check.js';
import { WorkerPool } from './worker-pool.js';

export interface GatewayParts {
  tokenizer: ModelTokenizer;
  router: Router;
  modelName: string;
  host: string;
  port: number;
  bodyLimits?: Partial<JsonBodyLimits>;
  /** When set, every route but OPEN_PATHS (/health, /ready, /metrics, /version) needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  observer?: GenerationObserver;
  middleware?: MiddlewareHandler[];
  traceContext?: () => Record<string, string> | null;
  /** Auto tool choice's parser (vLLM --enable-auto-tool-choice --tool-call-parser); null/absent: off. */
  toolCallParser?: ToolCallParserName | null;
  /** The workers' --scheduling-policy: under fcfs (absent) a request `priority` other than 0 is a 400. */
  schedulingPolicy?: SchedulingPolicy;
  /** Serve GET /tokenizer_info (vLLM --enable-tokenizer-info-endpoint); absent: off. */
  enableTokenizerInfoEndpoint?: boolean;
  metricsText(pool: WorkerPool): Promise<string>;
  log?: (line: string) => void;
  /** Request migration (--migration-limit); absent: DEFAULT_MIGRATION_LIMIT, not counted. */
  migration?: MigrationOptions;
  /** Canary health checks (Dynamo DYN_HEALTH_CHECK_ENABLED); absent/null: off. */
  healthCheck?: HealthCheckOptions | null;
}

export interface GatewayHandle {
  url: string;
  port: number;
  pool: WorkerPool;
  /** Adds a worker (e.g. a remote one found by discovery) to the pool and the router. */
  addWorker(connection: WorkerConnection): void;
  audit(): Promise<AllocatorAudit[]>;
  /** Stop accepting; resolve true once no HTTP request is in flight, false when graceMs ran out. */
  drain(graceMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function startGateway(parts: GatewayParts): Promise<GatewayHandle> {
  const log = parts.log ?? ((line: string) => console.error(line));
  const pool = new WorkerPool(parts.router, log, undefined, parts.migration, parts.healthCheck ?? null);
  const app = createApp({
    pool, tokenizer: parts.tokenizer, modelName: parts.modelName, log,
    bodyLimits: { ...DEFAULT_BODY_LIMITS, ...parts.bodyLimits },
    observer: parts.observer ?? NOOP_OBSERVER,
    metricsText: () => parts.metricsText(pool),
    ...(parts.middleware ? { middleware: parts.middleware } : {}),
    apiKey: parts.apiKey,
    toolCallParser: parts.toolCallParser ?? null,
    schedulingPolicy: parts.schedulingPolicy ?? 'fcfs',
    enableTokenizerInfoEndpoint: parts.enableTokenizerInfoEndpoint ?? false,
    ...(parts.traceContext ? { traceContext: parts.traceContext } : {}),
  });
  const server = await listen(app.fetch, parts.host, parts.port);
  let numActiveRequests = 0;
  server.on('request', (_req, res: ServerResponse) => {
    numActiveRequests++;
    res.once('close', () => { numActiveRequests--; });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    pool,
    addWorker: (connection) => pool.add(connection),
    audit: () => pool.audit(),
    drain: async (graceMs) => {
      server.close();
      const deadline = Date.now() + graceMs;
      while (numActiveRequests > 0 && Date.now() < deadline) {
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      return numActiveRequests === 0;
    },
    close: async () => {
      await closeServer(server);
      await pool.close();
    },
  };
}
