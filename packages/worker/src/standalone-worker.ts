// A standalone worker process (multi-host topology): an Engine behind the shared WorkerHost,
// served over HTTP (worker-http-app) and announced over NATS: heartbeats (discovery with a TTL),
// KV events and load reports; engine metrics (GET /metrics) and spans as in a worker thread.
// Invariant: reports leave through exactly one route each — engine events to their request's
// NDJSON stream, kv/load to NATS, replies to the waiting HTTP call.

import type { ServerType } from '@hono/node-server';
import { closeServer, listen } from './http-listen.js';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { connectNats, redactNatsUrl } from './nats-auth.js';
import { kvEventToJson, err, ok, queryAnsweredBy, type QueryType, type Result, type WorkerReport } from '@mini-dynamo/protocol';
import { createWorkerEngine, createWorkerTelemetry } from './worker-engine.js';
import { startGpuMetrics } from './gpu-metrics.js';
import { createWorkerHost } from './worker-host.js';
import { RequestStreams } from './request-streams.js';
import { createWorkerHttpApp } from './worker-http-app.js';
import { isValidWorkerId, subjects, type WorkerHeartbeat } from './nats-subjects.js';
import type { WorkerOptions } from './worker-options.js';

export interface StandaloneWorkerOptions extends WorkerOptions {
  /** Interface the HTTP server binds (default 127.0.0.1); port 0 picks a free one. */
  host?: string;
  port?: number;
  /** Host name other machines reach this worker by (default: the bind host). */
  advertiseHost?: string;
  natsUrl: string;
  /** Shared secret: the NATS token and the bearer token every HTTP route but /health and /metrics requires. */
  clusterToken?: string;
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export interface StandaloneWorker {
  workerId: string;
  instanceId: string;
  url: string;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

export async function startStandaloneWorker(options: StandaloneWorkerOptions): Promise<Result<StandaloneWorker, { code: string; message: string }>> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (!isValidWorkerId(options.workerId)) return err({ code: 'invalid_worker_id', message: `worker id must match [A-Za-z0-9_-]+: ${options.workerId}` });
  const { tracing, telemetry } = createWorkerTelemetry(options, true);
  const built = await createWorkerEngine(options, (m) => log(`[${options.workerId}] ${m}`), telemetry.observer);
  if (!built.ok) {
    await tracing.shutdown();
    return err(built.error);
  }
  const connected = await connectNats(options.natsUrl, options.clusterToken, `mini-dynamo-worker-${options.workerId}`);
  if (!connected.ok) {
    await Promise.allSettled([built.value.runner.close(), tracing.shutdown()]);
    return err(connected.error);
  }
  const nc: NatsConnection = connected.value;
  const { engine, runner, info } = built.value;
  const workerId = options.workerId;
  const streams = new RequestStreams();
  const replies = new Map<QueryType, ((r: WorkerReport) => void)[]>();
  const send = (report: WorkerReport): void => {
    switch (report.type) {
      case 'event': return streams.push(report.event);
      case 'kv': return nc.publish(subjects.kvEvents(workerId), encoder.encode(kvEventToJson(report.event)));
      case 'load': return nc.publish(subjects.load(workerId), encoder.encode(JSON.stringify(report.load)));
      case 'fatal': return log(`[${workerId}] fatal: ${report.message}`);
      case 'ready': return;
      default: return replies.get(queryAnsweredBy(report)!)?.shift()?.(report); // the reply to an ask()
    }
  };
  const gpu = options.device === 'cuda' ? startGpuMetrics({ registry: telemetry.registry, log: (line) => log(`[${workerId}] ${line}`) }) : null;
  const host = createWorkerHost(telemetry.instrument(engine), send, {
    loadIntervalMs: options.loadIntervalMs,
    metricsText: () => telemetry.metricsText(),
  });
  const ask = async (type: QueryType) => {
    const report = await new Promise<WorkerReport>((resolve) => {
      const queue = replies.get(type) ?? [];
      replies.set(type, queue);
      queue.push(resolve);
      void host.handle({ type });
    });
    // A reset's `cleared` KV event was published before its reply: let it reach NATS before the HTTP answer.
    if (type === 'reset_prefix_cache') await nc.flush();
    return report;
  };
  const app = createWorkerHttpApp({ workerId, info, streams, handle: (c) => host.handle(c), ask, clusterToken: options.clusterToken });
  engine.run().catch((e: unknown) => log(`[${workerId}] engine loop failed: ${(e as Error).stack ?? String(e)}`));
  let server: ServerType;
  try {
    server = await listen(app.fetch, options.host ?? '127.0.0.1', options.port ?? 0);
  } catch (e) {
    gpu?.stop();
    await host.close();
    await nc.drain().catch(() => {});
    await Promise.allSettled([runner.close(), tracing.shutdown()]);
    return err({ code: 'listen_failed', message: `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${(e as Error).message}` });
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.advertiseHost ?? options.host ?? '127.0.0.1'}:${port}`;
  const instanceId = randomUUID();
  const heartbeat = () => {
    const hb: WorkerHeartbeat = { workerId, instanceId, url, info, sentAtMs: Date.now() };
    nc.publish(subjects.heartbeat, encoder.encode(JSON.stringify(hb)));
  };
  nc.subscribe(subjects.discover, { callback: () => heartbeat() });
  heartbeat();
  const timer = setInterval(heartbeat, options.heartbeatMs ?? 1000);
  log(`[${workerId}] serving ${info.modelName} at ${url} (NATS ${redactNatsUrl(options.natsUrl)}${options.clusterToken ? ', cluster token required' : ''})`);
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    clearInterval(timer);
    gpu?.stop();
    streams.failAll('worker is shutting down');
    await host.close();
    await nc.drain().catch(() => {});
    await closeServer(server);
    await Promise.allSettled([runner.close(), tracing.shutdown()]);
  })());
  return ok({ workerId, instanceId, url, close });
}
