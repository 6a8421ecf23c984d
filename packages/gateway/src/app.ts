// The hono app: OpenAI routes, health/readiness, metrics, prefix-cache reset, tokenizer routes, optional API-key auth, and the
// single error mapping (every error, thrown in a handler or middleware, leaves through app.onError as an OpenAI body).

import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ModelRunnerInfo } from '@mini-dynamo/protocol';
import { METRICS_CONTENT_TYPE } from '@mini-dynamo/telemetry';
import { methodNotAllowed, notFound, toApiError, unavailable, type ApiError } from './api-error.js';
import { requireApiKey } from './api-key.js';
import { readJsonBody, type JsonBodyLimits } from './json-body.js';
import { chatPrompt, completionPrompts } from './prompt-input.js';
import { chatCompletionSchema, completionSchema, parseBody } from './request-schemas.js';
import { parseResponsesBody } from './responses-request.js';
import { serveResponses } from './serve-responses.js';
import { registerTokenizeRoutes } from './tokenize-routes.js';
import { serveGeneration, type ServeDeps } from './serve-generation.js';

export interface AppDeps extends Omit<ServeDeps, 'maxModelLen' | 'vocabSize'> {
  modelName: string;
  bodyLimits: JsonBodyLimits;
  /** Run before every route (request telemetry). */
  middleware?: MiddlewareHandler[];
  /** When set, every route but /health, /ready, /metrics and /version needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Serve GET /tokenizer_info (vLLM --enable-tokenizer-info-endpoint); absent: off, the path is a 404. */
  enableTokenizerInfoEndpoint?: boolean;
  /** Prometheus exposition text for GET /metrics. */
  metricsText(): Promise<string>;
  log(line: string): void;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  for (const m of deps.middleware ?? []) app.use('*', m);
  if (deps.apiKey !== undefined) app.use('*', requireApiKey(deps.apiKey)); // after telemetry: a 401 is counted

  app.post('/v1/chat/completions', async (c) => {
    const body = parseBody(chatCompletionSchema, await readJsonBody(c.req.raw, deps.bodyLimits));
    const serve = serveDeps(deps, body.model);
    const prompt = chatPrompt(body.messages, deps.tokenizer, serve.vocabSize, { tools: body.tools });
    return serveGeneration(c, serve, 'chat', body, [prompt]);
  });

  app.post('/v1/responses', async (c) => {
    const body = parseResponsesBody(await readJsonBody(c.req.raw, deps.bodyLimits));
    return serveResponses(c, serveDeps(deps, body.model), body);
  });

  // Nothing is stored (as vLLM without a store): a response id is never found, in OpenAI's 404 shape.
  const responseNotFound = (c: Context): never => {
    throw notFound(`Response with id '${c.req.param('id')}' not found.`, 'response_not_found', 'response_id');
  };
  app.get('/v1/responses/:id', responseNotFound);
  app.delete('/v1/responses/:id', responseNotFound);

  app.post('/v1/completions', async (c) => {
    const body = parseBody(completionSchema, await readJsonBody(c.req.raw, deps.bodyLimits));
    const serve = serveDeps(deps, body.model);
    const prompts = completionPrompts(body.prompt, deps.tokenizer, serve.vocabSize);
    return serveGeneration(c, serve, 'completion', body, prompts);
  });

  app.get('/v1/models', (c) => c.json({ object: 'list', data: [modelCard(deps)] }));

  app.get('/v1/models/:model{.+}', (c) => {
    checkModel(deps, c.req.param('model'));
    return c.json(modelCard(deps));
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', (c) => {
    const numReady = deps.pool.numReady();
    return c.json({ status: numReady > 0 ? 'ready' : 'not_ready', model: deps.modelName, num_ready_workers: numReady }, numReady > 0 ? 200 : 503);
  });

  // vLLM's POST /reset_prefix_cache (SGLang: /flush_cache): every ready worker drops its cached prefixes.
  app.post('/reset_prefix_cache', async (c) => {
    if (deps.pool.numReady() === 0) throw unavailable('No worker is ready: there is no prefix cache to reset.', 'no_workers', 2);
    const numBlocksPerWorker = await deps.pool.resetPrefixCache();
    return c.json({ status: 'ok', num_blocks_cleared: numBlocksPerWorker.reduce((sum, n) => sum + n, 0) });
  });

  registerTokenizeRoutes(app, {
    tokenizer: deps.tokenizer, bodyLimits: deps.bodyLimits,
    maxModelLen: () => deps.pool.info()?.maxModelLen ?? null,
    checkModel: (model) => checkModel(deps, model),
    tokenizerInfo: deps.enableTokenizerInfoEndpoint ?? false,
  });

  app.get('/metrics', async (c) => c.text(await deps.metricsText(), 200, { 'content-type': METRICS_CONTENT_TYPE }));

  app.notFound((c) => {
    const allow = c.req.path === '/tokenizer_info' && deps.enableTokenizerInfoEndpoint !== true ? undefined : ALLOWED_METHODS[c.req.path];
    return errorResponse(c, allow === undefined
      ? notFound(`No route ${c.req.method} ${c.req.path}.`, 'route_not_found')
      : methodNotAllowed(c.req.method, c.req.path, allow));
  });

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status === 500) deps.log(`error serving ${c.req.method} ${c.req.path}: ${(error as Error)?.stack ?? String(error)}`);
    return errorResponse(c, apiError);
  });

  return app;
}

/** Known paths → the methods they take: another method there is a 405, not a 404. */
const ALLOWED_METHODS: Record<string, string> = {
  '/v1/chat/completions': 'POST', '/v1/completions': 'POST', '/v1/responses': 'POST',
  '/v1/models': 'GET, HEAD', '/health': 'GET, HEAD', '/ready': 'GET, HEAD', '/metrics': 'GET, HEAD',
  '/reset_prefix_cache': 'POST', '/tokenize': 'POST', '/detokenize': 'POST', '/tokenizer_info': 'GET, HEAD', '/version': 'GET, HEAD',
};

function modelCard(deps: AppDeps) {
  return {
    id: deps.modelName, object: 'model', created: 0, owned_by: 'mini-dynamo', root: deps.modelName,
    max_model_len: deps.pool.info()?.maxModelLen ?? null,
  };
}

function checkModel(deps: AppDeps, model: string): void {
  if (model !== deps.modelName) {
    throw notFound(`The model '${model}' does not exist. This server serves '${deps.modelName}'.`, 'model_not_found', 'model');
  }
}

function errorResponse(c: Context, error: ApiError): Response {
  return c.json(error.toJSON(), error.status, error.headers());
}

/** The deps a generation is served with, once the request's model is this server's and a worker is ready. */
function serveDeps(deps: AppDeps, model: string): ServeDeps {
  checkModel(deps, model);
  const info = readyInfo(deps);
  return { ...deps, maxModelLen: info.maxModelLen, vocabSize: info.vocabSize };
}

function readyInfo(deps: AppDeps): ModelRunnerInfo {
  const info = deps.pool.info();
  if (info === null) throw unavailable('No worker is ready yet (the model is still loading).', 'not_ready', 2);
  return info;
}
