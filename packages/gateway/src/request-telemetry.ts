// Frontend telemetry around each OpenAI request: a hono middleware opens the `request` span (child
// of the client's traceparent), returns `x-trace-id`, and ends span + metrics when the response
// body is fully sent, fails or is cancelled; the GenerationObserver adds routing spans, TTFT/ITL,
// sequence lengths and outcomes per choice. Invariant: each request is counted and ended once.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareHandler } from 'hono';
import type { Router } from '@mini-dynamo/protocol';
import {
  Registry, RequestTrace, carrierFromHeaders, createMetrics, epochNowMs, mergeExpositions, observeMs,
  type ErrorType, type GatewayMetrics, type TraceCarrier, type Tracing,
} from '@mini-dynamo/telemetry';
import type { ChoiceLabel, GenerationObserver, GenerationOutcome } from './generation-observer.js';
import { RouterTelemetry } from './router-telemetry.js';

export type TelemetryEndpoint = 'chat_completions' | 'completions' | 'responses';
type Status = 'success' | 'error' | 'disconnected';

interface ChoiceState { firstTokenMs: number | null; lastTokenMs: number }

interface RequestState {
  endpoint: TelemetryEndpoint;
  startMs: number;
  trace: RequestTrace | null;
  described: boolean;
  firstToken: boolean;
  choices: Map<string, ChoiceState>;
  numOutputTokens: number;
  numCachedTokens: number;
  finishReasons: string[];
  error: { type: ErrorType; message: string; status: number } | null;
  aborted: boolean;
  ended: boolean;
}

const ENDPOINTS: Record<string, TelemetryEndpoint> = {
  '/v1/chat/completions': 'chat_completions', '/v1/completions': 'completions', '/v1/responses': 'responses',
};
const PATHS = Object.fromEntries(Object.entries(ENDPOINTS).map(([path, endpoint]) => [endpoint, path])) as Record<TelemetryEndpoint, string>;
const active = new AsyncLocalStorage<RequestState>();

/** traceparent naming the current request's span, for GenerateRequest.traceContext (null outside one). */
export function activeTraceCarrier(): TraceCarrier | null {
  return active.getStore()?.trace?.carrier() ?? null;
}

/** The catalogue's error_type for an HTTP error status and OpenAI error code. */
export function errorTypeOf(status: number, code: string | null): ErrorType {
  switch (status) {
    case 400: return code === 'context_length_exceeded' ? 'prompt_too_long' : 'invalid_request';
    case 404: return 'not_found';
    case 413: return 'payload_too_large';
    case 429: return 'overloaded';
    case 503: return code === 'worker_failed' ? 'worker_failed' : 'overloaded';
    case 504: return 'timeout';
    default: return status >= 500 ? 'internal' : 'invalid_request';
  }
}

/** One request tracked outside hono (benches, other transports). */
export interface RequestHandle {
  readonly traceId: string | null;
  /** Run the request's handler: GenerationObserver.onStart calls inside it attach to this request. */
  run<T>(fn: () => T): T;
  /** traceparent for the workers (null without tracing). */
  carrier(): TraceCarrier | null;
  /** The response finished (outcome from the choices: success, error or disconnected). */
  end(requestType: 'stream' | 'unary'): void;
}

export interface GatewayTelemetryOptions {
  /** Served model name: the only value of the `model` label (never the client's string). */
  model: string;
  tracing?: Tracing | null;
  registry?: Registry;
  collectProcessMetrics?: boolean;
}

export class GatewayTelemetry {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  readonly router: RouterTelemetry;
  private readonly choices = new Map<string, RequestState>();
  /** The one `model` label set, built once (read on every token). */
  private readonly modelLabel: { model: string };

  constructor(private readonly options: GatewayTelemetryOptions) {
    this.modelLabel = { model: options.model };
    this.registry = options.registry ?? new Registry();
    this.metrics = createMetrics(this.registry, 'gateway', { collectProcessMetrics: options.collectProcessMetrics ?? true });
    this.router = new RouterTelemetry(this.metrics, options.model);
  }

  /** Gateway /metrics: this registry plus the workers' expositions, indexer counters synced. */
  async metricsText(workerTexts: readonly string[], router?: Router): Promise<string> {
    if (router) this.router.syncIndexerCounters(router);
    return mergeExpositions([await this.registry.metrics(), ...workerTexts]);
  }

  startRequest(endpoint: TelemetryEndpoint, incoming: TraceCarrier): RequestHandle {
    const state = this.begin(endpoint, incoming);
    return {
      traceId: state.trace?.traceId ?? null,
      run: (fn) => active.run(state, fn),
      carrier: () => state.trace?.carrier() ?? null,
      end: (requestType) => this.end(state, requestType, this.outcome(state)),
    };
  }

  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const endpoint = ENDPOINTS[c.req.path];
      if (endpoint === undefined || c.req.method !== 'POST') return next();
      const state = this.begin(endpoint, carrierFromHeaders((h) => c.req.header(h)));
      if (state.trace?.traceId) c.header('x-trace-id', state.trace.traceId);
      await active.run(state, next);
      const res = c.res;
      if (state.trace?.traceId && !res.headers.has('x-trace-id')) res.headers.set('x-trace-id', state.trace.traceId);
      const requestType = res.headers.get('content-type')?.startsWith('text/event-stream') ? 'stream' : 'unary';
      if (res.status >= 400) {
        if (c.req.raw.signal.aborted || state.aborted) return this.end(state, requestType, 'disconnected');
        const body = await res.clone().json().catch(() => null) as { error?: { code?: string; message?: string } } | null;
        state.error ??= { type: errorTypeOf(res.status, body?.error?.code ?? null), message: body?.error?.message ?? `HTTP ${res.status}`, status: res.status };
        return this.end(state, requestType, 'error');
      }
      if (!res.body) return this.end(state, requestType, this.outcome(state));
      c.res = new Response(this.watch(res.body, state, requestType), res);
    };
  }

  readonly observer: GenerationObserver = {
    onStart: (label, decision) => {
      const state = active.getStore();
      if (!state) return;
      this.choices.set(label.requestId, state);
      state.choices.set(label.requestId, { firstTokenMs: null, lastTokenMs: 0 });
      this.metrics.inputSequenceTokens.observe(this.modelLabel, label.numPromptTokens);
      if (state.trace && !state.described) this.describe(state, label);
      const timed = this.router.takeDecision(label.requestId);
      state.trace?.routed(label.index, decision, timed?.timings ?? null, timed?.decidedAtMs);
    },
    onTokens: (label, numTokens) => this.onTokens(label, numTokens),
    onEnd: (label, outcome) => this.onEnd(label, outcome),
  };

  private begin(endpoint: TelemetryEndpoint, carrier: TraceCarrier): RequestState {
    const model = this.modelLabel;
    this.metrics.inflightRequests.inc(model);
    this.metrics.queuedRequests.inc(model);
    const startMs = epochNowMs();
    const path = PATHS[endpoint];
    return {
      endpoint, startMs, trace: this.options.tracing ? new RequestTrace(this.options.tracing.tracer, carrier, path, startMs) : null,
      described: false, firstToken: false, choices: new Map(), numOutputTokens: 0, numCachedTokens: 0, finishReasons: [],
      error: null, aborted: false, ended: false,
    };
  }

  private describe(state: RequestState, label: ChoiceLabel): void {
    state.described = true;
    state.trace!.describe({
      model: this.options.model, operation: state.endpoint === 'completions' ? 'text_completion' : 'chat', stream: false,
      responseId: label.requestId.replace(/-\d+$/, ''), numPromptTokens: label.numPromptTokens,
    });
  }

  private onTokens(label: ChoiceLabel, numTokens: number): void {
    const state = this.choices.get(label.requestId);
    const choice = state?.choices.get(label.requestId);
    if (!state || !choice || numTokens <= 0) return;
    const now = epochNowMs();
    const model = this.modelLabel;
    if (choice.firstTokenMs === null) {
      choice.firstTokenMs = now;
      observeMs(this.metrics.timeToFirstToken, now - state.startMs, model);
      if (!state.firstToken) {
        state.firstToken = true;
        this.metrics.queuedRequests.dec(model);
        state.trace?.firstToken(now);
      }
    } else {
      const perTokenMs = (now - choice.lastTokenMs) / numTokens;
      for (let i = 0; i < numTokens; i++) observeMs(this.metrics.interTokenLatency, perTokenMs, model);
    }
    choice.lastTokenMs = now;
    this.metrics.outputTokensTotal.inc(model, numTokens);
  }

  private onEnd(label: ChoiceLabel, outcome: GenerationOutcome): void {
    const state = this.choices.get(label.requestId);
    this.choices.delete(label.requestId);
    if (!state) return;
    const model = this.modelLabel;
    if (outcome.kind === 'finished') {
      this.metrics.outputSequenceTokens.observe(model, outcome.usage.numCompletionTokens);
      this.metrics.cachedTokens.observe(model, outcome.usage.numCachedTokens);
      state.numOutputTokens += outcome.usage.numCompletionTokens;
      state.numCachedTokens += outcome.usage.numCachedTokens;
      state.finishReasons.push(outcome.finishReason);
    } else if (outcome.kind === 'failed') {
      state.error ??= { type: errorTypeOf(outcome.error.status, outcome.error.code), message: outcome.error.message, status: outcome.error.status };
    } else {
      state.aborted = true;
    }
  }

  private outcome(state: RequestState): Status {
    return state.error ? 'error' : state.aborted ? 'disconnected' : 'success';
  }

  /** Passes the body through; ends the request when it is fully read or cancelled. */
  private watch(body: ReadableStream<Uint8Array>, state: RequestState, requestType: 'stream' | 'unary'): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            this.end(state, requestType, this.outcome(state));
          } else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
          this.end(state, requestType, state.aborted ? 'disconnected' : 'error');
        }
      },
      cancel: async (reason) => {
        state.aborted = true;
        this.end(state, requestType, 'disconnected');
        await reader.cancel(reason);
      },
    });
  }

  private end(state: RequestState, requestType: 'stream' | 'unary', status: Status): void {
    if (state.ended) return;
    state.ended = true;
    for (const id of state.choices.keys()) this.choices.delete(id);
    const model = this.modelLabel;
    const now = epochNowMs();
    this.metrics.inflightRequests.dec(model);
    if (!state.firstToken) this.metrics.queuedRequests.dec(model);
    observeMs(this.metrics.requestDuration, now - state.startMs, model);
    this.metrics.requestsTotal.inc({ ...model, endpoint: state.endpoint, request_type: requestType, status });
    if (status === 'disconnected') this.metrics.disconnectedClients.inc(model);
    if (status === 'error') {
      const error = state.error ?? { type: 'internal' as const, message: 'response stream failed', status: 500 };
      this.metrics.errors.inc({ ...model, error_type: error.type });
      state.trace?.finish({ status: 'error', errorType: error.type, message: error.message, httpStatus: error.status }, now);
    } else if (status === 'disconnected') {
      state.trace?.finish({ status: 'disconnected', numOutputTokens: state.numOutputTokens }, now);
    } else {
      state.trace?.span.setAttribute('request.stream', requestType === 'stream');
      state.trace?.finish({ status: 'success', numOutputTokens: state.numOutputTokens, numCachedTokens: state.numCachedTokens, finishReasons: state.finishReasons }, now);
    }
  }
}
