// Request migration (--migration-limit) end to end on the real stories260K model in worker threads, through the
// official openai client: a worker taken away after the first N tokens of a stream (counted by a gateway
// observer, not a timer) and the stream goes on on another worker with exactly the uninterrupted run's text and
// usage (greedy and seeded sampling); --migration-limit 0 fails it as before; every worker gone fails it
// cleanly; dynamo_frontend_model_migration_total counts the migrations.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ServerHandle, ServerOptions, GenerationObserver } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, client, MODEL, ortServer } from './gateway-support.js';

/** Takes workers away after a stream's Nth token: `plan` maps a token count to "the serving worker" or "all the rest". */
class WorkerKiller implements GenerationObserver {
  server: ServerHandle | null = null;
  private readonly numTokens = new Map<string, number>();
  private readonly firstWorker = new Map<string, string>();
  private readonly killed = new Set<string>();
  constructor(private readonly plan: Map<number, 'serving' | 'rest'>) {}
  onStart(choice: { requestId: string }, decision: { workerId: string }): void {
    this.firstWorker.set(choice.requestId, decision.workerId);
  }
  onTokens(choice: { requestId: string }, n: number): void {
    const before = this.numTokens.get(choice.requestId) ?? 0;
    this.numTokens.set(choice.requestId, before + n);
    for (const [at, what] of this.plan) {
      if (before >= at || before + n < at) continue;
      this.plan.delete(at); // fires once
      this.kill(what === 'serving' ? [this.firstWorker.get(choice.requestId)!] : null);
    }
  }
  onEnd(): void {}
  /**
   * Kill these worker threads (null: every one still up) right after the current token event, before the next
   * one is read: the gateway sees their in-flight requests fail at once, whatever the threads had queued.
   */
  kill(workerIds: string[] | null): void {
    queueMicrotask(() => {
      for (const w of this.server!.localWorkers) {
        if ((workerIds === null || workerIds.includes(w.workerId)) && !this.killed.has(w.workerId)) {
          this.killed.add(w.workerId);
          w.kill('killed by the test');
        }
      }
    });
  }
  /** Arm the plan (each entry fires once, on the first stream that reaches its token count). */
  reset(plan: [number, 'serving' | 'rest'][]): void {
    this.plan.clear();
    for (const [at, what] of plan) this.plan.set(at, what);
    this.numTokens.clear();
  }
}

async function startWithKiller(options: ServerOptions): Promise<{ server: ServerHandle; openai: OpenAI; killer: WorkerKiller }> {
  const killer = new WorkerKiller(new Map());
  const server = await ortServer({ numBlocks: 128, observer: killer, ...options });
  killer.server = server;
  return { server, openai: client(server), killer };
}

interface Streamed { text: string; usage: OpenAI.CompletionUsage | undefined; finish: string | null; numChunks: number }

async function streamCompletion(openai: OpenAI, body: OpenAI.CompletionCreateParamsNonStreaming): Promise<Streamed> {
  const stream = await openai.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  const out: Streamed = { text: '', usage: undefined, finish: null, numChunks: 0 };
  for await (const chunk of stream) {
    out.numChunks++;
    out.text += chunk.choices[0]?.text ?? '';
    out.finish = chunk.choices[0]?.finish_reason ?? out.finish;
    out.usage = chunk.usage ?? out.usage;
  }
  return out;
}

const GREEDY = { model: MODEL, prompt: 'Once upon a time', max_tokens: 48, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming;
const SEEDED = { model: MODEL, prompt: 'The little dog', max_tokens: 40, temperature: 0.9, seed: 7, presence_penalty: 0.5, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming;

async function migrations(server: ServerHandle, type: 'ongoing_request' | 'new_request'): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`dynamo_frontend_model_migration_total{model="${MODEL}",migration_type="${type}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('request migration on the real model (ORT, stories260K)', () => {
  test('greedy and seeded streams survive their worker dying mid-generation: same text and usage as uninterrupted; counted', async () => {
    const { server, openai, killer } = await startWithKiller({ numWorkers: 3 });
    try {
      for (const [body, killAt] of [[GREEDY, 6], [SEEDED, 11]] as const) {
        killer.reset([]);
        const whole = await streamCompletion(openai, body);
        assert.equal(whole.usage!.completion_tokens, body.max_tokens);
        killer.reset([[killAt, 'serving']]);
        const migrated = await streamCompletion(openai, body);
        assert.equal(migrated.text, whole.text, `temperature ${body.temperature}: no token lost or duplicated`);
        const { prompt_tokens_details: cached, ...counts } = migrated.usage!;
        assert.deepEqual(counts, { prompt_tokens: whole.usage!.prompt_tokens, completion_tokens: whole.usage!.completion_tokens, total_tokens: whole.usage!.total_tokens });
        assert.ok(cached!.cached_tokens! <= counts.prompt_tokens, 'cached tokens: the last attempt\'s, never more than the prompt');
        assert.equal(migrated.finish, 'length');
      }
      assert.equal(server.localWorkers.length, 3);
      assert.equal(await migrations(server, 'ongoing_request'), 2);
      await assertNoLeakedBlocks(server);
    } finally {
      await server.close();
    }
  });

  test('--migration-limit 0: a worker dying mid-stream fails the stream with an OpenAI-shaped error, as before', async () => {
    const { server, openai, killer } = await startWithKiller({ numWorkers: 2, migrationLimit: 0 });
    try {
      killer.reset([[5, 'serving']]);
      let text = '';
      await assert.rejects(async () => {
        const stream = await openai.completions.create({ ...GREEDY, stream: true });
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
      }, (e: unknown) => e instanceof OpenAI.APIError && /worker failed: killed by the test/i.test(e.message));
      assert.ok(text.length > 0, 'tokens streamed before the failure');
      assert.equal(await migrations(server, 'ongoing_request'), 0);
      const after = await openai.completions.create({ ...GREEDY, stream: false, max_tokens: 8 });
      assert.equal(after.usage!.completion_tokens, 8, 'the surviving worker still serves');
    } finally {
      await server.close();
    }
  });

  test('limit not exhausted but every worker gone: the stream fails cleanly after one migration, no hang', async () => {
    const { server, openai, killer } = await startWithKiller({ numWorkers: 2 });
    try {
      killer.reset([[5, 'serving'], [12, 'rest']]);
      let text = '';
      await assert.rejects(async () => {
        const stream = await openai.completions.create({ ...GREEDY, stream: true });
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
      }, (e: unknown) => e instanceof OpenAI.APIError && /worker failed/i.test(e.message));
      assert.ok(text.length > 0);
      assert.equal(await migrations(server, 'ongoing_request'), 1);
      const health = await fetch(`${server.url}/ready`);
      assert.notEqual(health.status, 200, 'no worker left: not ready');
    } finally {
      await server.close();
    }
  });
});
