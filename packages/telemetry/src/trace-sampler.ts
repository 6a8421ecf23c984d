// Head sampling (seed 000 DynamoTraceSampler): a root is sampled with probability `ratio`,
// decided from its trace id so every process agrees; a sampled remote parent is always followed.
// With `tail` on, unsampled spans are still RECORDED so the tail processor can keep the errors
// and slow requests among them; with `tail` off they are not recorded at all.

import { trace, isSpanContextValid, TraceFlags, type Context } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

export interface TraceSamplerOptions {
  /** Fraction of root traces kept by head sampling, in [0, 1]. */
  ratio: number;
  /** Record head-unsampled spans for the tail decision (errors / slow requests kept). */
  tail: boolean;
}

/** Deterministic accept for a ratio from the low 8 hex digits of the trace id. */
export function acceptsTraceId(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const low = parseInt(traceId.slice(-8), 16);
  return low / 0x1_0000_0000 < ratio;
}

export class DynamoTraceSampler implements Sampler {
  private readonly ratio: number;

  constructor(private readonly options: TraceSamplerOptions) {
    this.ratio = Math.min(1, Math.max(0, Number.isFinite(options.ratio) ? options.ratio : 1));
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    const sampled = parent && isSpanContextValid(parent)
      ? (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
      : acceptsTraceId(traceId, this.ratio);
    if (sampled) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return { decision: this.options.tail ? SamplingDecision.RECORD : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `DynamoTraceSampler{ratio=${this.ratio},tail=${this.options.tail}}`;
  }
}
