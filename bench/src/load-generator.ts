// Arrival processes over a workload: open-loop Poisson at a rate, fixed-schedule trace replay, and
// closed-loop at a fixed concurrency. Every run is bounded by request count and wall time: at the
// deadline no new request starts and in-flight ones are cancelled (recorded as errors).
// Sessions run their turns in order; arrivals apply to a session's first turn.

import { performance } from 'node:perf_hooks';
import type { RequestRecord } from './event-log.js';
import { createRng, exponentialGapMs } from './rng.js';
import { progressBar } from './progress-bar.js';
import type { Session, Turn } from './workload.js';
import { numTurns } from './workload.js';

export type ArrivalMode =
  | { kind: 'poisson'; ratePerSec: number; seed: number }
  | { kind: 'trace' }
  | { kind: 'concurrency'; concurrency: number };

/** Sends one turn and resolves with its record (the HTTP client, or an in-process engine). */
export type TurnSender = (turn: Turn, id: string, signal: AbortSignal) => Promise<RequestRecord>;

export interface RunOptions {
  mode: ArrivalMode;
  maxDurationMs: number;
  progressLabel: string;
  showProgress: boolean;
}

export function describeMode(m: ArrivalMode): string {
  if (m.kind === 'poisson') return `poisson ${m.ratePerSec} req/s`;
  if (m.kind === 'trace') return 'trace replay';
  return `concurrency ${m.concurrency}`;
}

/** Start offsets (ms from run start) of each session's first turn in open-loop modes. */
export function arrivalOffsetsMs(sessions: readonly Session[], mode: ArrivalMode): number[] {
  if (mode.kind === 'trace') return sessions.map((s) => s.atMs ?? 0);
  if (mode.kind === 'poisson') {
    const rng = createRng(mode.seed);
    let t = 0;
    return sessions.map((_, i) => (i === 0 ? 0 : (t += exponentialGapMs(rng, mode.ratePerSec))));
  }
  return sessions.map(() => 0);
}

/** Waits ms or until the signal aborts; its abort listener is removed either way (one per arrival). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export async function runLoad(sessions: readonly Session[], send: TurnSender, o: RunOptions): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), o.maxDurationMs);
  const progress = progressBar(o.progressLabel, numTurns(sessions), o.showProgress);
  const runSession = async (s: Session) => {
    for (let t = 0; t < s.turns.length && !deadline.signal.aborted; t++) {
      const record = await send(s.turns[t]!, `${s.id}.${t}`, deadline.signal);
      if (s.group !== null) record.tags.group = s.group;
      record.tags.session = s.id;
      record.tags.turn = String(t);
      records.push(record);
      progress.tick(record.error !== null);
    }
  };
  try {
    if (o.mode.kind === 'concurrency') {
      let next = 0;
      const lane = async () => {
        while (next < sessions.length && !deadline.signal.aborted) await runSession(sessions[next++]!);
      };
      await Promise.all(Array.from({ length: o.mode.concurrency }, lane));
    } else {
      const offsets = arrivalOffsetsMs(sessions, o.mode);
      const start = performance.now();
      const running: Promise<void>[] = [];
      for (let i = 0; i < sessions.length && !deadline.signal.aborted; i++) {
        await sleep(start + offsets[i]! - performance.now(), deadline.signal);
        if (!deadline.signal.aborted) running.push(runSession(sessions[i]!));
      }
      await Promise.all(running);
    }
  } finally {
    clearTimeout(timer);
    progress.done();
  }
  return records.sort((a, b) => a.sendMs - b.sendMs);
}
