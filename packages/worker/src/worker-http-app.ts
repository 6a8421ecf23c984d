// The standalone worker's HTTP surface (hono): POST /generate streams NDJSON EngineEvents,
// POST /abort, GET /snapshot (KV resync), GET /audit, GET /metrics, GET /health,
// POST /reset_prefix_cache ({"numBlocks": n}, answered once the `cleared` KV event is published).
// Invariants: every command goes through the shared WorkerHost; this file only adapts HTTP. With a cluster
// token, every route but the probe /health and the scraped /metrics needs `Authorization: Bearer <token>` (401).

import { Hono } from 'hono';
import type { GenerateRequest, ModelRunnerInfo, QueryType, WorkerCommand, WorkerReport } from '@mini-dynamo/protocol';
import type { RequestStreams } from './request-streams.js';
import { METRICS_CONTENT_TYPE, carrierFromHeaders } from '@mini-dynamo/telemetry';
import { snapshotToJson } from './wire-format.js';
import { createBearerCheck, type BearerRefusal } from './bearer-token.js';

export interface WorkerHttpDeps {
  workerId: string;
  info: ModelRunnerInfo;
  streams: RequestStreams;
  handle(command: WorkerCommand): Promise<void>;
  /** Sends a command and waits for its one reply report (snapshot, audit, metrics, reset). */
  ask(type: QueryType): Promise<WorkerReport>;
  /** When set, the bearer token of every route but OPEN_PATHS (the gateway's RemoteWorkerConnection sends it). */
  clusterToken?: string | undefined;
}

/** Liveness probes and Prometheus scrapes carry no token (as the gateway's /health and /metrics). */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);

/** An OpenAI-shaped 401 (the gateway maps it to a clear "cluster token mismatch" close reason). */
function unauthorized(refusal: BearerRefusal) {
  const message = refusal === 'missing' ? 'This worker requires the cluster token: Authorization: Bearer <token>.' : 'Incorrect cluster token provided.';
  return { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_cluster_token' } };
}

function isGenerateRequest(body: unknown): body is GenerateRequest {
  const r = body as GenerateRequest | null;
  return (
    r !== null && typeof r === 'object' && typeof r.requestId === 'string' && r.requestId !== '' &&
    Array.isArray(r.promptTokenIds) && r.promptTokenIds.every((t) => Number.isInteger(t)) &&
    typeof r.sampling === 'object' && r.sampling !== null
  );
}

const badRequest = (message: string) => ({ error: { code: 'invalid_request', message } });

export function createWorkerHttpApp(deps: WorkerHttpDeps): Hono {
  const app = new Hono();
  if (deps.clusterToken) {
    const check = createBearerCheck(deps.clusterToken);
    app.use('*', async (c, next) => {
      if (OPEN_PATHS.has(c.req.path)) return next();
      const refusal = check(c.req.header('authorization'));
      if (refusal === null) return next();
      return c.json(unauthorized(refusal), 401, { 'www-authenticate': 'Bearer' });
    });
  }

  app.post('/generate', async (c) => {
    const body = await c.req.json().catch(() => null);
    if (!isGenerateRequest(body)) return c.json(badRequest('body must be a GenerateRequest'), 400);
    // traceparent/tracestate headers are the default trace context; a body traceContext wins (telemetry, issue 6)
    const defaults = { cacheSalt: null, traceContext: carrierFromHeaders((h) => c.req.header(h)), arrivalTimeMs: Date.now() };
    const request: GenerateRequest = { ...defaults, ...(body as Partial<GenerateRequest>), requestId: body.requestId, promptTokenIds: body.promptTokenIds, sampling: body.sampling };
    if (deps.streams.has(request.requestId)) return c.json(badRequest(`request ${request.requestId} is already running`), 409);
    const abort = () => void deps.handle({ type: 'abort', requestId: request.requestId });
    const stream = deps.streams.create(request.requestId, abort);
    c.req.raw.signal.addEventListener('abort', () => deps.streams.has(request.requestId) && abort(), { once: true });
    await deps.handle({ type: 'generate', request });
    return new Response(stream, { headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' } });
  });

  app.post('/abort', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { requestId?: unknown } | null;
    if (typeof body?.requestId !== 'string') return c.json(badRequest('body must be {"requestId": string}'), 400);
    await deps.handle({ type: 'abort', requestId: body.requestId });
    return c.json({ ok: true });
  });

  app.get('/snapshot', async (c) => {
    const report = await deps.ask('snapshot');
    if (report.type !== 'snapshot') return c.json({ error: { code: 'internal', message: 'no snapshot' } }, 500);
    return c.body(snapshotToJson(report.snapshot), 200, { 'content-type': 'application/json' });
  });

  app.get('/audit', async (c) => {
    const report = await deps.ask('audit');
    return report.type === 'audit' ? c.json(report.audit) : c.json({ error: { code: 'internal', message: 'no audit' } }, 500);
  });

  app.get('/metrics', async (c) => {
    const report = await deps.ask('metrics');
    const text = report.type === 'metrics' ? report.text : '';
    return c.text(text, 200, { 'content-type': METRICS_CONTENT_TYPE });
  });

  app.post('/reset_prefix_cache', async (c) => {
    const report = await deps.ask('reset_prefix_cache');
    if (report.type !== 'prefix_cache_reset') return c.json({ error: { code: 'internal', message: 'no reset reply' } }, 500);
    return c.json({ numBlocks: report.numBlocks });
  });

  app.get('/health', (c) => c.json({ status: 'ok', workerId: deps.workerId, numInFlight: deps.streams.size, info: deps.info }));

  return app;
}
