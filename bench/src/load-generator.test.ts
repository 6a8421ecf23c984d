// Drives the real HTTP client and arrival processes against a small OpenAI-style SSE server on
// 127.0.0.1 (a test double for the gateway: it streams `max_tokens` chunks, one every `gapMs`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { arrivalOffsetsMs, runLoad, type ArrivalMode } from './load-generator.js';
import { computeMetrics } from './metrics.js';
import { applyChunk, sendTurn, sseEvents } from './sse-client.js';
import { emptyRecord } from './event-log.js';
import { checkTarget, discoverModel, type Target } from './target.js';
import { sharedPrefixWorkload } from './shared-prefix-workload.js';
import { DEFAULT_TOKEN_SPACE } from './rng.js';

interface Seen { bodies: any[]; maxInFlight: number; }

async function fakeServer(gapMs: number): Promise<{ server: Server; url: string; seen: Seen }> {
  const seen: Seen = { bodies: [], maxInFlight: 0 };
  let inFlight = 0;
  const server = createServer((req, res) => {
    if (req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'fake-model' }] }));
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const body = JSON.parse(raw);
      seen.bodies.push(body);
      if (body.max_tokens === 999) return res.writeHead(429).end('{"error":{"message":"busy"}}');
      seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-mini-dynamo-worker': 'w1' });
      for (let i = 0; i < body.max_tokens && !res.destroyed; i++) {
        await new Promise((r) => setTimeout(r, gapMs));
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: `t${i}`, finish_reason: null }] })}\n\n`);
      }
      const usage = { prompt_tokens: body.prompt.length, completion_tokens: body.max_tokens, total_tokens: 0, prompt_tokens_details: { cached_tokens: 16 } };
      res.write(`data: ${JSON.stringify({ choices: [], usage })}\r\n\r\n`);
      res.end('data: [DONE]\n\n');
      inFlight--;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const now = () => performance.now();

test('client sends token-id prompts with ignore_eos and times every chunk', async () => {
  const { server, url, seen } = await fakeServer(5);
  try {
    const checked = checkTarget(url, false);
    assert.ok(checked.ok);
    const target: Target = { api: 'completions', baseUrl: checked.ok ? checked.baseUrl : '', model: null, apiKey: null, headers: {} };
    assert.equal(await discoverModel(target), 'fake-model');
    const turn = { promptTokenIds: [5, 6, 7, 8], maxTokens: 4 };
    const r = await sendTurn(target, 'fake-model', turn, { id: 'a', signal: new AbortController().signal, headers: { 'x-mini-dynamo-router': 'kv' }, now });
    assert.equal(r.error, null);
    assert.equal(r.chunkTimesMs.length, 4);
    assert.deepEqual(r.usage, { promptTokens: 4, completionTokens: 4, cachedTokens: 16 });
    assert.equal(r.tags['x-mini-dynamo-worker'], 'w1');
    assert.ok(r.chunkTimesMs[0]! - r.sendMs >= 4 && r.endMs! >= r.chunkTimesMs[3]!);
    assert.deepEqual(seen.bodies[0].prompt, [5, 6, 7, 8]);
    assert.equal(seen.bodies[0].ignore_eos, true);
    assert.equal(seen.bodies[0].stream_options.include_usage, true);
    const busy = await sendTurn(target, 'fake-model', { promptTokenIds: [5], maxTokens: 999 }, { id: 'b', signal: new AbortController().signal, headers: {}, now });
    assert.equal(busy.error, 'HTTP 429');
  } finally {
    server.close();
  }
});

test('closed loop never exceeds its concurrency; multi-turn sessions run in order', async () => {
  const { server, url, seen } = await fakeServer(2);
  try {
    const target: Target = { api: 'completions', baseUrl: `${url}/v1`, model: 'fake-model', apiKey: null, headers: {} };
    const sessions = sharedPrefixWorkload({ numSessions: 6, numGroups: 2, prefixLength: 16, suffixLength: 4, outputLength: 3, turnsPerSession: 2, seed: 1, tokenSpace: DEFAULT_TOKEN_SPACE });
    const records = await runLoad(sessions, (turn, id, signal) => sendTurn(target, 'fake-model', turn, { id, signal, headers: {}, now }),
      { mode: { kind: 'concurrency', concurrency: 2 }, maxDurationMs: 10_000, progressLabel: 't', showProgress: false });
    assert.equal(records.length, 12);
    assert.ok(seen.maxInFlight <= 2, `max in flight ${seen.maxInFlight}`);
    for (const s of sessions) {
      const [t0, t1] = [0, 1].map((t) => records.find((r) => r.id === `${s.id}.${t}`)!);
      assert.ok(t1!.sendMs >= t0!.endMs!, 'turn 2 starts after turn 1 ended');
      assert.deepEqual(s.turns[1]!.promptTokenIds.slice(0, 20), s.turns[0]!.promptTokenIds, 'history grows');
    }
    const m = computeMetrics(records);
    assert.equal(m.errorRate, 0);
    assert.equal(m.outputTokenThroughput > 0, true);
  } finally {
    server.close();
  }
});

test('open loop follows its schedule and the deadline cancels in-flight requests', async () => {
  const { server, url } = await fakeServer(50);
  try {
    const target: Target = { api: 'completions', baseUrl: `${url}/v1`, model: 'm', apiKey: null, headers: {} };
    const sessions = [0, 100, 5000].map((at, i) => ({ id: `t${i}`, group: null, atMs: at, turns: [{ promptTokenIds: [9], maxTokens: 2 }] }));
    const started = performance.now();
    const records = await runLoad(sessions, (turn, id, signal) => sendTurn(target, 'm', turn, { id, signal, headers: {}, now }),
      { mode: { kind: 'trace' }, maxDurationMs: 400, progressLabel: 't', showProgress: false });
    assert.ok(performance.now() - started < 1500, 'bounded in time');
    assert.equal(records.length, 2, 'the request scheduled after the deadline is never sent');
    assert.ok(records[1]!.sendMs - records[0]!.sendMs >= 90);
    assert.equal(records[0]!.error, null);
    const poisson: ArrivalMode = { kind: 'poisson', ratePerSec: 100, seed: 7 };
    const offsets = arrivalOffsetsMs(Array.from({ length: 2001 }, () => sessions[0]!), poisson);
    const meanGap = offsets[2000]! / 2000;
    assert.ok(meanGap > 8.5 && meanGap < 11.5, `mean gap ${meanGap} ≈ 10 ms at 100 req/s`);
    assert.deepEqual(offsets.slice(0, 5), arrivalOffsetsMs(sessions.concat(sessions), poisson).slice(0, 5), 'seeded');
  } finally {
    server.close();
  }
});

test('non-loopback targets are refused unless allowed', () => {
  assert.equal(checkTarget('http://example.com:8000', false).ok, false);
  assert.deepEqual(checkTarget('http://example.com:8000/v1/', true), { ok: true, baseUrl: 'http://example.com:8000/v1' });
  assert.deepEqual(checkTarget('http://localhost:8000', false), { ok: true, baseUrl: 'http://localhost:8000/v1' });
  assert.equal(checkTarget('http://[::1]:8000', false).ok, true);
  assert.equal(checkTarget('http://127.0.0.1.evil.com', false).ok, false);
  assert.equal(checkTarget('ftp://127.0.0.1', false).ok, false);
});

test('SSE parsing survives events split across reads, CRLF, and several events per read', async () => {
  const enc = new TextEncoder();
  const parts = ['data: {"choices":[{"text":"a"}]}\r\n', '\r\ndata: {"choi', 'ces":[{"text":"b"}]}\n\ndata: {"choices":[{"text":""}],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n'];
  const body = new ReadableStream<Uint8Array>({ start(c) { parts.forEach((p) => c.enqueue(enc.encode(p))); c.close(); } });
  let t = 0;
  const events: { data: string; at: number }[] = [];
  for await (const e of sseEvents(body, () => ++t)) events.push(e);
  assert.deepEqual(events.map((e) => e.data.slice(0, 12)), ['{"choices":[', '{"choices":[', '{"choices":[', '[DONE]']);
  assert.deepEqual(events.map((e) => e.at), [2, 3, 3, 3], 'an event is stamped when its last byte arrived');
  const r = emptyRecord('x', 0, 3, 2);
  for (const e of events.slice(0, 3)) applyChunk(r, JSON.parse(e.data), e.at);
  assert.deepEqual(r.chunkTimesMs, [2, 3], 'the usage-only chunk with empty text is not a token');
  assert.deepEqual(r.usage, { promptTokens: 3, completionTokens: 2, cachedTokens: null });
});
