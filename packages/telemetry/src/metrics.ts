// Builds typed prom-client metric objects from the catalogue, one registry per process (gateway or
// worker). Invariant: nothing registers a metric that is not in the catalogue; label sets are typed
// from it, so a call with a label the catalogue does not declare does not compile.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Registry } from 'prom-client';
import { FRONTEND_METRICS, GPU_METRICS, ROUTER_METRICS, WORKER_METRICS } from './metric-catalogue.js';
import type { MetricSpec, LabelName } from './metric-spec.js';

type LabelsOf<S> = S extends { labels: readonly (infer L)[] } ? (L extends string ? L : never) : never;

type InstanceOf<S> = S extends { type: 'counter' }
  ? Counter<LabelsOf<S>>
  : S extends { type: 'gauge' }
    ? Gauge<LabelsOf<S>>
    : Histogram<LabelsOf<S>>;

type Built<T> = { readonly [K in keyof T]: InstanceOf<T[K]> };

export type GatewayMetrics = Built<typeof FRONTEND_METRICS> & Built<typeof ROUTER_METRICS>;
export type WorkerMetrics = Built<typeof WORKER_METRICS>;
export type GpuMetrics = Built<typeof GPU_METRICS>;

export interface WorkerIdentity {
  model: string;
  workerId: string;
}

export interface CreateMetricsOptions {
  /** Also register prom-client's process_* / nodejs_* metrics (once per OS process). */
  collectProcessMetrics?: boolean;
}

/**
 * prom-client's process_* / nodejs_* metrics, minus the three gauges named `*_total`
 * (nodejs_active_{handles,requests,resources}_total) that break the `_total` convention.
 */
function registerProcessMetrics(registry: Registry): void {
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  for (const metric of scratch.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    if (name.endsWith('_total') && !(metric instanceof Counter)) continue;
    registry.registerMetric(metric as unknown as Counter);
  }
}

function build(spec: MetricSpec, registry: Registry): Counter | Gauge | Histogram {
  const base = { name: spec.name, help: spec.help, labelNames: spec.labels as LabelName[], registers: [registry] };
  switch (spec.type) {
    case 'counter':
      return new Counter(base);
    case 'gauge':
      return new Gauge(base);
    case 'histogram':
      return new Histogram({ ...base, buckets: [...(spec.buckets ?? [])] });
  }
}

function buildAll<T extends Record<string, MetricSpec>>(specs: T, registry: Registry): Built<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = build(spec, registry);
  return out as Built<T>;
}

/** Gateway registry: frontend + router metrics. */
export function createMetrics(registry: Registry, scope: 'gateway', options?: CreateMetricsOptions): GatewayMetrics;
/** Worker registry: scheduler / KV / execution metrics; `model` and `worker_id` become default labels. */
export function createMetrics(registry: Registry, scope: 'worker', identity: WorkerIdentity, options?: CreateMetricsOptions): WorkerMetrics;
export function createMetrics(
  registry: Registry,
  scope: 'gateway' | 'worker',
  identityOrOptions?: WorkerIdentity | CreateMetricsOptions,
  maybeOptions?: CreateMetricsOptions,
): GatewayMetrics | WorkerMetrics {
  if (scope === 'gateway') {
    const options = (identityOrOptions ?? {}) as CreateMetricsOptions;
    if (options.collectProcessMetrics) registerProcessMetrics(registry);
    return { ...buildAll(FRONTEND_METRICS, registry), ...buildAll(ROUTER_METRICS, registry) };
  }
  const identity = identityOrOptions as WorkerIdentity;
  registry.setDefaultLabels({ model: identity.model, worker_id: identity.workerId });
  if (maybeOptions?.collectProcessMetrics) registerProcessMetrics(registry);
  return buildAll(WORKER_METRICS, registry);
}

/** GPU gauges on a worker registry (its default labels supply model / worker_id); only `--device cuda` workers call it. */
export function createGpuMetrics(registry: Registry): GpuMetrics {
  return buildAll(GPU_METRICS, registry);
}

/** Observe a duration given in milliseconds on a seconds histogram (base unit conversion in one place). */
export function observeMs<L extends string>(histogram: Histogram<L>, ms: number, labels?: Partial<Record<L, string>>): void {
  if (!Number.isFinite(ms) || ms < 0) return;
  if (labels) histogram.observe(labels, ms / 1000);
  else histogram.observe(ms / 1000);
}

/** Content type of the text exposition format for `/metrics` responses. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
