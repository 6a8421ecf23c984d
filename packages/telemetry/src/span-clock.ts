// Wall-clock time for span timestamps: epoch milliseconds with sub-millisecond precision
// (performance.timeOrigin + performance.now()), monotonic within a process.

export const epochNowMs = (): number => performance.timeOrigin + performance.now();
