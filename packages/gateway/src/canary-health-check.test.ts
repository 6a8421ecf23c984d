// CanaryHealthCheck against a scripted CanaryHost (real timers, small wait/timeout values, waits on
// conditions): who gets a canary and when, what marks a worker unhealthy, what brings it back.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, GenerateRequest } from '@mini-dynamo/protocol';
import { CanaryHealthCheck, isCanaryRequestId, type CanaryHost } from './canary-health-check.js';
import { waitUntil } from './fake-remote-worker.js';

const USAGE = { numPromptTokens: 4, numCompletionTokens: 1, numCachedTokens: 0 };

/** Records every call; a test answers the canaries it wants answered. */
function scriptedHost() {
  const sent: { workerId: string; request: GenerateRequest; listener: (e: EngineEvent) => void }[] = [];
  const cancelled: string[] = [];
  const routed: [string, boolean][] = [];
  const host: CanaryHost = {
    send: (workerId, request, listener) => { sent.push({ workerId, request, listener }); return true; },
    cancel: (_workerId, requestId) => void cancelled.push(requestId),
    setRouted: (workerId, isRouted) => void routed.push([workerId, isRouted]),
  };
  const finish = (i: number) => sent[i]!.listener({ kind: 'finished', requestId: sent[i]!.request.requestId, finishReason: 'length', usage: USAGE });
  return { host, sent, cancelled, routed, finish };
}

/** A checker stopped after the test. */
function checker(t: TestContext, host: CanaryHost, waitMs: number, timeoutMs: number) {
  const logs: string[] = [];
  const check = new CanaryHealthCheck(host, { waitMs, timeoutMs }, (l) => void logs.push(l));
  t.after(() => check.stop());
  return { check, logs };
}

test('an idle worker gets a 1-token greedy canary; a success keeps it healthy and routed', async (t) => {
  const h = scriptedHost();
  const { check, logs } = checker(t, h.host, 50, 1000);
  check.watch('w0');
  await waitUntil(() => h.sent.length === 1, 2000, 'the first canary');
  const { workerId, request } = h.sent[0]!;
  assert.equal(workerId, 'w0');
  assert.ok(isCanaryRequestId(request.requestId), request.requestId);
  assert.deepEqual([request.sampling.maxTokens, request.sampling.temperature, request.cacheSalt], [1, 0, null]);
  assert.ok(request.promptTokenIds.length > 0);
  h.finish(0);
  await waitUntil(() => h.sent.length === 2, 2000, 'the next canary, one wait time later');
  assert.deepEqual(h.routed, [], 'a healthy worker is never taken out');
  assert.equal(check.isHealthy('w0'), true);
  assert.deepEqual(logs, []);
});

test('a busy worker (events arriving) is not canaried; once quiet for the wait time it is', async (t) => {
  const h = scriptedHost();
  const { check } = checker(t, h.host, 150, 1000);
  check.watch('busy');
  const t0 = Date.now();
  while (Date.now() - t0 < 600) {
    check.noteEvent('busy', { kind: 'tokens', requestId: 'user-1', tokenIds: [7] });
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(h.sent.length, 0, 'streaming tokens count as activity');
  await waitUntil(() => h.sent.length === 1, 2000, 'a canary once the worker went quiet');
});

test('a canary timing out marks the worker unhealthy (out of routing, canary cancelled, one log line); probing goes on until a success', async (t) => {
  const h = scriptedHost();
  const { check, logs } = checker(t, h.host, 40, 300);
  check.watch('hung');
  await waitUntil(() => h.routed.length === 1, 2000, 'the worker to be marked unhealthy');
  const first = h.sent[0]!.request.requestId;
  assert.deepEqual(h.routed, [['hung', false]]);
  assert.deepEqual(h.cancelled, [first]);
  assert.equal(check.isHealthy('hung'), false);
  assert.deepEqual(logs, [`worker hung unhealthy: canary ${first} did not finish within 300 ms; out of routing, probing every 40 ms`]);

  await waitUntil(() => h.cancelled.length >= 2, 2000, 'a second probe, timed out too');
  assert.deepEqual(h.routed, [['hung', false]], 'still unhealthy: not taken out twice');
  assert.equal(logs.length, 1, 'one line per change of health');
  const late = h.sent.length;
  await waitUntil(() => h.sent.length > late, 2000, 'another probe');
  h.finish(h.sent.length - 1);
  assert.deepEqual(h.routed, [['hung', false], ['hung', true]]);
  assert.equal(check.isHealthy('hung'), true);
  assert.equal(logs[1], 'worker hung healthy again: canary succeeded, back in routing');
});

test('a failed canary marks the worker unhealthy at once; a late answer to a given-up canary changes nothing; a forgotten worker is not probed', async (t) => {
  const h = scriptedHost();
  const { check } = checker(t, h.host, 30, 60);
  check.watch('w1');
  await waitUntil(() => h.sent.length === 1, 2000, 'the first canary');
  h.sent[0]!.listener({ kind: 'failed', requestId: h.sent[0]!.request.requestId, error: { code: 'internal', message: 'boom' } });
  assert.deepEqual(h.routed, [['w1', false]]);
  await waitUntil(() => h.cancelled.length === 1, 2000, 'the next probe to time out');
  h.finish(1); // the given-up canary answers after all
  assert.equal(check.isHealthy('w1'), false, 'only a canary in flight counts');
  check.forget('w1');
  assert.equal(check.isHealthy('w1'), true, 'unknown workers are not judged');
  const numSent = h.sent.length;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(h.sent.length, numSent, 'no canary to a worker that left');
});
