// Test support for in-graph (float32) vs JS (float64) inverse-CDF draws: how close a draw lies to a CDF step, so a
// disagreement can be told apart from float32 rounding. Pure; not exported from the package.

/** Distance (relative to the total) from u·total to the nearest CDF step between picks a and b. */
export function boundaryDistance(w: Float64Array, u: number, a: number, b: number): number {
  let total = 0;
  for (const x of w) total += x;
  let cum = 0, best = Infinity;
  for (let j = 0; j < Math.max(a, b); j++) {
    cum += w[j]!;
    if (j >= Math.min(a, b)) best = Math.min(best, Math.abs(cum - u * total));
  }
  return best / total;
}

/** How close (relative to the total mass) a float32 in-graph draw may lie to a CDF step and pick its neighbour. */
export const TOLERANCE = 1e-5;
