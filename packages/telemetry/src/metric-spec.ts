// The shape of one catalogue entry and the bucket helpers the catalogue uses.
// Invariant: labels are bounded — `model` / `worker_id` come from configuration, every other label
// lists its allowed values in `labelValues` (no request ids, prompts or user strings, ever).

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Which process registers the metric: the gateway (frontend + router) or a worker (engine). */
export type MetricScope = 'gateway' | 'worker';

export type MetricGroup = 'frontend' | 'router' | 'scheduler' | 'kv_cache' | 'execution';

export type MetricUnit =
  | 'seconds'
  | 'milliseconds'
  | 'tokens'
  | 'tokens_per_second'
  | 'blocks'
  | 'requests'
  | 'sequences'
  | 'ratio'
  | 'events'
  | 'boolean'
  | 'bytes';

/** Labels whose values come from configuration (served model names, worker ids). */
export type ConfiguredLabel = 'model' | 'worker_id';

/** Labels whose values are a fixed enum listed in the spec. */
export type EnumLabel =
  | 'endpoint'
  | 'request_type'
  | 'status'
  | 'error_type'
  | 'finish_reason'
  | 'reason'
  | 'phase'
  | 'policy'
  | 'gpu'
  | 'migration_type';

export type LabelName = ConfiguredLabel | EnumLabel;

export interface MetricSpec<L extends LabelName = LabelName> {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: MetricUnit;
  readonly labels: readonly L[];
  /** Allowed values of every enum label in `labels` (the catalogue's `spec()` requires them). */
  readonly labelValues?: Readonly<Partial<Record<EnumLabel, readonly string[]>>>;
  /** Histogram upper bounds in `unit` (+Inf is implicit). */
  readonly buckets?: readonly number[];
  readonly scope: MetricScope;
  readonly group: MetricGroup;
  /** Where the name or the buckets come from (seed document or convention). */
  readonly source: string;
}

/** A spec whose enum labels all list their values (checked at compile time). */
export type CheckedSpec<L extends LabelName> = MetricSpec<L> & {
  readonly labelValues?: { readonly [K in Extract<L, EnumLabel>]: readonly string[] };
};

const tidy = (x: number): number => Number(x.toPrecision(12));

/** `count` buckets start, start*factor, … (Prometheus `exponential_buckets`). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => tidy(start * factor ** i));
}

/** `count` buckets start, start+width, … (Prometheus `linear_buckets`). */
export function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => tidy(start + width * i));
}
