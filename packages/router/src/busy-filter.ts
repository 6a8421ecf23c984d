// Busy thresholds (Dynamo --busy-threshold): a worker whose predicted KV usage or queued prefill
// tokens reach a threshold takes no new requests. When every worker is busy the router either
// rejects with `all_busy` (default: the gateway answers 503, as Dynamo does) or, with
// onAllBusy 'least_loaded', sends the request to the least loaded worker anyway.

import type { WorkerCandidate } from './routing-policy.js';

export interface BusyThresholds {
  /** Fraction of KV blocks active, in (0, 1]. */
  kvUsage?: number;
  /** Prompt tokens admitted but not yet computed. */
  prefillTokens?: number;
  onAllBusy?: 'reject' | 'least_loaded';
}

export function isBusy(c: WorkerCandidate, t: BusyThresholds | undefined): boolean {
  if (!t) return false;
  if (t.kvUsage !== undefined && c.numTotalBlocks > 0 && c.numActiveBlocks / c.numTotalBlocks >= t.kvUsage) return true;
  return t.prefillTokens !== undefined && c.numPrefillTokensQueued >= t.prefillTokens;
}
