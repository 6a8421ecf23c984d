// Gateway-side spans of one client request: the root `request` span (child of an incoming W3C
// traceparent when there is one) and one `routing` span per choice with `kv_cache_lookup` and
// `load_balance` children timed from the router's phase timings. Workers parent their spans on
// `carrier()`. Invariant: finish() ends the root exactly once; later calls are ignored.

import { SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { RoutingDecision } from '@mini-dynamo/protocol';
import { ATTR, EVENT, SPAN } from './span-names.js';
import { carrierOf, extractContext, traceIdOf, type TraceCarrier } from './trace-context.js';
import { epochNowMs } from './span-clock.js';

/** Router phase timings in milliseconds (Dynamo's routing overhead phases). */
export interface RoutingPhaseTimings {
  blockHashingMs: number;
  indexerFindMatchesMs: number;
  seqHashingMs: number;
  schedulingMs: number;
  totalMs: number;
}

export interface RequestAttributes {
  model: string;
  operation: 'chat' | 'text_completion';
  stream: boolean;
  responseId: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number | null;
  numChoices?: number;
  numPromptTokens?: number;
}

export type RequestEnd =
  | { status: 'success'; numOutputTokens: number; numCachedTokens: number; finishReasons: string[] }
  | { status: 'error'; errorType: string; message: string; httpStatus: number }
  | { status: 'disconnected'; numOutputTokens: number };

export class RequestTrace {
  readonly span: Span;
  readonly context: Context;
  readonly traceId: string | null;
  readonly startMs: number;
  private firstTokenMs: number | null = null;
  private ended = false;

  constructor(private readonly tracer: Tracer, incoming: TraceCarrier, route: string, startMs = epochNowMs()) {
    this.startMs = startMs;
    const parent = extractContext(incoming);
    this.span = tracer.startSpan(SPAN.request, { kind: SpanKind.SERVER, startTime: startMs, attributes: { [ATTR.httpRoute]: route } }, parent);
    this.context = trace.setSpan(parent, this.span);
    this.traceId = traceIdOf(this.span);
  }

  /** traceparent/tracestate naming the request span, for GenerateRequest.traceContext. */
  carrier(): TraceCarrier {
    return carrierOf(this.span);
  }

  describe(a: RequestAttributes): void {
    this.span.setAttributes({
      [ATTR.operationName]: a.operation, [ATTR.providerName]: 'mini-dynamo', [ATTR.requestModel]: a.model,
      [ATTR.responseModel]: a.model, [ATTR.responseId]: a.responseId, [ATTR.requestId]: a.responseId, [ATTR.requestStream]: a.stream,
      ...(a.maxTokens !== undefined ? { [ATTR.requestMaxTokens]: a.maxTokens } : {}),
      ...(a.temperature !== undefined ? { [ATTR.requestTemperature]: a.temperature } : {}),
      ...(a.topP !== undefined ? { [ATTR.requestTopP]: a.topP } : {}),
      ...(a.seed !== undefined && a.seed !== null ? { [ATTR.requestSeed]: a.seed } : {}),
      ...(a.numChoices !== undefined ? { [ATTR.requestChoiceCount]: a.numChoices } : {}),
      ...(a.numPromptTokens !== undefined ? { [ATTR.requestPromptTokens]: a.numPromptTokens, [ATTR.usageInputTokens]: a.numPromptTokens } : {}),
    });
  }

  /** A choice was routed at `decidedAtMs` after `timings.totalMs` of routing work. */
  routed(choiceIndex: number, decision: RoutingDecision, timings: RoutingPhaseTimings | null, decidedAtMs = epochNowMs()): void {
    const totalMs = timings?.totalMs ?? 0;
    const start = decidedAtMs - totalMs;
    const routing = this.tracer.startSpan(SPAN.routing, {
      startTime: start,
      attributes: {
        [ATTR.routingStrategy]: decision.policy, [ATTR.routingKvCacheHit]: decision.overlapBlocks > 0,
        [ATTR.routingSelectedWorker]: decision.workerId,
        [ATTR.routingSelectionReason]: decision.reason === 'kv_overlap' ? `prefix_match_${decision.predictedCachedTokens}_tokens` : decision.reason,
        [ATTR.routingOverlapBlocks]: decision.overlapBlocks, [ATTR.routingBestOverlapBlocks]: decision.bestOverlapBlocks,
        [ATTR.routingPromptBlocks]: decision.numPromptBlocks, [ATTR.routingPredictedCachedTokens]: decision.predictedCachedTokens,
        [ATTR.routingLatencyMs]: totalMs, [ATTR.requestChoiceIndex]: choiceIndex,
      },
    }, this.context);
    if (timings) {
      const ctx = trace.setSpan(this.context, routing);
      const lookupMs = timings.blockHashingMs + timings.indexerFindMatchesMs + timings.seqHashingMs;
      this.tracer.startSpan(SPAN.kvCacheLookup, {
        startTime: start,
        attributes: {
          [`${ATTR.routingPhaseMs}.block_hashing`]: timings.blockHashingMs,
          [`${ATTR.routingPhaseMs}.indexer_find_matches`]: timings.indexerFindMatchesMs,
          [`${ATTR.routingPhaseMs}.seq_hashing`]: timings.seqHashingMs,
        },
      }, ctx).end(start + lookupMs);
      this.tracer.startSpan(SPAN.loadBalance, { startTime: start + lookupMs, attributes: { [`${ATTR.routingPhaseMs}.scheduling`]: timings.schedulingMs } }, ctx)
        .end(Math.max(start + lookupMs, decidedAtMs));
    }
    routing.end(decidedAtMs);
  }

  /** First generated token of any choice (TTFT); returns TTFT in ms the first time, else null. */
  firstToken(atMs = epochNowMs()): number | null {
    if (this.firstTokenMs !== null) return null;
    this.firstTokenMs = atMs;
    const ttft = atMs - this.startMs;
    this.span.setAttribute(ATTR.requestTtftMs, ttft);
    return ttft;
  }

  finish(end: RequestEnd, atMs = epochNowMs()): void {
    if (this.ended) return;
    this.ended = true;
    const totalMs = atMs - this.startMs;
    this.span.setAttribute(ATTR.requestTotalTimeMs, totalMs);
    if (end.status === 'error') {
      this.span.setAttributes({ [ATTR.errorType]: end.errorType, [ATTR.httpStatusCode]: end.httpStatus });
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: end.message });
    } else {
      const tokens = end.numOutputTokens;
      this.span.setAttributes({
        [ATTR.requestOutputTokens]: tokens, [ATTR.usageOutputTokens]: tokens,
        [ATTR.requestTokensPerSec]: totalMs > 0 ? tokens / (totalMs / 1000) : 0,
      });
      if (end.status === 'disconnected') this.span.addEvent(EVENT.clientDisconnected, {}, atMs);
      else {
        this.span.setAttributes({ [ATTR.requestCachedTokens]: end.numCachedTokens, [ATTR.responseFinishReasons]: end.finishReasons });
        this.span.setStatus({ code: SpanStatusCode.OK });
      }
    }
    this.span.end(atMs);
  }
}
