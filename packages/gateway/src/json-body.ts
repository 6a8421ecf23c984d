// Reads a request body as JSON under hard limits: size (Content-Length and while streaming),
// strict UTF-8, nesting depth. Invariant: never buffers more than `limitBytes` + one chunk.

import { badRequest, tooLarge } from './api-error.js';

export interface JsonBodyLimits {
  limitBytes: number;
  maxDepth: number;
}

export const DEFAULT_BODY_LIMITS: JsonBodyLimits = { limitBytes: 1 << 20, maxDepth: 32 };

export async function readJsonBody(request: Request, limits: JsonBodyLimits = DEFAULT_BODY_LIMITS): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limits.limitBytes) throw tooLarge(limits.limitBytes);
  const bytes = await readLimited(request, limits.limitBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('Request body is not valid UTF-8.', null, 'invalid_utf8');
  }
  if (text.trim() === '') throw badRequest('Request body is empty; expected a JSON object.', null, 'invalid_json');
  if (jsonDepth(text) > limits.maxDepth) {
    throw badRequest(`JSON nesting deeper than ${limits.maxDepth} levels.`, null, 'invalid_json');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`Request body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json');
  }
}

async function readLimited(request: Request, limitBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let numBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    numBytes += value.byteLength;
    if (numBytes > limitBytes) {
      void reader.cancel().catch(() => {});
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, numBytes);
}

/** Maximum bracket nesting outside string literals (a linear scan, run before JSON.parse). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let maxDepth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped char
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) maxDepth = Math.max(maxDepth, ++depth);
    else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return maxDepth;
}
