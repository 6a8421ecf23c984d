import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvUsage, workerLoadFromJson, type WorkerLoad } from './worker-load.js';

const load: WorkerLoad = {
  workerId: 'w1', numActiveBlocks: 3, numTotalBlocks: 8, numPrefillTokensQueued: 40, numRunning: 2, numWaiting: 1, timestampMs: 1_700_000_000_000,
};

test('a well-formed load round-trips through JSON, extra fields dropped', () => {
  assert.deepEqual(workerLoadFromJson(JSON.stringify({ ...load, extra: 'x' })), load);
  assert.equal(kvUsage(workerLoadFromJson(JSON.stringify(load))!), 3 / 8);
});

test('anything the router would turn into NaN or a negative cost is refused', () => {
  const bad: unknown[] = [
    'not json', 'null', '[]', '42',
    { ...load, workerId: 7 },
    { ...load, numActiveBlocks: undefined },
    { ...load, numWaiting: '1' },
    { ...load, numRunning: -1 },
    { ...load, numTotalBlocks: null },
    { ...load, numActiveBlocks: 9 },
  ];
  for (const b of bad) {
    const text = typeof b === 'string' ? b : JSON.stringify(b);
    assert.equal(workerLoadFromJson(text), null, text);
  }
  // JSON has no Infinity: 1e999 parses to it
  assert.equal(workerLoadFromJson(JSON.stringify(load).replace('"numWaiting":1', '"numWaiting":1e999')), null);
});
