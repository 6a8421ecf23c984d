// `mini-dynamo worker` flags (defaults, env vars, bad values) and the wire helpers the worker speaks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerArgs } from './standalone-worker-args.js';
import { NdjsonDecoder, snapshotFromJson, snapshotToJson } from './wire-format.js';
import { isValidWorkerId, parseHeartbeat } from './nats-subjects.js';

test('worker flags parse with defaults; bad flags are messages, not throws', () => {
  const ok = parseWorkerArgs(['--nats', 'nats://127.0.0.1:4222', '--runner', 'mock', '--worker-id', 'w1', '--port', '9000'], {});
  assert.ok(ok.ok);
  assert.equal(ok.value.workerId, 'w1');
  assert.equal(ok.value.port, 9000);
  assert.equal(ok.value.blockSize, 16);
  assert.equal(ok.value.maxModelLen, undefined);
  const tuned = parseWorkerArgs(['--nats', 'x', '--max-model-len', '4096', '--max-num-batched-tokens', '2048', '--max-num-waiting', '64',
    '--intra-op-threads', '2', '--served-model-name', 'llama'], {});
  assert.ok(tuned.ok);
  assert.deepEqual([tuned.value.maxModelLen, tuned.value.maxNumBatchedTokens, tuned.value.maxNumWaiting, tuned.value.intraOpNumThreads, tuned.value.servedModelName],
    [4096, 2048, 64, 2, 'llama']);
  for (const bad of [[], ['--nats', 'x', '--runner', 'gpu'], ['--nats', 'x', '--port', '-1'], ['--nats', 'x', '--bogus'],
    ['--nats', 'x', '--max-num-seqs', '0'], ['--nats', 'x', '--max-num-batched-tokens', '1.5'], ['--nats', 'x', '--max-model-len', ''],
    ['--nats', 'x', '--mock-speedup', '0']]) {
    const r = parseWorkerArgs(bad, {});
    assert.ok(!r.ok && r.message.length > 0, bad.join(' '));
  }
});

test('worker flags also come from MINI_DYNAMO_* env vars (k8s/compose); a flag wins over its env var', () => {
  const env = {
    MINI_DYNAMO_NATS: 'nats://nats:4222', MINI_DYNAMO_WORKER_ID: 'pod-0', MINI_DYNAMO_PORT: '8081', MINI_DYNAMO_DEVICE: 'cuda',
    MINI_DYNAMO_ADVERTISE_HOST: 'pod-0.svc', MINI_DYNAMO_NUM_BLOCKS: '2048', MINI_DYNAMO_MOCK_SPEEDUP: '2.5',
  };
  const r = parseWorkerArgs(['--port', '9001'], env);
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.deepEqual([r.value.natsUrl, r.value.workerId, r.value.port, r.value.device, r.value.advertiseHost, r.value.numBlocks, r.value.mockSpeedup],
    ['nats://nats:4222', 'pod-0', 9001, 'cuda', 'pod-0.svc', 2048, 2.5]);
  const missing = parseWorkerArgs([], {});
  assert.ok(!missing.ok && /--nats <url> \(or MINI_DYNAMO_NATS\) is required/.test(missing.message));
  const bad = parseWorkerArgs([], { MINI_DYNAMO_NATS: 'x', MINI_DYNAMO_NUM_BLOCKS: 'many' });
  assert.ok(!bad.ok);
  assert.equal(bad.message, "--num-blocks must be an integer ≥ 1, got 'many' (from MINI_DYNAMO_NUM_BLOCKS)");
});

test('--cluster-token / MINI_DYNAMO_CLUSTER_TOKEN: the flag wins; an empty token is a message that echoes nothing', () => {
  const nats = { MINI_DYNAMO_NATS: 'nats://nats:4222' };
  const token = (argv: string[], env: Record<string, string>) => {
    const r = parseWorkerArgs(argv, { ...nats, ...env });
    return r.ok ? r.value.clusterToken : r.message;
  };
  assert.equal(token(['--cluster-token', 'ct-flag'], { MINI_DYNAMO_CLUSTER_TOKEN: 'ct-env' }), 'ct-flag');
  assert.equal(token([], { MINI_DYNAMO_CLUSTER_TOKEN: 'ct-env' }), 'ct-env');
  assert.equal(token([], {}), undefined);
  assert.equal(token([], { MINI_DYNAMO_CLUSTER_TOKEN: '' }), '--cluster-token must not be empty (from MINI_DYNAMO_CLUSTER_TOKEN)');
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

test('worker --speculative-config (or its env var) reaches the worker options; a bad value is a message naming the flag', () => {
  const json = '{"method":"ngram","num_speculative_tokens":4}';
  const r = parseWorkerArgs(['--nats', 'x', '--speculative-config', json], {});
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.deepEqual(r.value.speculative, { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 4, promptLookupMin: 1 });
  const env = parseWorkerArgs([], { MINI_DYNAMO_NATS: 'x', MINI_DYNAMO_SPECULATIVE_CONFIG: '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":2}' });
  assert.ok(env.ok, env.ok ? '' : env.message);
  assert.deepEqual(env.value.speculative, { method: 'ngram', numSpeculativeTokens: 3, promptLookupMax: 2, promptLookupMin: 2 });
  assert.equal((parseWorkerArgs(['--nats', 'x'], {}) as { value: { speculative?: unknown } }).value.speculative, undefined);
  const bad = parseWorkerArgs(['--nats', 'x', '--speculative-config', '{"method":"ngram","num_speculative_tokens":4,"prompt_lookup_min":0}'], {});
  assert.ok(!bad.ok);
  assert.equal(bad.message, '--speculative-config: prompt_lookup_min must be an integer in [1, 64], got 0');
});

test('worker --scheduling-policy (or MINI_DYNAMO_SCHEDULING_POLICY) reaches the worker options; anything but fcfs|priority is refused', () => {
  const r = parseWorkerArgs(['--nats', 'x', '--scheduling-policy', 'priority'], {});
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.equal(r.value.schedulingPolicy, 'priority');
  const env = parseWorkerArgs([], { MINI_DYNAMO_NATS: 'x', MINI_DYNAMO_SCHEDULING_POLICY: 'fcfs' });
  assert.ok(env.ok && env.value.schedulingPolicy === 'fcfs');
  assert.equal((parseWorkerArgs(['--nats', 'x'], {}) as { value: { schedulingPolicy?: unknown } }).value.schedulingPolicy, undefined);
  const bad = parseWorkerArgs(['--nats', 'x', '--scheduling-policy', 'lifo'], {});
  assert.ok(!bad.ok && /--scheduling-policy/.test(bad.message) && /fcfs, priority/.test(bad.message), bad.ok ? '' : bad.message);
});
