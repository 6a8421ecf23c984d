// The one bearer-token check (gateway --api-key, worker --cluster-token): `Authorization: Bearer <token>`.
// Invariants: comparison in constant time (SHA-256 digests through timingSafeEqual); the token reaches no log.

import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a request was refused; null when it presented the right token. */
export type BearerRefusal = 'missing' | 'incorrect';

/** A checker of Authorization headers against `token` (which must not be empty). */
export function createBearerCheck(token: string): (header: string | undefined) => BearerRefusal | null {
  if (token === '') throw new Error('the bearer token must not be empty');
  const expected = digest(token);
  return (header) => {
    const presented = bearerToken(header);
    if (presented === null) return 'missing';
    return timingSafeEqual(digest(presented), expected) ? null : 'incorrect';
  };
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750), or null. */
function bearerToken(header: string | undefined): string | null {
  const text = header?.trim() ?? '';
  if (text.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = text.slice(7).trim();
  return token === '' ? null : token;
}

/** Equal-length digests, so timingSafeEqual neither throws nor leaks the token's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
