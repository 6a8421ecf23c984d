// Bearer-token auth of the gateway (vLLM --api-key): every route but the open /health, /ready, /version and
// /metrics needs `Authorization: Bearer <key>`. Invariants: the one constant-time check (worker's
// createBearerCheck); a refusal is the one ApiError 401 (via onError); the key reaches no log or reply.

import type { MiddlewareHandler } from 'hono';
import { createBearerCheck } from '@mini-dynamo/worker';
import { invalidApiKey } from './api-error.js';

/** Liveness, readiness and Prometheus scrapes stay open (probes and scrapers carry no key). */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', '/version']);

/** Middleware refusing (401) any request to a non-open path without the right bearer token. */
export function requireApiKey(apiKey: string): MiddlewareHandler {
  if (apiKey === '') throw new Error('the API key must not be empty');
  const check = createBearerCheck(apiKey);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const refusal = check(c.req.header('authorization'));
    if (refusal !== null) throw invalidApiKey(refusal);
    return next();
  };
}
