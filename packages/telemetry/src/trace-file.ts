// Reads exported traces for offline analysis: JSON lines of SpanRecord (our JsonlSpanExporter),
// or OTLP/JSON (`{"resourceSpans":[…]}` per line or per file, as collectors write them),
// grouped into one TraceSpans per trace. Malformed lines are counted, never fatal.

import { readFileSync } from 'node:fs';
import type { AttributeValue, SpanRecord } from './span-record.js';
import { SPAN } from './span-names.js';

export interface TraceSpans {
  traceId: string;
  spans: SpanRecord[];
  /** The local root: the span whose parent is not in the trace (the gateway's `request`). */
  root: SpanRecord;
}

export interface ParsedTraces {
  traces: TraceSpans[];
  numSpans: number;
  numBadLines: number;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpKv = { key: string; value: OtlpValue };

function otlpValue(v: OtlpValue): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return (v.arrayValue?.values ?? []).map((x) => otlpValue(x)) as string[];
}

const attrs = (kvs: OtlpKv[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, otlpValue(kv.value)]));
const nanosToMs = (n: string | number) => Number(BigInt(n) / 1000n) / 1000;

function fromOtlp(doc: any): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of doc.resourceSpans ?? []) {
    const service = String(attrs(rs.resource?.attributes)['service.name'] ?? 'unknown');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const start = nanosToMs(s.startTimeUnixNano);
        const end = nanosToMs(s.endTimeUnixNano);
        const code = s.status?.code === 2 || s.status?.code === 'STATUS_CODE_ERROR' ? 'ERROR' : s.status?.code === 1 || s.status?.code === 'STATUS_CODE_OK' ? 'OK' : 'UNSET';
        out.push({
          traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || null, name: s.name, service,
          startTimeMs: start, endTimeMs: end, durationMs: end - start, attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e: any) => ({ name: e.name, timeMs: nanosToMs(e.timeUnixNano), attributes: attrs(e.attributes) })),
          status: { code, ...(s.status?.message ? { message: s.status.message } : {}) },
          sampled: ((s.flags ?? 1) & 1) === 1,
        });
      }
    }
  }
  return out;
}

function recordsOf(value: any): SpanRecord[] | null {
  if (value && Array.isArray(value.resourceSpans)) return fromOtlp(value);
  if (value && typeof value.traceId === 'string' && typeof value.spanId === 'string' && typeof value.name === 'string') {
    return [{ sampled: true, events: [], attributes: {}, status: { code: 'UNSET' }, ...value } as SpanRecord];
  }
  return null;
}

export function parseTraces(text: string): ParsedTraces {
  const spans: SpanRecord[] = [];
  let numBadLines = 0;
  const whole = text.trimStart().startsWith('{"resourceSpans"') ? tryJson(text) : null;
  const units = whole ? [text] : text.split('\n');
  for (const line of units) {
    if (line.trim() === '') continue;
    const records = recordsOf(tryJson(line));
    if (records) spans.push(...records);
    else numBadLines++;
  }
  return { traces: groupTraces(spans), numSpans: spans.length, numBadLines };
}

export function readTraceFile(path: string): ParsedTraces {
  return parseTraces(readFileSync(path, 'utf8'));
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function groupTraces(spans: readonly SpanRecord[]): TraceSpans[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const out: TraceSpans[] = [];
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.spanId));
    const roots = list.filter((s) => s.parentSpanId === null || !ids.has(s.parentSpanId));
    const root = roots.find((s) => s.name === SPAN.request) ?? roots.sort((a, b) => a.startTimeMs - b.startTimeMs)[0]!;
    out.push({ traceId, spans: list.sort((a, b) => a.startTimeMs - b.startTimeMs), root });
  }
  return out.sort((a, b) => a.root.startTimeMs - b.root.startTimeMs);
}
