// The event log a load run produces: one record per request, with client-side timestamps.
// Invariant: every time is milliseconds on one monotonic clock (performance.now) of the client.

export interface RequestUsage {
  promptTokens: number;
  completionTokens: number;
  /** usage.prompt_tokens_details.cached_tokens; null when the server does not report it. */
  cachedTokens: number | null;
}

export interface RequestRecord {
  id: string;
  /** When the request was sent. */
  sendMs: number;
  /** Arrival of every chunk that carried output text (first = first token). */
  chunkTimesMs: number[];
  /** When the response ended (the last byte, or the error); null if it never ended. */
  endMs: number | null;
  usage: RequestUsage | null;
  /** Null on success; a short message on any failure (HTTP status, network, timeout). */
  error: string | null;
  /** Prompt tokens the workload asked for; completion tokens it asked for (max_tokens). */
  numPromptTokens: number;
  maxTokens: number;
  /** Free-form labels: workload group, session, routing policy, worker header… */
  tags: Record<string, string>;
}

export function emptyRecord(id: string, sendMs: number, numPromptTokens: number, maxTokens: number): RequestRecord {
  return { id, sendMs, chunkTimesMs: [], endMs: null, usage: null, error: null, numPromptTokens, maxTokens, tags: {} };
}

/** Output tokens of a finished request: usage when reported, else one per chunk. */
export function numOutputTokens(r: RequestRecord): number {
  return r.usage?.completionTokens ?? r.chunkTimesMs.length;
}

export function succeeded(r: RequestRecord): boolean {
  return r.error === null && r.endMs !== null && r.chunkTimesMs.length > 0;
}
