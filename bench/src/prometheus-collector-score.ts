// Seed 004's core optimization metrics and combined score: KV efficiency (cached / prompt tokens),
// TTFT and ITL p50/p95/p99 in seconds. Invariant: the score is null unless KVE, TTFT p95 and ITL p95
// are all known; latency sub-scores are target/actual capped at 1 (lower latency = higher score).

export interface CoreMetrics {
  /** cached prompt tokens / prompt tokens over the window (0-1), or null without traffic. */
  kvEfficiency: number | null;
  /** Where kvEfficiency came from: the gateway's per-request counts, or the workers' prefix cache. */
  kvEfficiencySource: 'frontend_cached_tokens' | 'worker_prefix_cache' | null;
  ttftP50: number | null;
  ttftP95: number | null;
  ttftP99: number | null;
  itlP50: number | null;
  itlP95: number | null;
  itlP99: number | null;
}

export interface ScoreWeights {
  kvWeight: number;
  ttftWeight: number;
  itlWeight: number;
  ttftTargetSeconds: number;
  itlTargetSeconds: number;
}

/** seed 004 `to_optimization_score` defaults. */
export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = {
  kvWeight: 0.4, ttftWeight: 0.4, itlWeight: 0.2, ttftTargetSeconds: 0.5, itlTargetSeconds: 0.05,
};

/** target/actual capped at 1; a zero latency meets any target. */
function latencyScore(targetSeconds: number, actualSeconds: number): number {
  return actualSeconds <= 0 ? 1 : Math.min(1, targetSeconds / actualSeconds);
}

export function isComplete(m: CoreMetrics): boolean {
  return m.kvEfficiency !== null && m.ttftP95 !== null && m.itlP95 !== null;
}

/** Combined score in [0, 1], higher is better; null when a core metric is missing. */
export function optimizationScore(m: CoreMetrics, w: ScoreWeights = DEFAULT_SCORE_WEIGHTS): number | null {
  if (m.kvEfficiency === null || m.ttftP95 === null || m.itlP95 === null) return null;
  return w.kvWeight * m.kvEfficiency
    + w.ttftWeight * latencyScore(w.ttftTargetSeconds, m.ttftP95)
    + w.itlWeight * latencyScore(w.itlTargetSeconds, m.itlP95);
}
