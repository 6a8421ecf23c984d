import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from 'nats';
import { subjects, type WorkerHeartbeat } from '@mini-dynamo/worker';
import { WorkerDiscovery } from './worker-discovery.js';

/** Just enough of a NatsConnection: records the heartbeat callback and what was published. */
function fakeNats() {
  let deliver: ((text: string) => void) | null = null;
  const published: string[] = [];
  const nats = {
    subscribe: (subject: string, opts: { callback: (e: unknown, m: { data: Uint8Array }) => void }) => {
      assert.equal(subject, subjects.heartbeat);
      deliver = (text) => opts.callback(null, { data: new TextEncoder().encode(text) });
      return { unsubscribe: () => (deliver = null) };
    },
    publish: (subject: string) => void published.push(subject),
  } as unknown as NatsConnection;
  return { nats, published, send: (hb: unknown) => deliver?.(typeof hb === 'string' ? hb : JSON.stringify(hb)) };
}

const hb = (workerId: string, instanceId = 'i1'): WorkerHeartbeat => ({
  workerId, instanceId, url: 'http://127.0.0.1:1', sentAtMs: 0,
  info: { modelName: 'm', blockSize: 16, numBlocks: 8, maxModelLen: 64, vocabSize: 32, eosTokenIds: [2] },
});

test('discovery: up on the first heartbeat, down after the TTL, restart = down + up, junk ignored', () => {
  let now = 0;
  const log: string[] = [];
  const f = fakeNats();
  const d = new WorkerDiscovery({ nats: f.nats, ttlMs: 1000, now: () => now, onUp: (h) => log.push(`up ${h.workerId}`), onDown: (w) => log.push(`down ${w}`) });
  assert.deepEqual(f.published, [subjects.discover], 'asks running workers to announce themselves');
  f.send(hb('a'));
  f.send(hb('a'));
  f.send('not json');
  f.send({ ...hb('bad.id') });
  now = 800;
  f.send(hb('b'));
  now = 1500;
  d.sweep();
  assert.deepEqual(log, ['up a', 'up b', 'down a']);
  f.send(hb('b', 'i2'));
  assert.deepEqual(log.slice(3), ['down b', 'up b']);
  d.forget('b');
  f.send(hb('b', 'i2'));
  assert.deepEqual(log.slice(5), ['up b'], 'a forgotten worker comes back with its next heartbeat');
  d.close();
});
