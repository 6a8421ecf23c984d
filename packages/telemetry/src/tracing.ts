// Tracing setup for one process (gateway, worker thread, standalone worker): a tracer provider
// with the Dynamo head sampler, the tail-sampling processor and the configured exporters
// (OTLP/HTTP from the standard OTEL_EXPORTER_OTLP_* variables, a JSON-lines file, extras).
// With no exporter, spans are not recorded but trace ids are still minted and propagated.

import type { Tracer } from '@opentelemetry/api';
import { AlwaysOffSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DynamoTraceSampler } from './trace-sampler.js';
import { TailSamplingSpanProcessor, type TailSamplingStats } from './tail-sampling-processor.js';
import { JsonlSpanExporter } from './jsonl-span-exporter.js';
import { FanOutSpanExporter } from './span-exporters.js';

/** JSON-able tracing settings: CLI flags → gateway → worker threads (workerData) and processes. */
export interface TracingConfig {
  /** Head sampling ratio; default OTEL_TRACES_SAMPLER_ARG or 1. */
  sampleRatio?: number;
  /** Tail keep: requests at least this long (default 2 s) … */
  slowRequestSeconds?: number;
  /** … or with TTFT at least this long (default 0.5 s, seed 000 "predicted TTFT > 500 ms"). */
  slowTtftSeconds?: number;
  /** Keep errors / slow requests among head-unsampled traces (default true). */
  tailSampling?: boolean;
  /** One decode_step span (+ forward / sampling / emit) per engine step per request. */
  perStepSpans?: boolean;
  /** OTLP/HTTP export: true, an explicit URL, or undefined = on iff OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  otlp?: boolean | { url: string };
  /** Append kept spans as JSON lines to this file (processes may share one file: appends are whole batches). */
  jsonlPath?: string;
  batchDelayMs?: number;
}

export interface TracingOptions extends TracingConfig {
  serviceName: string;
  /** service.instance.id (worker id, gateway replica). */
  instanceId?: string;
  /** More exporters (tests: InMemorySpanExporter). */
  exporters?: SpanExporter[];
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Spans are recorded and exported (some exporter is configured). */
  readonly recording: boolean;
  readonly perStepSpans: boolean;
  readonly stats: TailSamplingStats | null;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

function envRatio(): number {
  const v = Number(process.env.OTEL_TRACES_SAMPLER_ARG);
  return Number.isFinite(v) && v >= 0 && v <= 1 && process.env.OTEL_TRACES_SAMPLER_ARG !== '' && process.env.OTEL_TRACES_SAMPLER_ARG !== undefined ? v : 1;
}

function otlpExporter(otlp: TracingOptions['otlp']): SpanExporter | null {
  if (process.env.OTEL_TRACES_EXPORTER === 'none') return null;
  if (otlp === false) return null;
  if (typeof otlp === 'object') return new OTLPTraceExporter({ url: otlp.url });
  const fromEnv = Boolean(process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return otlp === true || fromEnv ? new OTLPTraceExporter() : null;
}

export function createTracing(options: TracingOptions): Tracing {
  const exporters: SpanExporter[] = [...(options.exporters ?? [])];
  if (options.jsonlPath) exporters.push(new JsonlSpanExporter(options.jsonlPath));
  const otlp = otlpExporter(options.otlp);
  if (otlp) exporters.push(otlp);
  const disabled = process.env.OTEL_SDK_DISABLED === 'true';
  const recording = exporters.length > 0 && !disabled;
  const tailSampling = options.tailSampling ?? true;
  const processor = recording
    ? new TailSamplingSpanProcessor(exporters.length === 1 ? exporters[0]! : new FanOutSpanExporter(exporters), {
        slowRequestSeconds: options.slowRequestSeconds ?? 2,
        slowTtftSeconds: options.slowTtftSeconds ?? 0.5,
        batchDelayMs: options.batchDelayMs,
      })
    : null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.instanceId ? { 'service.instance.id': options.instanceId } : {}),
    }),
    sampler: recording ? new DynamoTraceSampler({ ratio: options.sampleRatio ?? envRatio(), tail: tailSampling }) : new AlwaysOffSampler(),
    spanProcessors: processor ? [processor] : [],
    spanLimits: { eventCountLimit: 1024 },
  });
  return {
    tracer: provider.getTracer('mini-dynamo', '0.1.0'),
    recording,
    perStepSpans: options.perStepSpans ?? false,
    stats: processor?.stats ?? null,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
