import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThroughputWindow } from './throughput-window.js';

test('rates are the tokens of the last window (running sums match a recount, through compaction and idling)', () => {
  let nowMs = 0;
  const w = new ThroughputWindow(2, () => nowMs);
  const added: { atMs: number; prefill: number; decode: number }[] = [];
  for (let i = 0; i < 5000; i++) {
    nowMs = i; // one step per ms: the 2 s window holds 2000 entries, so old ones are dropped and compacted
    const prefill = i % 7, decode = i % 3;
    w.add(prefill, decode);
    added.push({ atMs: nowMs, prefill, decode });
    if (i % 997 === 0 || i === 4999) {
      const live = added.filter((e) => e.atMs >= nowMs - 2000);
      const p = live.reduce((s, e) => s + e.prefill, 0), d = live.reduce((s, e) => s + e.decode, 0);
      assert.deepEqual(w.rates(), { prefill: p / 2, decode: d / 2, combined: (p + d) / 2 }, `at ${i}`);
    }
  }
  nowMs += 2001;
  assert.deepEqual(w.rates(), { prefill: 0, decode: 0, combined: 0 }); // idle: decays to 0
  w.add(4, 2);
  assert.deepEqual(w.rates(), { prefill: 2, decode: 1, combined: 3 });
});
