// What a load run sends: sessions of one or more turns, each turn an exact token-id prompt and a
// fixed output length (sent as max_tokens + ignore_eos). A later turn is sent only after the
// previous turn of its session finished. `atMs` is the trace timestamp (replay mode) or null.

export interface Turn {
  promptTokenIds: number[];
  maxTokens: number;
  /** The same prompt as text (--prompt-format text / --api chat); absent: send the token ids. */
  promptText?: string;
}

export interface Session {
  id: string;
  /** Prefix group (shared-prefix workloads) or null. */
  group: string | null;
  atMs: number | null;
  turns: Turn[];
}

export function numTurns(sessions: readonly Session[]): number {
  return sessions.reduce((n, s) => n + s.turns.length, 0);
}

/** Keep whole sessions until `maxRequests` turns are reached (the last one may be cut short). */
export function limitTurns(sessions: readonly Session[], maxRequests: number): Session[] {
  const out: Session[] = [];
  let left = maxRequests;
  for (const s of sessions) {
    if (left <= 0) break;
    const turns = s.turns.slice(0, left);
    out.push({ ...s, turns });
    left -= turns.length;
  }
  return out;
}

export interface WorkloadSummary {
  numSessions: number;
  numRequests: number;
  meanPromptTokens: number;
  meanOutputTokens: number;
}

export function summarizeWorkload(sessions: readonly Session[]): WorkloadSummary {
  const turns = sessions.flatMap((s) => s.turns);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    numSessions: sessions.length,
    numRequests: turns.length,
    meanPromptTokens: mean(turns.map((t) => t.promptTokenIds.length)),
    meanOutputTokens: mean(turns.map((t) => t.maxTokens)),
  };
}
