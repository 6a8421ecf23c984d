// @mini-dynamo/telemetry: the metric catalogue and prom-client registries, OpenTelemetry tracing
// (span hierarchy, tail sampling, JSONL export) and the trace analyzer / SLO report.
export * from './metric-spec.js';
export * from './metric-catalogue.js';
export * from './metrics.js';
export * from './metrics-merge.js';
export * from './metrics-doc.js';
export * from './promtool.js';
export * from './span-names.js';
export * from './span-record.js';
export * from './trace-context.js';
export * from './trace-sampler.js';
export * from './tail-sampling-processor.js';
export * from './jsonl-span-exporter.js';
export * from './span-exporters.js';
export * from './tracing.js';
export * from './engine-spans.js';
export * from './request-spans.js';
export * from './trace-file.js';
export * from './trace-analyzer.js';
export * from './trace-analysis.js';
export * from './slo-report.js';
export * from './throughput-window.js';
export * from './percentile.js';
export * from './span-clock.js';
