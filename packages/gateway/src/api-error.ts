// The one error type a client can see, and the one mapping from internal failures to it.
// Invariant: every non-2xx reply has OpenAI's shape {"error":{"message","type","param","code"}}.

import type { EngineError, RoutingError } from '@mini-dynamo/protocol';

export type ApiErrorType =
  | 'invalid_request_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'service_unavailable_error'
  | 'internal_error';

export interface ApiErrorInit {
  status: 400 | 401 | 404 | 405 | 413 | 429 | 500 | 503;
  type: ApiErrorType;
  message: string;
  param?: string | null;
  code?: string | null;
  /** Seconds a client should wait before retrying (429/503). */
  retryAfterSeconds?: number;
  /** Methods the route does accept (405). */
  allow?: string;
  /** The auth scheme the server expects (401 → WWW-Authenticate). */
  authenticate?: string;
}

export class ApiError extends Error {
  readonly status: ApiErrorInit['status'];
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfterSeconds: number | null;
  readonly allow: string | null;
  readonly authenticate: string | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.type = init.type;
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.allow = init.allow ?? null;
    this.authenticate = init.authenticate ?? null;
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  headers(): Record<string, string> {
    return {
      ...(this.retryAfterSeconds === null ? {} : { 'retry-after': String(this.retryAfterSeconds) }),
      ...(this.allow === null ? {} : { allow: this.allow }),
      ...(this.authenticate === null ? {} : { 'www-authenticate': this.authenticate }),
    };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError({ status: 400, type: 'invalid_request_error', message, param, code });

export const notFound = (message: string, code: string | null = null, param: string | null = null) =>
  new ApiError({ status: 404, type: 'not_found_error', message, param, code });

const MISSING_API_KEY = "You didn't provide an API key. Send it in an Authorization header using Bearer auth "
  + '(Authorization: Bearer YOUR_KEY).';

/** OpenAI's 401; the message never quotes the key the client sent. */
export const invalidApiKey = (reason: 'missing' | 'incorrect') =>
  new ApiError({
    status: 401, type: 'invalid_request_error', code: 'invalid_api_key', authenticate: 'Bearer',
    message: reason === 'missing' ? MISSING_API_KEY : 'Incorrect API key provided.',
  });

export const methodNotAllowed = (method: string, path: string, allow: string) =>
  new ApiError({ status: 405, type: 'invalid_request_error', message: `Method ${method} is not allowed on ${path} (allowed: ${allow}).`, code: 'method_not_allowed', allow });

export const tooLarge = (limitBytes: number) =>
  new ApiError({ status: 413, type: 'request_too_large', message: `Request body exceeds the limit of ${limitBytes} bytes.`, code: 'request_too_large' });

export const unavailable = (message: string, code: string, retryAfterSeconds = 1) =>
  new ApiError({ status: 503, type: 'service_unavailable_error', message, code, retryAfterSeconds });

export const internal = (message = 'Internal server error.') =>
  new ApiError({ status: 500, type: 'internal_error', message, code: 'internal_error' });

/** A worker-side failure as the client sees it. */
export function fromEngineError(error: EngineError): ApiError {
  switch (error.code) {
    case 'prompt_too_long': return badRequest(error.message, 'messages', 'context_length_exceeded');
    case 'invalid_request': return badRequest(error.message, null, 'invalid_request');
    case 'overloaded': return unavailable(`The server is overloaded: ${error.message}`, 'overloaded');
    case 'worker_failed': return unavailable(`The worker failed: ${error.message}`, 'worker_failed');
    case 'internal': return internal(`Worker error: ${error.message}`);
  }
}

/** No worker could take the request. */
export function fromRoutingError(error: RoutingError): ApiError {
  return error.code === 'all_busy'
    ? new ApiError({ status: 429, type: 'rate_limit_error', message: error.message, code: 'all_workers_busy', retryAfterSeconds: 1 })
    : unavailable(error.message, 'no_workers', 2);
}

/** Anything thrown while serving a request, as an ApiError (unknown errors become a generic 500). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return internal();
}
