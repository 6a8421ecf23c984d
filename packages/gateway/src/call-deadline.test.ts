// callDeadline / abortAfter: the timeout and the parent's abort both reach the call's signal, and a released
// deadline leaves nothing on the long-lived parent (no listener, no dependant signal: AbortSignal.any would).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { abortAfter, callDeadline } from './call-deadline.js';

/** Signals that follow `signal` through AbortSignal.any (Node's internal set), 0 when it has none. */
function numDependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.toString() === 'Symbol(kDependantSignals)');
  return key === undefined ? 0 : ((signal as unknown as Record<symbol, Set<unknown> | undefined>)[key]?.size ?? 0);
}

test('the deadline aborts the call with a TimeoutError naming its limit', async () => {
  const parent = new AbortController();
  const d = callDeadline(parent.signal, 20);
  await new Promise((r) => d.signal.addEventListener('abort', r, { once: true }));
  const reason = d.signal.reason as DOMException;
  assert.equal(reason.name, 'TimeoutError');
  assert.equal(reason.message, 'no answer within 20 ms');
  d.release();
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
});

test('the parent aborting first aborts the call with the parent\'s reason; an aborted parent aborts at once', () => {
  const parent = new AbortController();
  const d = callDeadline(parent.signal, 60_000);
  parent.abort(new Error('connection closed'));
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as Error).message, 'connection closed');
  d.release();
  const late = callDeadline(parent.signal, 60_000);
  assert.equal(late.signal.aborted, true);
  late.release();
});

test('released deadlines leave nothing on the long-lived parent (a query per scrape for the gateway\'s lifetime)', () => {
  const parent = new AbortController();
  for (let i = 0; i < 1000; i++) {
    const d = callDeadline(parent.signal, 60_000);
    d.signal.addEventListener('abort', () => {}); // fetch observes its signal
    d.release();
    d.release(); // idempotent
  }
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  assert.equal(numDependants(parent.signal), 0);
  // what this replaces registers on its source (on this Node: where the internal set exists, the check above sees it)
  const any = AbortSignal.any([parent.signal, AbortSignal.timeout(60_000)]);
  any.addEventListener('abort', () => {});
  const tracked = Object.getOwnPropertySymbols(parent.signal).some((s) => s.toString() === 'Symbol(kDependantSignals)');
  if (tracked) assert.equal(numDependants(parent.signal), 1, 'AbortSignal.any registers on its source');
});

test('abortAfter: a cancelled timer never aborts', async () => {
  const controller = new AbortController();
  abortAfter(controller, 10, 'late')();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(controller.signal.aborted, false);
});
