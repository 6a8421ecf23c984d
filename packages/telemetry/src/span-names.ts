// Span names and attribute keys of one request's trace (seed 000 hierarchy), shared by the
// gateway and worker adapters and the trace analyzer. `gen_ai.*` keys follow the OpenTelemetry
// GenAI semantic conventions where one exists; the rest are the seed's own keys.

/** request → routing (kv_cache_lookup, load_balance) → scheduling (queue_wait, budget_allocation)
 *  → prefill (kv_cache_alloc, model_forward_prefill, sampling_prefill)
 *  → decode (decode_step per step → model_forward_decode, sampling_decode, token_emit). */
export const SPAN = {
  request: 'request',
  routing: 'routing',
  kvCacheLookup: 'kv_cache_lookup',
  loadBalance: 'load_balance',
  scheduling: 'scheduling',
  queueWait: 'queue_wait',
  budgetAllocation: 'budget_allocation',
  prefill: 'prefill',
  kvCacheAlloc: 'kv_cache_alloc',
  modelForwardPrefill: 'model_forward_prefill',
  samplingPrefill: 'sampling_prefill',
  decode: 'decode',
  decodeStep: 'decode_step',
  modelForwardDecode: 'model_forward_decode',
  samplingDecode: 'sampling_decode',
  tokenEmit: 'token_emit',
} as const;

export type SpanName = (typeof SPAN)[keyof typeof SPAN];

export const EVENT = {
  preempted: 'preempted',
  clientDisconnected: 'client_disconnected',
} as const;

export const ATTR = {
  // OpenTelemetry GenAI semantic conventions
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestSeed: 'gen_ai.request.seed',
  requestChoiceCount: 'gen_ai.request.choice.count',
  responseId: 'gen_ai.response.id',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  errorType: 'error.type',
  httpRoute: 'http.route',
  httpStatusCode: 'http.response.status_code',
  // seed 000 request span
  requestId: 'request.id',
  requestStream: 'request.stream',
  requestPromptTokens: 'request.prompt_tokens',
  requestOutputTokens: 'request.output_tokens',
  requestCachedTokens: 'request.cached_tokens',
  requestTtftMs: 'request.ttft_ms',
  requestTotalTimeMs: 'request.total_time_ms',
  requestTokensPerSec: 'request.tokens_per_sec',
  requestChoiceIndex: 'request.choice_index',
  // routing
  routingStrategy: 'routing.strategy',
  routingCandidates: 'routing.candidates',
  routingKvCacheHit: 'routing.kv_cache_hit',
  routingSelectedWorker: 'routing.selected_worker',
  routingSelectionReason: 'routing.selection_reason',
  routingOverlapBlocks: 'routing.overlap_blocks',
  routingBestOverlapBlocks: 'routing.best_overlap_blocks',
  routingPromptBlocks: 'routing.prompt_blocks',
  routingPredictedCachedTokens: 'routing.predicted_cached_tokens',
  routingLatencyMs: 'routing.latency_ms',
  routingPhaseMs: 'routing.phase_ms',
  // scheduling
  schedulingQueueDepthAtEntry: 'scheduling.queue_depth_at_entry',
  schedulingQueueTimeMs: 'scheduling.queue_time_ms',
  schedulingAssignedTokens: 'scheduling.assigned_tokens',
  workerId: 'worker.id',
  // prefill
  prefillPromptTokens: 'prefill.prompt_tokens',
  prefillCachedTokens: 'prefill.cached_tokens',
  prefillNewTokens: 'prefill.new_tokens',
  prefillCacheHitRate: 'prefill.cache_hit_rate',
  prefillTimeMs: 'prefill.time_ms',
  prefillTokensPerSec: 'prefill.tokens_per_sec',
  prefillTtftMs: 'prefill.ttft_ms',
  prefillChunkTokens: 'prefill.chunk_tokens',
  prefillRecompute: 'prefill.recompute',
  allocationMs: 'kv_cache_alloc.allocation_ms',
  // decode
  decodeStep: 'decode.step',
  decodeBatchSize: 'decode.batch_size',
  decodeTotalSteps: 'decode.total_steps',
  decodeAvgTbtMs: 'decode.avg_tbt_ms',
  decodeP99TbtMs: 'decode.p99_tbt_ms',
  decodeMaxTbtMs: 'decode.max_tbt_ms',
  decodePreemptions: 'decode.preemptions',
  tokenCount: 'token.count',
  preemptionReason: 'preemption.reason',
} as const;
