import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerArgs } from './standalone-worker-args.js';
import { NdjsonDecoder, snapshotFromJson, snapshotToJson } from './wire-format.js';
import { isValidWorkerId, parseHeartbeat } from './nats-subjects.js';

test('worker flags parse with defaults; bad flags are messages, not throws', () => {
  const ok = parseWorkerArgs(['--nats', 'nats://127.0.0.1:4222', '--runner', 'mock', '--worker-id', 'w1', '--port', '9000']);
  assert.ok(ok.ok);
  assert.equal(ok.value.workerId, 'w1');
  assert.equal(ok.value.port, 9000);
  assert.equal(ok.value.blockSize, 16);
  assert.equal(ok.value.maxModelLen, undefined);
  const tuned = parseWorkerArgs(['--nats', 'x', '--max-model-len', '4096', '--max-num-batched-tokens', '2048', '--max-num-waiting', '64',
    '--intra-op-threads', '2', '--served-model-name', 'llama']);
  assert.ok(tuned.ok);
  assert.deepEqual([tuned.value.maxModelLen, tuned.value.maxNumBatchedTokens, tuned.value.maxNumWaiting, tuned.value.intraOpNumThreads, tuned.value.servedModelName],
    [4096, 2048, 64, 2, 'llama']);
  for (const bad of [[], ['--nats', 'x', '--runner', 'gpu'], ['--nats', 'x', '--port', '-1'], ['--nats', 'x', '--bogus'],
    ['--nats', 'x', '--max-num-seqs', '0'], ['--nats', 'x', '--max-num-batched-tokens', '1.5'], ['--nats', 'x', '--max-model-len', ''],
    ['--nats', 'x', '--mock-speedup', '0']]) {
    const r = parseWorkerArgs(bad);
    assert.ok(!r.ok && r.message.length > 0, bad.join(' '));
  }
});

test('NDJSON decoding survives lines split across chunks', () => {
  const d = new NdjsonDecoder();
  const enc = new TextEncoder();
  assert.deepEqual(d.push(enc.encode('{"a":1}\n{"b"')), [{ a: 1 }]);
  assert.deepEqual(d.push(enc.encode(':2}\n\n')), [{ b: 2 }]);
});

test('snapshots and heartbeats round-trip; malformed ones are null', () => {
  const s = { workerId: 'w', lastEventId: 3, blockHashes: [0xffffffffffffffffn, 1n] };
  assert.deepEqual(snapshotFromJson(snapshotToJson(s)), s);
  assert.equal(snapshotFromJson('{'), null);
  assert.equal(parseHeartbeat('{"workerId":"a b"}'), null);
  assert.ok(isValidWorkerId('worker-1_a') && !isValidWorkerId('a.b') && !isValidWorkerId('*'));
});
