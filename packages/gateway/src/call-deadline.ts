// Deadlines of one HTTP call to a remote worker: a TimeoutError naming the limit, or the abort of a long-lived parent
// (the connection's lifetime). Invariant: release() clears the timer and unhooks the parent, so the parent retains
// nothing per call (AbortSignal.any does: on Node 20 its dependants pile up on a long-lived source, one per query).

/** Aborts `controller` with a TimeoutError carrying `message` after `ms`; returns the cancel. */
export function abortAfter(controller: AbortController, ms: number, message: string): () => void {
  const timer = setTimeout(() => controller.abort(new DOMException(message, 'TimeoutError')), ms);
  return () => clearTimeout(timer);
}

export interface CallDeadline {
  readonly signal: AbortSignal;
  /** Clears the timer and the parent hook once the call settled. Idempotent. */
  release(): void;
}

/** A signal aborted after `ms` (TimeoutError "no answer within `ms` ms") or with the parent's reason, whichever is first. */
export function callDeadline(parent: AbortSignal, ms: number): CallDeadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  const cancelTimer = abortAfter(controller, ms, `no answer within ${ms} ms`);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      cancelTimer();
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
