// Conformance suite every WorkerConnection runs (thread here; the remote connection in its own
// tests): ready info, generate → tokens → one terminal event, logprobs, prompt logprobs and sampling extras carried intact, rejected
// requests fail as events, abort frees blocks, audit/snapshot answer, a prefix-cache reset empties the cache, close fires
// onClosed once and silences the connection.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockLogprobs, mockNextToken } from '@mini-dynamo/engine';
import { defaultModelDir, loadTokenizer } from '@mini-dynamo/model';
import { samplingParams, type GenerateRequest, type WorkerConnection, type WorkerReport } from '@mini-dynamo/protocol';

/** Builds a connection to a fresh mock-runner worker (block size 16, ≥64 blocks, maxModelLen ≤ 512). */
export type ConnectionFactory = () => Promise<WorkerConnection>;

export function generateRequest(requestId: string, maxTokens: number, numPromptTokens = 40, numLogprobs: number | null = null): GenerateRequest {
  return {
    requestId, promptTokenIds: Array.from({ length: numPromptTokens }, (_, i) => 3 + (i % 200)),
    sampling: samplingParams({ maxTokens, temperature: 0, ignoreEos: true, numLogprobs }), cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
  };
}

/** Collects reports; `next(pred)` resolves with (and removes) the first matching one. */
export function reportInbox(connection: WorkerConnection) {
  const reports: WorkerReport[] = [];
  const waiters: { pred: (r: WorkerReport) => boolean; resolve: (r: WorkerReport) => void }[] = [];
  connection.onReport((report) => {
    const i = waiters.findIndex((w) => w.pred(report));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(report);
    else reports.push(report);
  });
  const next = (pred: (r: WorkerReport) => boolean, timeoutMs = 10_000) => {
    const i = reports.findIndex(pred);
    if (i >= 0) return Promise.resolve(reports.splice(i, 1)[0]!);
    return new Promise<WorkerReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a worker report')), timeoutMs);
      waiters.push({ pred, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  };
  return { reports, next };
}

const eventOf = (id: string, kind?: string) => (r: WorkerReport) =>
  r.type === 'event' && r.event.requestId === id && (kind === undefined || r.event.kind === kind);

/** A request's generated token ids, read until its terminal event, which must not be `failed`. */
async function generatedTokens(inbox: ReturnType<typeof reportInbox>, requestId: string): Promise<number[]> {
  const tokens: number[] = [];
  for (;;) {
    const r = await inbox.next(eventOf(requestId));
    assert.ok(r.type === 'event' && r.event.kind !== 'failed', JSON.stringify(r));
    if (r.event.kind !== 'tokens') return tokens;
    tokens.push(...r.event.tokenIds);
  }
}

export function workerConnectionConformance(name: string, create: ConnectionFactory): void {
  describe(`WorkerConnection conformance: ${name}`, () => {
    test('ready, generate streams tokens then exactly one finished event; KV events and loads flow', async () => {
      const connection = await create();
      try {
        const inbox = reportInbox(connection);
        const info = await connection.ready;
        assert.equal(info.blockSize, 16);
        connection.send({ type: 'generate', request: generateRequest('c-1', 6) });
        const finished = await inbox.next(eventOf('c-1', 'finished'));
        assert.ok(finished.type === 'event' && finished.event.kind === 'finished' && finished.event.usage.numCompletionTokens === 6);
        const numTokens = inbox.reports.filter(eventOf('c-1', 'tokens'))
          .reduce((n, r) => n + (r.type === 'event' && r.event.kind === 'tokens' ? r.event.tokenIds.length : 0), 0);
        assert.equal(numTokens, 6);
        const kv = await inbox.next((r) => r.type === 'kv');
        assert.ok(kv.type === 'kv' && kv.event.data.type === 'stored' && typeof kv.event.data.blocks[0]!.blockHash === 'bigint');
        const load = await inbox.next((r) => r.type === 'load');
        assert.ok(load.type === 'load' && load.load.workerId === connection.workerId);
      } finally {
        await connection.close();
      }
    });

    test('logprobs cross the connection intact: one per token, the mock runner\'s values', async () => {
      const connection = await create();
      try {
        const inbox = reportInbox(connection);
        const info = await connection.ready;
        connection.send({ type: 'generate', request: generateRequest('c-lp', 5, 40, 3) });
        await inbox.next(eventOf('c-lp', 'finished'));
        const events = inbox.reports.flatMap((r) => (r.type === 'event' && r.event.requestId === 'c-lp' && r.event.kind === 'tokens' ? [r.event] : []));
        assert.equal(events.reduce((n, e) => n + e.tokenIds.length, 0), 5);
        for (const e of events) {
          assert.equal(e.logprobs?.length, e.tokenIds.length);
          e.tokenIds.forEach((id, i) => assert.deepEqual(e.logprobs![i], mockLogprobs(id, 3, info.vocabSize)));
        }
        // Prompt logprobs (completions echo): once, on the first tokens event, [0] null (JSON keeps the nulls).
        const echo = generateRequest('c-plp', 2, 20);
        echo.sampling.numPromptLogprobs = 2;
        connection.send({ type: 'generate', request: echo });
        await inbox.next(eventOf('c-plp', 'finished'));
        const echoed = inbox.reports.flatMap((r) => (r.type === 'event' && r.event.requestId === 'c-plp' && r.event.kind === 'tokens' ? [r.event] : []));
        const prompt = echo.promptTokenIds;
        assert.deepEqual(echoed[0]!.promptLogprobs, prompt.map((id, i) => (i === 0 ? null
          : mockLogprobs(mockNextToken(prompt[i - 1]!, i, 0, info), 2, info.vocabSize, id))));
        assert.ok(echoed.slice(1).every((e) => e.promptLogprobs === undefined));
      } finally {
        await connection.close();
      }
    });

    test('sampling extras cross the connection: a logit bias moves every token, a structured-output spec is enforced by the worker', async () => {
      const connection = await create();
      try {
        const inbox = reportInbox(connection);
        await connection.ready;
        const biased = generateRequest('c-bias', 3);
        biased.sampling = { ...biased.sampling, logitBias: [[77, 100]], minTokens: 2, repetitionPenalty: 1, minP: 0 };
        connection.send({ type: 'generate', request: biased });
        assert.deepEqual(await generatedTokens(inbox, 'c-bias'), [77, 77, 77]);
        const guided = generateRequest('c-guided', 8);
        guided.sampling = { ...guided.sampling, structuredOutput: { kind: 'choice', choices: ['yes', 'no'] } };
        connection.send({ type: 'generate', request: guided });
        const guidedTokens = await generatedTokens(inbox, 'c-guided');
        const tokenizer = await loadTokenizer(defaultModelDir());
        assert.ok(tokenizer.ok);
        assert.ok(['yes', 'no'].includes(tokenizer.value.decode(guidedTokens)), `the worker built the constraint over its vocabulary: ${guidedTokens}`);
      } finally {
        await connection.close();
      }
    });

    test('a rejected request is a failed event; abort ends a request and frees its blocks', async () => {
      const connection = await create();
      try {
        const inbox = reportInbox(connection);
        await connection.ready;
        connection.send({ type: 'generate', request: generateRequest('c-long-prompt', 4, 5000) });
        const failed = await inbox.next(eventOf('c-long-prompt'));
        assert.ok(failed.type === 'event' && failed.event.kind === 'failed' && failed.event.error.code === 'prompt_too_long');
        connection.send({ type: 'generate', request: generateRequest('c-abort', 400) });
        await inbox.next(eventOf('c-abort', 'tokens'));
        connection.send({ type: 'abort', requestId: 'c-abort' });
        const end = await inbox.next(eventOf('c-abort', 'finished'));
        assert.ok(end.type === 'event' && end.event.kind === 'finished' && end.event.finishReason === 'abort');
        connection.send({ type: 'audit' });
        const audit = await inbox.next((r) => r.type === 'audit');
        assert.ok(audit.type === 'audit' && audit.audit.ok && audit.audit.numUsedBlocks === 0, JSON.stringify(audit));
        connection.send({ type: 'snapshot' });
        const snapshot = await inbox.next((r) => r.type === 'snapshot');
        assert.ok(snapshot.type === 'snapshot' && snapshot.snapshot.workerId === connection.workerId);
      } finally {
        await connection.close();
      }
    });

    test('reset_prefix_cache: one cleared KV event, a prefix_cache_reset reply, then the prompt is a miss', async () => {
      const connection = await create();
      try {
        const inbox = reportInbox(connection);
        await connection.ready;
        const cachedTokens = async (requestId: string) => {
          connection.send({ type: 'generate', request: generateRequest(requestId, 4) });
          const end = await inbox.next(eventOf(requestId, 'finished'));
          return end.type === 'event' && end.event.kind === 'finished' ? end.event.usage.numCachedTokens : null;
        };
        assert.equal(await cachedTokens('c-reset-0'), 0);
        assert.equal(await cachedTokens('c-reset-1'), 32, '40-token prompt: its first 2 blocks of 16 are hits');
        connection.send({ type: 'reset_prefix_cache' });
        const reply = await inbox.next((r) => r.type === 'prefix_cache_reset');
        assert.ok(reply.type === 'prefix_cache_reset' && reply.numBlocks === 2, JSON.stringify(reply));
        await inbox.next((r) => r.type === 'kv' && r.event.data.type === 'cleared');
        assert.equal(await cachedTokens('c-reset-2'), 0, 'a miss after the reset');
        connection.send({ type: 'audit' });
        const audit = await inbox.next((r) => r.type === 'audit');
        assert.ok(audit.type === 'audit' && audit.audit.ok && audit.audit.numUsedBlocks === 0, JSON.stringify(audit));
        assert.equal(inbox.reports.filter((r) => r.type === 'kv' && r.event.data.type === 'cleared').length, 0, 'exactly one cleared event');
      } finally {
        await connection.close();
      }
    });

    test('close fires onClosed exactly once; later sends are no-ops', async () => {
      const connection = await create();
      await connection.ready;
      const reasons: string[] = [];
      connection.onClosed((reason) => reasons.push(reason));
      await connection.close();
      await new Promise((r) => setTimeout(r, 50));
      connection.send({ type: 'generate', request: generateRequest('c-after-close', 2) });
      await connection.close();
      assert.equal(reasons.length, 1);
    });
  });
}
