// Queue order of the Scheduler under vLLM's --scheduling-policy. fcfs: arrival order, a preempted sequence back at the
// head (as before). priority: (priority, arrival) ascending — lower priority value first, ties by arrival (seqId) —
// for new and preempted sequences alike; the preemption victim is the worst (highest priority value, latest arrival).

import type { SchedulingPolicy } from '@mini-dynamo/protocol';
import type { Sequence } from './sequence.js';

/** The request's priority (absent = 0). */
function priorityOf(seq: Sequence): number {
  return seq.request.priority ?? 0;
}

/** < 0 when a goes before b: (priority, arrival) ascending; seqIds grow with arrival. */
function comparePriority(a: Sequence, b: Sequence): number {
  return priorityOf(a) - priorityOf(b) || a.seqId - b.seqId;
}

/** Queue a new sequence: appended (fcfs), or after every sequence that goes before it (priority). */
export function enqueueWaiting(waiting: Sequence[], seq: Sequence, policy: SchedulingPolicy): void {
  if (policy === 'fcfs') waiting.push(seq);
  else waiting.splice(insertionIndex(waiting, seq), 0, seq);
}

/** Put a preempted sequence back: at the head (fcfs), or at its (priority, arrival) position (priority). */
export function requeuePreempted(waiting: Sequence[], seq: Sequence, policy: SchedulingPolicy): void {
  if (policy === 'fcfs') waiting.unshift(seq);
  else waiting.splice(insertionIndex(waiting, seq), 0, seq);
}

/** Running sequences in scheduling order: unchanged (fcfs), best (priority, arrival) first (priority; stable). The
 * Scheduler's in-place loops rely on it: the preemption victim is then always the last unscheduled sequence. */
export function orderRunning(running: Sequence[], policy: SchedulingPolicy): void {
  if (policy === 'priority') running.sort(comparePriority);
}

/**
 * The preemption victim among the running sequences not yet scheduled in step stepId: the newest (fcfs) or the worst
 * (priority, arrival) (priority). Throws when there is none (the caller's own sequence always is one).
 */
export function preemptionVictim(running: readonly Sequence[], stepId: number, policy: SchedulingPolicy): Sequence {
  let victim: Sequence | null = null;
  for (let i = running.length - 1; i >= 0; i--) {
    const seq = running[i]!;
    if (seq.lastScheduledStep === stepId) continue;
    if (policy === 'fcfs') return seq;
    if (victim === null || comparePriority(seq, victim) > 0) victim = seq;
  }
  if (victim === null) throw new Error('no unscheduled running sequence to preempt');
  return victim;
}

/** First index whose sequence goes after seq (binary search; the queue is kept sorted under priority). */
function insertionIndex(waiting: readonly Sequence[], seq: Sequence): number {
  let lo = 0;
  let hi = waiting.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePriority(waiting[mid]!, seq) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
