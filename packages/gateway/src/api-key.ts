// Bearer-token auth of the gateway (vLLM --api-key): every route but the open /health, /ready, /version and
// /metrics needs `Authorization: Bearer <key>`. Invariants: comparison in constant time (SHA-256 digests
// through timingSafeEqual); a refusal is the one ApiError 401 (via onError); the key reaches no log or reply.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { invalidApiKey } from './api-error.js';

/** Liveness, readiness and Prometheus scrapes stay open (probes and scrapers carry no key). */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', '/version']);

/** Middleware refusing (401) any request to a non-open path without the right bearer token. */
export function requireApiKey(apiKey: string): MiddlewareHandler {
  if (apiKey === '') throw new Error('the API key must not be empty');
  const expected = digest(apiKey);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const presented = bearerToken(c.req.header('authorization'));
    if (presented === null) throw invalidApiKey('missing');
    if (!timingSafeEqual(digest(presented), expected)) throw invalidApiKey('incorrect');
    return next();
  };
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750), or null. */
function bearerToken(header: string | undefined): string | null {
  const text = header?.trim() ?? '';
  if (text.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = text.slice(7).trim();
  return token === '' ? null : token;
}

/** Equal-length digests, so timingSafeEqual neither throws nor leaks the key's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
