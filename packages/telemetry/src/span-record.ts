// The flat, JSON-able form of one finished span: one line of the JSON-lines trace file and the
// unit the trace analyzer reads. Times are epoch milliseconds (fractional).

import { SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { hrTimeToMilliseconds as hrMs } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];

export interface SpanEventRecord {
  name: string;
  timeMs: number;
  attributes: Record<string, AttributeValue>;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startTimeMs: number;
  endTimeMs: number;
  durationMs: number;
  attributes: Record<string, AttributeValue>;
  events: SpanEventRecord[];
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  /** Head-sampled (W3C sampled flag); false = kept only by the tail decision (error / slow). */
  sampled: boolean;
}

function plain(attributes: Attributes): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined && v !== null) out[k] = v as AttributeValue;
  return out;
}

const STATUS = { [SpanStatusCode.UNSET]: 'UNSET', [SpanStatusCode.OK]: 'OK', [SpanStatusCode.ERROR]: 'ERROR' } as const;

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const status: SpanRecord['status'] = { code: STATUS[span.status.code] };
  if (span.status.message) status.message = span.status.message;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    service: String(span.resource.attributes['service.name'] ?? 'unknown'),
    startTimeMs: hrMs(span.startTime),
    endTimeMs: hrMs(span.endTime),
    durationMs: hrMs(span.duration),
    attributes: plain(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeMs: hrMs(e.time), attributes: plain(e.attributes ?? {}) })),
    status,
    sampled: (ctx.traceFlags & 1) === 1,
  };
}
