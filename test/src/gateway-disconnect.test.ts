// Client hang-ups: 20 streaming clients abort mid-stream; their requests are aborted on the
// workers and every KV block returns to the free pool; the server keeps serving.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKER_METRICS } from '@mini-dynamo/telemetry';
import { assertNoLeakedBlocks, MODEL, mockServer } from './gateway-support.js';

/** Sequences finished per finish_reason (non-zero only), polled until `done` or 3 s pass. */
async function finishedByReason(url: string, done: (n: Record<string, number>) => boolean): Promise<Record<string, number>> {
  const pattern = new RegExp(`^${WORKER_METRICS.sequencesFinished.name}\\{[^}]*finish_reason="(\\w+)"[^}]*\\} (\\S+)$`, 'gm');
  const deadline = Date.now() + 3000;
  for (;;) {
    const counts: Record<string, number> = {};
    for (const [, reason, value] of (await (await fetch(`${url}/metrics`)).text()).matchAll(pattern)) {
      if (Number(value) > 0) counts[reason!] = (counts[reason!] ?? 0) + Number(value);
    }
    if (done(counts) || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('20 streaming clients hang up mid-stream → all blocks return to the free pool', { timeout: 60_000 }, async () => {
  // Mock decode steps sleep ~40 ms (speedup 0.2): 400 tokens take ~16 s, so the hang-ups
  // stay mid-stream even when a loaded machine is slow to open all 20 streams.
  const server = await mockServer({ mockSpeedup: 0.2, numBlocks: 512 });
  try {
    const midStream = Array.from({ length: 20 }, async (_, i) => {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/v1/${i % 2 ? 'completions' : 'chat/completions'}`, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL, max_tokens: 400, ignore_eos: true, stream: true,
          ...(i % 2 ? { prompt: `story number ${i} `.repeat(10) } : { messages: [{ role: 'user', content: `story number ${i} `.repeat(10) }] }),
        }),
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      let numBytes = 0;
      while (numBytes < 600) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'stream ended before the hang-up');
        numBytes += value.byteLength;
      }
      return async () => {
        controller.abort();
        await reader.cancel().catch(() => {});
      };
    });
    const hangUps = await Promise.all(midStream);
    const during = await server.audit();
    assert.ok(during.reduce((n, a) => n + a.numUsedBlocks, 0) >= 20, `blocks in use mid-stream: ${JSON.stringify(during)}`);
    await Promise.all(hangUps.map((hangUp) => hangUp()));
    await assertNoLeakedBlocks(server, 2000);
    // Every sequence ended by the hang-up (finish_reason abort), none ran to its 400 tokens: read
    // from the merged /metrics rather than the clock, which a loaded machine stretches.
    const finished = await finishedByReason(server.url, (n) => n.abort === 20);
    assert.deepEqual(finished, { abort: 20 }, 'aborted before 400 tokens were generated');

    const after = await fetch(`${server.url}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, prompt: 'still up', max_tokens: 3 }),
    });
    assert.equal(after.status, 200);
    await assertNoLeakedBlocks(server);
  } finally {
    await server.close();
  }
});
