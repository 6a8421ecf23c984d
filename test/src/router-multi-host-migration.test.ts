// Request migration across standalone workers (HTTP + NATS, mock runner): a worker process SIGKILLed after the
// first N tokens of a request (counted in the pool's listener) and the request goes on on another worker over
// HTTP with resumeOutputTokenIds: the tokens equal the uninterrupted run's, with one terminal event and no
// predicted load left on the router.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type EngineEvent, type GenerateRequest } from '@mini-dynamo/protocol';
import { spawnWorker, startNatsServer, startTestGateway, tokens, waitFor, type NatsServer, type TestGateway, type WorkerProcess } from './router-fixtures.js';

let nats: NatsServer;
let workers: WorkerProcess[] = [];
let gateway: TestGateway;

before(async () => {
  nats = await startNatsServer();
  workers = ['mig0', 'mig1'].map((id) => spawnWorker(nats.url, id, ['--mock-speedup', '1'])); // ~8 ms a step: the kill lands mid-stream
  gateway = await startTestGateway(nats.url);
  await waitFor(() => gateway.pool.numReady() === 2, 15_000, 'the gateway to discover 2 workers');
});

after(async () => {
  await gateway.close();
  workers.forEach((w) => w.kill());
  nats.stop();
});

/** Runs a request to its end; `onTokens(count, workerId)` sees the running token count. */
function run(requestId: string, prompt: number[], onTokens: (count: number, workerId: string) => void = () => {}): Promise<{ tokens: number[]; ends: EngineEvent[] }> {
  const request: GenerateRequest = {
    requestId, promptTokenIds: prompt, sampling: samplingParams({ maxTokens: 60, ignoreEos: true, temperature: 0, seed: 3 }),
    cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
  };
  return new Promise((resolve) => {
    const out = { tokens: [] as number[], ends: [] as EngineEvent[] };
    const d = gateway.pool.dispatch(request, {}, (event) => {
      if (event.kind === 'tokens') {
        out.tokens.push(...event.tokenIds);
        onTokens(out.tokens.length, d.decision.workerId);
        return;
      }
      out.ends.push(event);
      setTimeout(() => resolve(out), 50); // a second terminal event would land in `ends`
    });
  });
}

test('a standalone worker killed mid-stream: the request finishes on the other with exactly the uninterrupted tokens', async () => {
  const prompt = tokens(40, 4242);
  const whole = await run('mig-whole', prompt);
  assert.equal(whole.tokens.length, 60);
  let victim: string | null = null;
  const migrated = await run('mig-killed', prompt, (count, workerId) => {
    if (count < 8 || victim !== null) return;
    victim = workerId;
    workers.find((w) => w.workerId === workerId)!.kill();
  });
  assert.ok(victim !== null);
  assert.deepEqual(migrated.tokens, whole.tokens, 'no token lost or duplicated');
  assert.equal(migrated.ends.length, 1);
  const end = migrated.ends[0]!;
  assert.equal(end.kind, 'finished', JSON.stringify(end));
  assert.equal(end.kind === 'finished' && end.usage.numCompletionTokens, 60);
  assert.ok(gateway.logs.some((l) => /request mig-killed: worker failed after \d+ tokens, migrated to mig\d/.test(l)), gateway.logs.join(' | '));
  const survivor = ['mig0', 'mig1'].find((w) => w !== victim)!;
  await waitFor(() => gateway.router.loadOf(survivor)?.numInFlight === 0, 2000, 'no predicted load left');
});
