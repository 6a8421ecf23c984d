// @mini-dynamo/bench: load generator, workloads, metrics and charts, usable as a library too.
export * from './event-log.js';
export * from './percentiles.js';
export * from './metrics.js';
export * from './slo.js';
export * from './workload.js';
export * from './random-workload.js';
export * from './shared-prefix-workload.js';
export * from './mooncake-trace.js';
export * from './synthetic-trace.js';
export * from './load-generator.js';
export * from './sse-client.js';
export * from './target.js';
export * from './svg-chart.js';
export * from './policy-comparison.js';
