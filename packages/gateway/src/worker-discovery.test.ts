import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from 'nats';
import { subjects, type WorkerHeartbeat } from '@mini-dynamo/worker';
import { EJECTION_BASE_MS, EJECTION_MAX_MS, WorkerDiscovery } from './worker-discovery.js';

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
  assert.equal(d.eject('gone'), 0, 'an unknown worker is not ejected');
  d.close();
});

test('discovery: an ejected worker is held off 1 s, 2 s, 4 s … in a row; a restart comes back at once', () => {
  let now = 0;
  const log: string[] = [];
  const f = fakeNats();
  const d = new WorkerDiscovery({ nats: f.nats, ttlMs: 60_000, now: () => now, onUp: (h) => log.push(`up ${h.instanceId}`), onDown: (w) => log.push(`down ${w}`) });
  f.send(hb('w'));
  assert.equal(d.eject('w'), EJECTION_BASE_MS);
  assert.deepEqual(d.workerIds(), []);
  now = 999;
  f.send(hb('w'));
  assert.deepEqual(log, ['up i1'], 'heartbeats of the ejected instance are ignored during the hold-off');
  now = 1000;
  f.send(hb('w'));
  assert.deepEqual(log, ['up i1', 'up i1'], 'back after the hold-off');
  assert.equal(d.eject('w'), 2 * EJECTION_BASE_MS, 'ejected again in a row: twice as long');
  now = 2999;
  f.send(hb('w'));
  assert.equal(log.length, 2);
  f.send(hb('w', 'i2'));
  assert.deepEqual(log.slice(2), ['up i2'], 'a restarted worker (new instance id) is not held off');
  f.send(hb('w', 'i3'));
  assert.deepEqual(log.slice(3), ['down w', 'up i3'], 'a restart: down, then up');
  assert.equal(d.eject('w'), EJECTION_BASE_MS, 'the restart did not count as an ejection of i3');
  now += EJECTION_BASE_MS;
  f.send(hb('w', 'i2'));
  const holdOffs: number[] = [];
  for (let i = 0; i < 7; i++) {
    holdOffs.push(d.eject('w'));
    assert.equal(d.eject('w'), 0, 'not known while held off');
    now += holdOffs.at(-1)!;
    f.send(hb('w', 'i2'));
  }
  assert.deepEqual(holdOffs, [1000, 2000, 4000, 8000, 16000, EJECTION_MAX_MS, EJECTION_MAX_MS], 'doubling stops at the max');
  now += 3 * EJECTION_MAX_MS;
  f.send(hb('w', 'i2'));
  assert.equal(d.eject('w'), EJECTION_BASE_MS, 'a worker out of trouble for long starts from the base again');
  d.close();
});
