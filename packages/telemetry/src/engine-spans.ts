// Worker-side spans of each request, built from engine callbacks (EngineObserver-shaped, no engine
// import): scheduling (queue_wait, budget_allocation), prefill (kv_cache_alloc, model_forward_prefill,
// sampling_prefill), decode (decode_step → model_forward_decode, sampling_decode, token_emit), all
// children of the request span named by GenerateRequest.traceContext. Events of a step are buffered
// until the step's onStep gives its time window. Invariant: every begun request's spans end once.

import { SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR, EVENT, SPAN } from './span-names.js';
import { extractContext, type TraceCarrier } from './trace-context.js';
import { percentileSorted } from './percentile.js';
import { epochNowMs } from './span-clock.js';

export interface StepWindowStats {
  scheduleSeconds: number;
  forwardSeconds: number;
  postprocessSeconds: number;
  numPrefillSeqs: number;
  numDecodeSeqs: number;
}

export interface BegunRequest {
  requestId: string;
  traceContext: TraceCarrier;
  arrivalTimeMs: number;
}

interface Pending {
  scheduled: { queueWaitSeconds: number; numPromptTokens: number; numCachedTokens: number } | null;
  chunks: { numTokens: number; seconds: number }[];
  firstToken: boolean;
  numTokens: number;
  end: { error: { code: string; message: string } | null; attributes: Record<string, string | number | string[]> } | null;
}

interface RequestSpans {
  parent: Context;
  arrivalTimeMs: number;
  queuedAtMs: number;
  queueDepth: number;
  numPromptTokens: number;
  numCachedTokens: number;
  prefillStartMs: number;
  scheduling: Span | null;
  prefill: Span | null;
  decode: Span | null;
  decodeCtx: Context | null;
  lastTokenAtMs: number;
  gapsMs: number[];
  numPreemptions: number;
  pending: Pending;
}

const freshPending = (): Pending => ({ scheduled: null, chunks: [], firstToken: false, numTokens: 0, end: null });

export class EngineSpanRecorder {
  private readonly requests = new Map<string, RequestSpans>();
  private readonly touched = new Set<string>();
  private stepAllocationSeconds = 0;
  private fallbackQueued = false;

  constructor(private readonly tracer: Tracer, private readonly options: { perStepSpans: boolean; workerId: string }) {}

  get numOpen(): number {
    return this.requests.size;
  }

  begin(request: BegunRequest): void {
    const now = epochNowMs();
    this.requests.set(request.requestId, {
      parent: extractContext(request.traceContext), arrivalTimeMs: request.arrivalTimeMs, queuedAtMs: now, queueDepth: 0,
      numPromptTokens: 0, numCachedTokens: 0, prefillStartMs: now, scheduling: null, prefill: null, decode: null, decodeCtx: null,
      lastTokenAtMs: now, gapsMs: [], numPreemptions: 0, pending: freshPending(),
    });
  }

  /** The engine refused the request at add(): nothing was scheduled, no span to show. */
  forget(requestId: string): void {
    this.requests.delete(requestId);
    this.touched.delete(requestId);
  }

  queued(requestId: string, queueDepth: number): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    r.queuedAtMs = epochNowMs();
    r.queueDepth = queueDepth;
  }

  scheduled(requestId: string, info: { queueWaitSeconds: number; numPromptTokens: number; numCachedTokens: number }): void {
    const p = this.pending(requestId);
    if (p) p.scheduled = info;
  }

  prefillChunk(requestId: string, info: { numTokens: number; seconds: number }): void {
    this.pending(requestId)?.chunks.push(info);
  }

  firstToken(requestId: string): void {
    const p = this.pending(requestId);
    if (p) p.firstToken = true;
  }

  /** The engine emitted a token event for the request (decode tokens and recompute tokens alike). */
  tokensEmitted(requestId: string, numTokens: number): void {
    const p = this.pending(requestId);
    if (p) p.numTokens += numTokens;
  }

  allocation(seconds: number): void {
    this.stepAllocationSeconds += seconds;
  }

  preempted(requestId: string, reason: string): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    r.numPreemptions++;
    (r.decode ?? r.prefill ?? r.scheduling)?.addEvent(EVENT.preempted, { [ATTR.preemptionReason]: reason }, epochNowMs());
  }

  finished(requestId: string, finishReason: string, usage: { numPromptTokens: number; numCompletionTokens: number; numCachedTokens: number }): void {
    this.ending(requestId, {
      error: null,
      attributes: {
        [ATTR.responseFinishReasons]: [finishReason],
        [ATTR.usageInputTokens]: usage.numPromptTokens,
        [ATTR.usageOutputTokens]: usage.numCompletionTokens,
      },
    });
  }

  failed(requestId: string, error: { code: string; message: string }): void {
    this.ending(requestId, { error, attributes: { [ATTR.errorType]: error.code } });
  }

  /** One engine step ended: place every buffered event of the step in its time window. */
  step(stats: StepWindowStats): void {
    const stepEnd = epochNowMs();
    const stepStart = stepEnd - (stats.scheduleSeconds + stats.forwardSeconds + stats.postprocessSeconds) * 1000;
    const w = {
      stepStart, stepEnd, batchSize: stats.numPrefillSeqs + stats.numDecodeSeqs,
      allocEnd: stepStart + stats.scheduleSeconds * 1000,
      budgetEnd: stepStart + Math.max(0, stats.scheduleSeconds - this.stepAllocationSeconds) * 1000,
      fwdStart: stepStart + stats.scheduleSeconds * 1000,
      fwdEnd: stepStart + (stats.scheduleSeconds + stats.forwardSeconds) * 1000,
      allocMs: this.stepAllocationSeconds * 1000,
    };
    this.stepAllocationSeconds = 0;
    for (const id of this.touched) {
      const r = this.requests.get(id);
      if (r) this.materialize(id, r, w);
    }
    this.touched.clear();
  }

  /** The request's events buffered for the current step (marking it touched); null once it is closed. */
  private pending(requestId: string): Pending | null {
    const r = this.requests.get(requestId);
    if (!r) return null;
    this.touched.add(requestId);
    return r.pending;
  }

  private ending(requestId: string, end: NonNullable<Pending['end']>): void {
    const r = this.requests.get(requestId);
    if (!r) return;
    r.pending.end = end;
    this.touched.add(requestId);
    // Ends reported during a step's postprocess are placed by the onStep that follows at once;
    // an end with no step after it (abort while queued, a failed forward) closes on the next tick.
    if (this.fallbackQueued) return;
    this.fallbackQueued = true;
    setImmediate(() => {
      this.fallbackQueued = false;
      for (const id of [...this.touched]) {
        const open = this.requests.get(id);
        if (!open?.pending.end) continue;
        this.touched.delete(id);
        this.close(id, open, epochNowMs());
      }
    });
  }

  private materialize(id: string, r: RequestSpans, w: StepWindow): void {
    const p = r.pending;
    r.pending = freshPending();
    if (p.scheduled) this.startPrefill(r, p.scheduled, w);
    const under = r.decode ? r.decodeCtx! : r.prefill ? trace.setSpan(r.parent, r.prefill) : r.parent;
    for (const chunk of p.chunks) {
      if (r.decode && !this.options.perStepSpans) continue;
      this.child(SPAN.modelForwardPrefill, under, w.fwdStart, w.fwdStart + chunk.seconds * 1000, {
        [ATTR.prefillChunkTokens]: chunk.numTokens, [ATTR.decodeBatchSize]: w.batchSize, ...(r.decode ? { [ATTR.prefillRecompute]: true } : {}),
      });
    }
    if (r.decode && p.numTokens > 0) this.decodeStep(r, w);
    if (p.firstToken && r.prefill) this.endPrefill(r, w);
    if (p.end) this.close(id, r, w.stepEnd, p.end);
  }

  private startPrefill(r: RequestSpans, info: NonNullable<Pending['scheduled']>, w: StepWindow): void {
    r.numPromptTokens = info.numPromptTokens;
    r.numCachedTokens = info.numCachedTokens;
    r.prefillStartMs = w.budgetEnd;
    // prefill opens before scheduling ends so the trace never has zero open spans mid-request.
    r.prefill = this.tracer.startSpan(SPAN.prefill, { startTime: w.budgetEnd }, r.parent);
    const prefillCtx = trace.setSpan(r.parent, r.prefill);
    r.scheduling = this.tracer.startSpan(SPAN.scheduling, {
      startTime: r.queuedAtMs,
      attributes: {
        [ATTR.schedulingQueueDepthAtEntry]: r.queueDepth, [ATTR.schedulingQueueTimeMs]: info.queueWaitSeconds * 1000,
        [ATTR.workerId]: this.options.workerId,
      },
    }, r.parent);
    const schedCtx = trace.setSpan(r.parent, r.scheduling);
    this.child(SPAN.queueWait, schedCtx, r.queuedAtMs, w.stepStart, {});
    this.child(SPAN.budgetAllocation, schedCtx, w.stepStart, w.budgetEnd, { [ATTR.decodeBatchSize]: w.batchSize });
    r.scheduling.end(w.budgetEnd);
    r.scheduling = null;
    this.child(SPAN.kvCacheAlloc, prefillCtx, w.budgetEnd, w.allocEnd, { [ATTR.allocationMs]: w.allocMs });
  }

  private endPrefill(r: RequestSpans, w: StepWindow): void {
    const prefill = r.prefill!;
    this.child(SPAN.samplingPrefill, trace.setSpan(r.parent, prefill), w.fwdEnd, w.stepEnd, {});
    const timeMs = w.stepEnd - r.prefillStartMs;
    const newTokens = r.numPromptTokens - r.numCachedTokens;
    prefill.setAttributes({
      [ATTR.prefillPromptTokens]: r.numPromptTokens, [ATTR.prefillCachedTokens]: r.numCachedTokens,
      [ATTR.prefillNewTokens]: newTokens, [ATTR.prefillCacheHitRate]: r.numCachedTokens / Math.max(r.numPromptTokens, 1),
      [ATTR.prefillTimeMs]: timeMs, [ATTR.prefillTokensPerSec]: timeMs > 0 ? newTokens / (timeMs / 1000) : 0,
      [ATTR.prefillTtftMs]: w.stepEnd - r.arrivalTimeMs,
    });
    prefill.end(w.stepEnd);
    r.prefill = null;
    r.lastTokenAtMs = w.stepEnd;
    r.decode = this.tracer.startSpan(SPAN.decode, { startTime: w.stepEnd }, r.parent);
    r.decodeCtx = trace.setSpan(r.parent, r.decode);
  }

  private decodeStep(r: RequestSpans, w: StepWindow): void {
    const gapStart = r.lastTokenAtMs;
    r.gapsMs.push(w.stepEnd - gapStart);
    r.lastTokenAtMs = w.stepEnd;
    if (!this.options.perStepSpans) return;
    const step = this.tracer.startSpan(SPAN.decodeStep, {
      startTime: gapStart, attributes: { [ATTR.decodeStep]: r.gapsMs.length, [ATTR.decodeBatchSize]: w.batchSize },
    }, r.decodeCtx!);
    const ctx = trace.setSpan(r.decodeCtx!, step);
    this.child(SPAN.modelForwardDecode, ctx, w.fwdStart, w.fwdEnd, {});
    this.child(SPAN.samplingDecode, ctx, w.fwdEnd, w.stepEnd, {});
    this.child(SPAN.tokenEmit, ctx, w.stepEnd, w.stepEnd, { [ATTR.tokenCount]: 1 });
    step.end(w.stepEnd);
  }

  private close(id: string, r: RequestSpans, atMs: number, end = r.pending.end): void {
    this.requests.delete(id);
    const error = end?.error ?? null;
    const mark = (span: Span) => {
      if (end) span.setAttributes(end.attributes);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    };
    if (r.decode) {
      const gaps = [...r.gapsMs].sort((a, b) => a - b);
      r.decode.setAttributes({
        [ATTR.decodeTotalSteps]: gaps.length,
        [ATTR.decodeAvgTbtMs]: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0,
        [ATTR.decodeP99TbtMs]: percentileSorted(gaps, 99) ?? 0, [ATTR.decodeMaxTbtMs]: percentileSorted(gaps, 100) ?? 0,
        [ATTR.decodePreemptions]: r.numPreemptions,
      });
      mark(r.decode);
      r.decode.end(atMs);
      return;
    }
    const open = r.prefill ?? this.tracer.startSpan(SPAN.scheduling, {
      startTime: r.queuedAtMs, attributes: { [ATTR.schedulingQueueDepthAtEntry]: r.queueDepth, [ATTR.workerId]: this.options.workerId },
    }, r.parent);
    mark(open);
    open.end(atMs);
  }

  private child(name: string, parent: Context, startMs: number, endMs: number, attributes: Record<string, string | number | boolean>): void {
    this.tracer.startSpan(name, { startTime: startMs, attributes }, parent).end(Math.max(startMs, endMs));
  }
}

interface StepWindow {
  stepStart: number;
  stepEnd: number;
  batchSize: number;
  budgetEnd: number;
  allocEnd: number;
  fwdStart: number;
  fwdEnd: number;
  allocMs: number;
}
