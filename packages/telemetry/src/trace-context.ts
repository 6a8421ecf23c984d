// W3C trace context across process and thread hops: extract an incoming `traceparent` /
// `tracestate` carrier into an OTel Context, inject a span's context into a carrier for the next
// hop (GenerateRequest.traceContext, HTTP headers). Independent of the global propagator.

import { ROOT_CONTEXT, trace, isSpanContextValid, defaultTextMapGetter, defaultTextMapSetter, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

export type TraceCarrier = Record<string, string>;

/** Context whose (remote) parent is the carrier's traceparent; ROOT_CONTEXT when absent/invalid. */
export function extractContext(carrier: Readonly<TraceCarrier> | undefined): Context {
  if (!carrier || !carrier.traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { ...carrier }, defaultTextMapGetter);
}

/** `traceparent` (+ `tracestate`) of the span active in `ctx`; empty when there is none. */
export function injectContext(ctx: Context): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

/** Carrier for a span: what the next hop should parent its spans on. */
export function carrierOf(span: Span): TraceCarrier {
  return injectContext(trace.setSpan(ROOT_CONTEXT, span));
}

/** The span's trace id, or null for the invalid (all-zero) context. */
export function traceIdOf(span: Span): string | null {
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? ctx.traceId : null;
}

/** Pick `traceparent` / `tracestate` out of incoming headers (bounded length). */
export function carrierFromHeaders(get: (name: string) => string | undefined | null): TraceCarrier {
  const carrier: TraceCarrier = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = get(key);
    if (typeof value === 'string' && value.length > 0 && value.length <= 512) carrier[key] = value;
  }
  return carrier;
}
