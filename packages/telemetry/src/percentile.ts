// Nearest-rank percentile, the one used by span aggregates (decode TBT) and the SLO report.

/** p in [0, 100] over values sorted ascending; null for no data. */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** p in [0, 100]; null for no data. */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted([...values].sort((a, b) => a - b), p);
}
