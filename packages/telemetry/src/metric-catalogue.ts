// The single source of truth for every Prometheus metric mini-dynamo exports: name, type, help,
// unit, labels, buckets. Registries (createMetrics), METRICS.md, dashboards and alert rules derive
// from it. Base units are seconds; counters end `_total`; the router overhead histograms keep
// Dynamo's exact `_ms` names and buckets (seed 002) so Dynamo dashboards work unchanged.

import type { FinishReason, RoutingPolicyName, RoutingReason } from '@mini-dynamo/protocol';
import { exponentialBuckets, linearBuckets, type CheckedSpec, type MetricSpec, type MetricType, type LabelName } from './metric-spec.js';

const spec = <L extends LabelName, T extends MetricType>(s: CheckedSpec<L> & { type: T }): MetricSpec<L> & { readonly type: T } => s;

export const ENDPOINTS = ['chat_completions', 'completions', 'responses'] as const;
export const REQUEST_TYPES = ['stream', 'unary'] as const;
export const REQUEST_STATUSES = ['success', 'error', 'disconnected'] as const;
export const ERROR_TYPES = [
  'invalid_request', 'prompt_too_long', 'not_found', 'payload_too_large',
  'overloaded', 'worker_failed', 'timeout', 'internal',
] as const;
export const FINISH_REASONS = ['stop', 'length', 'abort'] as const satisfies readonly FinishReason[];
export const PREEMPTION_REASONS = ['memory_pressure', 'priority'] as const;
export const ROUTING_POLICIES = ['kv', 'round_robin', 'random', 'least_loaded'] as const satisfies readonly RoutingPolicyName[];
export const ROUTING_REASONS = ['kv_overlap', 'load', 'round_robin', 'random', 'least_loaded', 'single_worker'] as const satisfies readonly RoutingReason[];
export const KV_EVENT_REJECT_REASONS = ['malformed', 'unknown_worker', 'stale', 'buffer_overflow'] as const;
export const THROUGHPUT_PHASES = ['prefill', 'decode', 'combined'] as const;
/** Dynamo's migration_type: re-routed before the first token / migrated mid-stream with its tokens so far. */
export const MIGRATION_TYPES = ['new_request', 'ongoing_request'] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];
export type ThroughputPhase = (typeof THROUGHPUT_PHASES)[number];

/** Seconds buckets. TTFT/ITL include the SLO thresholds of seeds 000/001/003 as exact bounds. */
export const TTFT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 120, 480];
export const ITL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.07, 0.08, 0.1, 0.15, 0.2, 0.5, 1, 2];
export const REQUEST_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 480];
/** Token-count buckets: powers of two (the tiny CPU models serve short sequences, Dynamo's start at 50). */
export const SEQUENCE_TOKEN_BUCKETS = exponentialBuckets(1, 2, 18);
export const CACHED_TOKEN_BUCKETS = [0, ...exponentialBuckets(16, 2, 14)];
/** seed 002: `linear_buckets(0.0, 0.05, 21)`. */
export const HIT_RATE_BUCKETS = linearBuckets(0, 0.05, 21);
/** seed 002: `exponential_buckets(0.0001, 2.0, 18)` milliseconds. */
export const ROUTER_OVERHEAD_BUCKETS_MS = exponentialBuckets(0.0001, 2, 18);
/** seed 003 [0.0001 … 0.05] plus 0.1 … 1 so the 50 ms scheduler-stall alert is measurable. */
export const SCHEDULER_ITERATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1];
/** seed 003 [0.00001 … 0.001] plus 0.005, 0.01. */
export const ALLOCATION_BUCKETS = [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01];
/** seed 000 queue-wait ms buckets in seconds, plus 10 s and 30 s. */
export const QUEUE_WAIT_BUCKETS = [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];
/** seed 000 prefill ms buckets in seconds, plus 1–5 ms for small models. */
export const PREFILL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
export const STEP_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** seed 000 `dynamo_prefix_cache_hit_rate` buckets. */
export const PREFIX_HIT_RATE_BUCKETS = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1];

const REQ = ['model', 'endpoint', 'request_type'] as const;
const REQ_VALUES = { endpoint: ENDPOINTS, request_type: REQUEST_TYPES };
const W = ['model', 'worker_id'] as const;

/** Frontend (gateway) metrics: Dynamo's `dynamo_frontend_*` family. */
export const FRONTEND_METRICS = {
  requestsTotal: spec({ name: 'dynamo_frontend_requests_total', type: 'counter', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Requests finished by the frontend, by endpoint, stream/unary and outcome', labels: [...REQ, 'status'],
    labelValues: { ...REQ_VALUES, status: REQUEST_STATUSES }, source: 'Dynamo frontend' }),
  inflightRequests: spec({ name: 'dynamo_frontend_inflight_requests', type: 'gauge', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Requests accepted and not yet finished (queued, prefilling or decoding)', labels: ['model'], source: 'Dynamo frontend' }),
  queuedRequests: spec({ name: 'dynamo_frontend_queued_requests', type: 'gauge', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Requests accepted that have not produced their first token yet', labels: ['model'], source: 'Dynamo frontend' }),
  timeToFirstToken: spec({ name: 'dynamo_frontend_time_to_first_token_seconds', type: 'histogram', unit: 'seconds', scope: 'gateway', group: 'frontend',
    help: 'Time from request arrival to the first generated token', labels: ['model'], buckets: TTFT_BUCKETS, source: 'Dynamo frontend; SLO bounds seeds 000/001' }),
  interTokenLatency: spec({ name: 'dynamo_frontend_inter_token_latency_seconds', type: 'histogram', unit: 'seconds', scope: 'gateway', group: 'frontend',
    help: 'Time between consecutive generated tokens of one request (TBT)', labels: ['model'], buckets: ITL_BUCKETS, source: 'Dynamo frontend; SLO bounds seeds 000/001' }),
  requestDuration: spec({ name: 'dynamo_frontend_request_duration_seconds', type: 'histogram', unit: 'seconds', scope: 'gateway', group: 'frontend',
    help: 'Time from request arrival to its last byte (success, error or disconnect)', labels: ['model'], buckets: REQUEST_DURATION_BUCKETS, source: 'Dynamo frontend' }),
  inputSequenceTokens: spec({ name: 'dynamo_frontend_input_sequence_tokens', type: 'histogram', unit: 'tokens', scope: 'gateway', group: 'frontend',
    help: 'Prompt length in tokens per request (ISL)', labels: ['model'], buckets: SEQUENCE_TOKEN_BUCKETS, source: 'Dynamo frontend' }),
  outputSequenceTokens: spec({ name: 'dynamo_frontend_output_sequence_tokens', type: 'histogram', unit: 'tokens', scope: 'gateway', group: 'frontend',
    help: 'Generated tokens per finished request (OSL)', labels: ['model'], buckets: SEQUENCE_TOKEN_BUCKETS, source: 'Dynamo frontend' }),
  outputTokensTotal: spec({ name: 'dynamo_frontend_output_tokens_total', type: 'counter', unit: 'tokens', scope: 'gateway', group: 'frontend',
    help: 'Generated tokens streamed or returned to clients', labels: ['model'], source: 'Dynamo frontend' }),
  cachedTokens: spec({ name: 'dynamo_frontend_cached_tokens', type: 'histogram', unit: 'tokens', scope: 'gateway', group: 'frontend',
    help: 'Prompt tokens served from the prefix cache per request (usage.prompt_tokens_details.cached_tokens); KV efficiency = _sum / input_sequence_tokens_sum',
    labels: ['model'], buckets: CACHED_TOKEN_BUCKETS, source: 'Dynamo frontend; seed 004 KV efficiency' }),
  kvHitRate: spec({ name: 'dynamo_frontend_kv_hit_rate', type: 'histogram', unit: 'ratio', scope: 'gateway', group: 'frontend',
    help: 'Predicted KV cache hit rate of the chosen worker at routing time (overlap blocks / prompt blocks, 0-1)',
    labels: ['model'], buckets: HIT_RATE_BUCKETS, source: 'seed 002 kv_hit_rate' }),
  workerActiveDecodeBlocks: spec({ name: 'dynamo_frontend_worker_active_decode_blocks', type: 'gauge', unit: 'blocks', scope: 'gateway', group: 'frontend',
    help: 'Active KV cache decode blocks per worker (last load report)', labels: ['worker_id'], source: 'seed 002 WorkerLoadMetrics' }),
  workerActivePrefillTokens: spec({ name: 'dynamo_frontend_worker_active_prefill_tokens', type: 'gauge', unit: 'tokens', scope: 'gateway', group: 'frontend',
    help: 'Prompt tokens admitted but not yet computed per worker (last load report)', labels: ['worker_id'], source: 'seed 002 WorkerLoadMetrics' }),
  workerUp: spec({ name: 'dynamo_frontend_worker_up', type: 'gauge', unit: 'boolean', scope: 'gateway', group: 'frontend',
    help: '1 while the worker is connected and routable, 0 after it closed or a canary health check found it unhealthy', labels: ['worker_id'], source: 'worker-down alert (issue 7)' }),
  disconnectedClients: spec({ name: 'dynamo_frontend_disconnected_clients_total', type: 'counter', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Clients that hung up before their response finished (the request was aborted)', labels: ['model'], source: 'Dynamo frontend disconnected_clients' }),
  errors: spec({ name: 'dynamo_frontend_errors_total', type: 'counter', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Requests answered with an error, by error type (one per failed request)', labels: ['model', 'error_type'],
    labelValues: { error_type: ERROR_TYPES }, source: 'seeds 000/001 error_type' }),
  modelMigrations: spec({ name: 'dynamo_frontend_model_migration_total', type: 'counter', unit: 'requests', scope: 'gateway', group: 'frontend',
    help: 'Requests sent to another worker after theirs failed: new_request before the first token, ongoing_request mid-stream (--migration-limit)',
    labels: ['model', 'migration_type'], labelValues: { migration_type: MIGRATION_TYPES }, source: 'Dynamo frontend model_migration_total (request migration)' }),
} as const;

const overhead = (phase: string, help: string) => spec({ name: `dynamo_router_overhead_${phase}_ms`, type: 'histogram', unit: 'milliseconds',
  scope: 'gateway', group: 'router', help, labels: [], buckets: ROUTER_OVERHEAD_BUCKETS_MS, source: 'seed 002 RoutingOverheadMetrics (exact name and buckets)' });

/** Router metrics, registered on the gateway that runs the router. */
export const ROUTER_METRICS = {
  overheadBlockHashing: overhead('block_hashing', 'Time spent computing block hashes in milliseconds'),
  overheadIndexerFindMatches: overhead('indexer_find_matches', 'Time spent in indexer find_matches in milliseconds'),
  overheadSeqHashing: overhead('seq_hashing', 'Time spent computing sequence hashes in milliseconds'),
  overheadScheduling: overhead('scheduling', 'Time spent in scheduler worker selection in milliseconds'),
  overheadTotal: overhead('total', 'Total routing overhead per request in milliseconds'),
  decisions: spec({ name: 'dynamo_router_decisions_total', type: 'counter', unit: 'requests', scope: 'gateway', group: 'router',
    help: 'Routing decisions by policy, reason and chosen worker', labels: ['policy', 'reason', 'worker_id'],
    labelValues: { policy: ROUTING_POLICIES, reason: ROUTING_REASONS }, source: 'issue 5 routing explain' }),
  bestKvHitRate: spec({ name: 'dynamo_router_best_kv_hit_rate', type: 'histogram', unit: 'ratio', scope: 'gateway', group: 'router',
    help: 'Best KV hit rate any worker could have given (best overlap blocks / prompt blocks, 0-1)', labels: [],
    buckets: HIT_RATE_BUCKETS, source: 'issue 5 best reachable hit rate' }),
  kvEventsApplied: spec({ name: 'dynamo_router_kv_events_applied_total', type: 'counter', unit: 'events', scope: 'gateway', group: 'router',
    help: 'KV cache events applied to the indexer (all workers)', labels: [], source: 'issue 5 indexer' }),
  kvEventsRejected: spec({ name: 'dynamo_router_kv_events_rejected_total', type: 'counter', unit: 'events', scope: 'gateway', group: 'router',
    help: 'KV events counted and skipped, by reason', labels: ['reason'], labelValues: { reason: KV_EVENT_REJECT_REASONS }, source: 'issue 5 indexer' }),
  kvEventGaps: spec({ name: 'dynamo_router_kv_event_gaps_total', type: 'counter', unit: 'events', scope: 'gateway', group: 'router',
    help: 'event_id gaps detected (events lost); each asks the worker for a resync snapshot', labels: ['worker_id'], source: 'issue 5 gap detection' }),
  kvResyncs: spec({ name: 'dynamo_router_kv_resyncs_total', type: 'counter', unit: 'events', scope: 'gateway', group: 'router',
    help: 'Full KV snapshots applied after a gap or a worker (re)join', labels: ['worker_id'], source: 'issue 5 gap detection' }),
} as const;

/** Worker metrics: scheduler, KV cache and execution (seed 003), labelled by model and worker_id. */
export const WORKER_METRICS = {
  waitingQueueSize: spec({ name: 'dynamo_scheduler_waiting_queue_size', type: 'gauge', unit: 'sequences', scope: 'worker', group: 'scheduler',
    help: 'Sequences waiting for KV blocks / token budget to be scheduled', labels: W, source: 'seed 003 scheduler_waiting_queue_size' }),
  runningBatchSize: spec({ name: 'dynamo_scheduler_running_batch_size', type: 'gauge', unit: 'sequences', scope: 'worker', group: 'scheduler',
    help: 'Sequences in the running batch', labels: W, source: 'seed 003 scheduler_running_batch_size' }),
  swappedQueueSize: spec({ name: 'dynamo_scheduler_swapped_queue_size', type: 'gauge', unit: 'sequences', scope: 'worker', group: 'scheduler',
    help: 'Preempted sequences waiting to resume (recompute preemption: their blocks were freed)', labels: W, source: 'seed 003 scheduler_swapped_queue_size' }),
  iterationLatency: spec({ name: 'dynamo_scheduler_iteration_latency_seconds', type: 'histogram', unit: 'seconds', scope: 'worker', group: 'scheduler',
    help: 'Time of one scheduler decision (schedule(), without the forward pass)', labels: W, buckets: SCHEDULER_ITERATION_BUCKETS, source: 'seed 003' }),
  allocationLatency: spec({ name: 'dynamo_scheduler_allocation_latency_seconds', type: 'histogram', unit: 'seconds', scope: 'worker', group: 'scheduler',
    help: 'Time to allocate KV blocks for a sequence', labels: W, buckets: ALLOCATION_BUCKETS, source: 'seed 003' }),
  queueWait: spec({ name: 'dynamo_scheduler_queue_wait_seconds', type: 'histogram', unit: 'seconds', scope: 'worker', group: 'scheduler',
    help: 'Time a request waited in the engine queue before its first scheduled step', labels: W, buckets: QUEUE_WAIT_BUCKETS, source: 'seed 000 queue_wait' }),
  preemptions: spec({ name: 'dynamo_scheduler_preemptions_total', type: 'counter', unit: 'sequences', scope: 'worker', group: 'scheduler',
    help: 'Sequences preempted, by reason', labels: [...W, 'reason'], labelValues: { reason: PREEMPTION_REASONS }, source: 'seed 003' }),
  sequencesFinished: spec({ name: 'dynamo_scheduler_sequences_finished_total', type: 'counter', unit: 'sequences', scope: 'worker', group: 'scheduler',
    help: 'Sequences finished, by finish_reason', labels: [...W, 'finish_reason'], labelValues: { finish_reason: FINISH_REASONS }, source: 'seed 003' }),
  kvBlocksTotal: spec({ name: 'dynamo_kv_cache_total_blocks', type: 'gauge', unit: 'blocks', scope: 'worker', group: 'kv_cache',
    help: 'Physical KV blocks in the pool', labels: W, source: 'seed 003 kv_cache_blocks_total (renamed: gauges must not end _total)' }),
  kvBlocksUsed: spec({ name: 'dynamo_kv_cache_used_blocks', type: 'gauge', unit: 'blocks', scope: 'worker', group: 'kv_cache',
    help: 'KV blocks referenced by live sequences', labels: W, source: 'seed 003 kv_cache_blocks_used' }),
  kvUtilization: spec({ name: 'dynamo_kv_cache_utilization_ratio', type: 'gauge', unit: 'ratio', scope: 'worker', group: 'kv_cache',
    help: 'used_blocks / total_blocks (0-1)', labels: W, source: 'seed 003 kv_cache_utilization_ratio' }),
  prefixCacheQueries: spec({ name: 'dynamo_prefix_cache_query_tokens_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'kv_cache',
    help: 'Prompt tokens looked up in the prefix cache', labels: W, source: 'seed 003 prefix cache (vLLM queries in tokens)' }),
  prefixCacheHits: spec({ name: 'dynamo_prefix_cache_hit_tokens_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'kv_cache',
    help: 'Prompt tokens found in the prefix cache; hit rate = rate(hit) / rate(query)', labels: W, source: 'seed 003 prefix_cache_hit_total (in tokens)' }),
  prefixCacheHitRate: spec({ name: 'dynamo_prefix_cache_hit_rate', type: 'histogram', unit: 'ratio', scope: 'worker', group: 'kv_cache',
    help: 'Per-request prefix cache hit rate (cached / prompt tokens, 0-1)', labels: W, buckets: PREFIX_HIT_RATE_BUCKETS, source: 'seed 000' }),
  prefixCacheEvictions: spec({ name: 'dynamo_prefix_cache_evictions_total', type: 'counter', unit: 'blocks', scope: 'worker', group: 'kv_cache',
    help: 'Cached blocks evicted from the prefix cache to make room', labels: W, source: 'seeds 000/003 prefix_cache_evictions_total' }),
  prefillTokens: spec({ name: 'dynamo_prefill_tokens_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'execution',
    help: 'Prompt tokens computed by prefill chunks (cache hits excluded, recompute after preemption included)', labels: W, source: 'seed 003 prefill_tokens_total' }),
  decodeTokens: spec({ name: 'dynamo_decode_tokens_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'execution',
    help: 'Tokens computed by decode steps (one per running sequence per step)', labels: W, source: 'seed 003 decode_tokens_total' }),
  tokensPerSecond: spec({ name: 'dynamo_tokens_per_second', type: 'gauge', unit: 'tokens_per_second', scope: 'worker', group: 'execution',
    help: 'Token throughput over a sliding window, by phase', labels: [...W, 'phase'], labelValues: { phase: THROUGHPUT_PHASES }, source: 'seed 003 tokens_per_second' }),
  stepDuration: spec({ name: 'dynamo_engine_step_duration_seconds', type: 'histogram', unit: 'seconds', scope: 'worker', group: 'execution',
    help: 'Time of one engine step: schedule, forward pass, sampling, postprocess', labels: W, buckets: STEP_DURATION_BUCKETS, source: 'seed 003 executor.forward' }),
  prefillDuration: spec({ name: 'dynamo_request_prefill_duration_seconds', type: 'histogram', unit: 'seconds', scope: 'worker', group: 'execution',
    help: 'Time from a request\'s first scheduled step to its first token (all prefill chunks)', labels: W, buckets: PREFILL_BUCKETS, source: 'seed 000 prefill' }),
  speculativeAccepted: spec({ name: 'dynamo_speculative_tokens_accepted_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'execution',
    help: 'Speculative decoding: n-gram draft tokens the verifying step kept (each equals the token plain decoding picks)', labels: W,
    source: 'seed 003 speculative_tokens_accepted_total; vLLM num_accepted_tokens' }),
  speculativeRejected: spec({ name: 'dynamo_speculative_tokens_rejected_total', type: 'counter', unit: 'tokens', scope: 'worker', group: 'execution',
    help: 'Speculative decoding: draft tokens proposed and discarded by verification; acceptance = rate(accepted) / (rate(accepted) + rate(rejected))', labels: W,
    source: 'seed 003 speculative_tokens_rejected_total' }),
  speculativeDrafts: spec({ name: 'dynamo_speculative_drafts_total', type: 'counter', unit: 'sequences', scope: 'worker', group: 'execution',
    help: 'Speculative decoding: decode rows that verified drafts (one per sequence per verified step); mean acceptance length = 1 + rate(accepted) / rate(drafts)', labels: W,
    source: 'vLLM vllm:spec_decode_num_drafts_total (num_drafts)' }),
  speculativeAcceptanceRate: spec({ name: 'dynamo_speculative_acceptance_rate', type: 'gauge', unit: 'ratio', scope: 'worker', group: 'execution',
    help: 'Speculative decoding: accepted / proposed draft tokens over the last 10 s of verified steps (0-1; holds its last value while none are verified; no series until the first)',
    labels: W, source: 'seed 003 speculative_acceptance_rate (target > 0.7, alert < 0.5)' }),
} as const;

/** nvidia-smi GPU indices a worker may report (bounded: at most 16 GPUs per node). */
export const GPU_INDICES = Array.from({ length: 16 }, (_, i) => String(i));
const GPU = [...W, 'gpu'] as const;

/** GPU metrics (seed 001 GPU rows), registered by a `--device cuda` worker once nvidia-smi answers. */
export const GPU_METRICS = {
  gpuUtilization: spec({ name: 'dynamo_gpu_utilization_ratio', type: 'gauge', unit: 'ratio', scope: 'worker', group: 'execution',
    help: 'GPU utilization (0-1): fraction of the last sample period a kernel ran, from nvidia-smi utilization.gpu', labels: GPU,
    labelValues: { gpu: GPU_INDICES }, source: 'seed 001 llm_gpu_utilization' }),
  gpuMemoryUsed: spec({ name: 'dynamo_gpu_memory_used_bytes', type: 'gauge', unit: 'bytes', scope: 'worker', group: 'execution',
    help: 'GPU memory in use (all processes), from nvidia-smi memory.used', labels: GPU,
    labelValues: { gpu: GPU_INDICES }, source: 'seed 001 llm_gpu_memory_used_bytes' }),
  gpuMemoryTotal: spec({ name: 'dynamo_gpu_memory_total_bytes', type: 'gauge', unit: 'bytes', scope: 'worker', group: 'execution',
    help: 'GPU memory capacity, from nvidia-smi memory.total (memory alerts divide by it instead of assuming 80 GiB)', labels: GPU,
    labelValues: { gpu: GPU_INDICES }, source: 'seed 001 GPU memory panels' }),
} as const;

export const CATALOGUE = { ...FRONTEND_METRICS, ...ROUTER_METRICS, ...WORKER_METRICS, ...GPU_METRICS } as const;

/** Every catalogue entry as a list, in catalogue order. */
export function allMetricSpecs(): MetricSpec[] {
  return Object.values(CATALOGUE) as MetricSpec[];
}
