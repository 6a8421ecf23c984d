// Order statistics over latency samples: linear-interpolated percentiles (numpy's default, as vLLM
// and AIPerf report them) plus mean/min/max, and the median of repeated timings. Empty input gives
// null fields, never NaN.

export interface Distribution {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/** q in [0, 100] over values sorted ascending; linear interpolation between closest ranks. */
export function percentileSorted(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (Math.min(Math.max(q, 0), 100) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function percentile(values: readonly number[], q: number): number | null {
  return percentileSorted([...values].sort((a, b) => a - b), q);
}

/** The middle measured value (upper middle for an even count), not an interpolation; null for no data. */
export function median(values: readonly number[]): number | null {
  return values.length ? [...values].sort((a, b) => a - b)[values.length >> 1]! : null;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : null,
    min: sorted.length ? sorted[0]! : null,
    max: sorted.length ? sorted[sorted.length - 1]! : null,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
  };
}

/** Empirical CDF points (value, fraction ≤ value), thinned to at most maxPoints for charts. */
export function cdfPoints(values: readonly number[], maxPoints = 200): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const points: [number, number][] = [];
  for (let i = 0; i < n; i += stride) points.push([sorted[i]!, (i + 1) / n]);
  if (n > 0 && points[points.length - 1]![1] !== 1) points.push([sorted[n - 1]!, 1]);
  return points;
}
