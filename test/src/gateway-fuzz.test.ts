// Hostile input: ≥1,000 malformed bodies (wrong types, huge/negative/NaN numbers, deep JSON,
// invalid UTF-8, 10 MB bodies, random JSON) → every reply is a 4xx OpenAI-shaped error, the
// server stays up and serves, and no KV block leaks.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, assertOpenAiError, MODEL, mockServer, rawPost } from './gateway-support.js';

const FIELDS: Record<string, unknown[]> = {
  max_tokens: [-1, 0, 1.5, 1e20, 1e308, '10', 'NaN', true, [], {}, 600, 2 ** 53],
  max_completion_tokens: [-5, 0, 0.1, 1e300, 'x', [1], 100_000],
  temperature: [-0.1, 2.01, 'hot', [], {}, true],
  top_p: [0, -1, 1.0001, 'all', []],
  top_k: [-2, 1.5, 'k'],
  seed: [1.5, 'seed', 2 ** 60, -(2 ** 60), {}],
  n: [0, -1, 17, 1e9, 2.5, '2', []],
  stop: [5, [1, 2], [''], Array.from({ length: 40 }, () => 'x'), { a: 1 }, 'x'.repeat(600)],
  presence_penalty: [-2.5, 3, 'p', 1e99],
  frequency_penalty: [2.1, -9, [], 'f'],
  stream: ['yes', 1, {}, []],
  stream_options: ['x', 5, { include_usage: 'yes' }, []],
  user: [5, {}, 'u'.repeat(1000)],
  ignore_eos: ['true', 0, {}],
  logprobs: [-1, 21, 2.5, 'yes', {}, []],
  model: [5, '', null, 'gpt-4', [], {}, 'x'.repeat(600)],
};

const COMPLETION_BASE = { model: MODEL, prompt: 'hello', max_tokens: 2 };
const CHAT_BASE = { model: MODEL, messages: [{ role: 'user', content: 'hello' }], max_tokens: 2 };

function* fieldCases(): Generator<[string, string]> {
  for (const [field, values] of Object.entries(FIELDS)) {
    for (const value of values) {
      yield ['/v1/completions', JSON.stringify({ ...COMPLETION_BASE, [field]: value })];
      yield ['/v1/chat/completions', JSON.stringify({ ...CHAT_BASE, [field]: value })];
    }
  }
  const prompts = [5, null, [], [''].slice(1), [-1], [1.5], [512], [1e12], [[1], 'a'], [[]], { text: 'x' }, true,
    Array.from({ length: 20 }, () => 'p'), 'word '.repeat(1000)];
  for (const prompt of prompts) yield ['/v1/completions', JSON.stringify({ ...COMPLETION_BASE, prompt })];
  const messages = [[], 'hi', [{ role: 'wizard', content: 'x' }], [{ content: 'x' }], [{ role: 'user', content: 5 }],
    [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }], [null], [{ role: 'user', content: 'w '.repeat(3000) }]];
  for (const m of messages) yield ['/v1/chat/completions', JSON.stringify({ ...CHAT_BASE, messages: m })];
}

/** Bodies that are not JSON objects at all: broken syntax, NaN literals, deep nesting, scalars. */
function* syntaxCases(): Generator<[string, string | Buffer]> {
  const texts = ['', ' ', '{', '}', '{"model":', 'null', '[]', '42', '"str"', 'true', '{"model":"x",}', "{'model':'x'}",
    `{"model":"${MODEL}","prompt":"x","max_tokens":NaN}`, `{"model":"${MODEL}","prompt":"x","max_tokens":Infinity}`,
    `{"model":"${MODEL}","prompt":"x","max_tokens":-Infinity}`, `{"model":"${MODEL}","prompt":"x","temperature":1e999}`,
    `{"model":"${MODEL}","prompt":"x","max_tokens":${'9'.repeat(400)}}`, '[' .repeat(100_000) + ']'.repeat(100_000),
    `{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, '{"model":"\\ud800"}', '\u0000', '{"__proto__":{"model":"x"}}'];
  // numbers JSON.stringify cannot write: overflow to ±Infinity, NaN, 400-digit integers
  for (const field of ['max_tokens', 'temperature', 'top_p', 'top_k', 'seed', 'n', 'presence_penalty']) {
    for (const raw of ['1e999', '-1e999', 'NaN', '9'.repeat(400)]) {
      texts.push(`{"model":"${MODEL}","prompt":"x","${field}":${raw}}`);
    }
  }
  for (const t of texts) {
    yield ['/v1/completions', t];
    yield ['/v1/chat/completions', t];
  }
  const invalidUtf8 = [Buffer.from([0xff, 0xfe, 0xfd]), Buffer.concat([Buffer.from(`{"model":"${MODEL}","prompt":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    Buffer.concat([Buffer.from(`{"model":"${MODEL}","prompt":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])];
  for (const b of invalidUtf8) {
    yield ['/v1/completions', b];
    yield ['/v1/chat/completions', b];
  }
}

describe('gateway fuzz (mock runner)', () => {
  let server: ServerHandle;
  before(async () => { server = await mockServer(); });
  after(() => server.close());

  test('≥1,000 hostile bodies: each a 4xx OpenAI error; the server serves afterwards; no leaked blocks', { timeout: 120_000 }, async () => {
    const cases: [string, string | Buffer, { chunked?: boolean }][] = [];
    for (const [path, body] of fieldCases()) cases.push([path, body, {}]);
    for (const [path, body] of syntaxCases()) cases.push([path, body, {}]);
    // random JSON values and random objects: never a valid request (no model+prompt pair of the right types)
    const randomBodies = fc.sample(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())), { numRuns: 900, seed: 4242 });
    for (const v of randomBodies) cases.push([cases.length % 2 ? '/v1/completions' : '/v1/chat/completions', JSON.stringify(v) ?? 'null', {}]);
    const tenMb = JSON.stringify({ model: MODEL, prompt: 'z'.repeat(10 << 20) });
    for (const chunked of [false, true]) cases.push(['/v1/completions', tenMb, { chunked }], ['/v1/chat/completions', tenMb, { chunked }]);
    assert.ok(cases.length >= 1000, `only ${cases.length} cases`);
    console.log(`fuzz: ${cases.length} hostile bodies`);

    const statuses = new Map<number, number>();
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const replies = await Promise.all(batch.map(([path, body, opts]) => rawPost(server.url, path, body, opts)));
      replies.forEach((reply, j) => {
        const label = `case ${i + j}: ${String(batch[j]![1]).slice(0, 120)}`;
        assert.ok(reply.status >= 400 && reply.status < 500, `${label} → ${reply.status} ${reply.body.slice(0, 300)}`);
        assertOpenAiError(reply);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      });
    }
    assert.ok((statuses.get(400) ?? 0) > 900, JSON.stringify([...statuses]));
    assert.equal(statuses.get(413), 4);
    assert.ok((statuses.get(404) ?? 0) > 0);

    const ok = await rawPost(server.url, '/v1/completions', JSON.stringify({ ...COMPLETION_BASE, max_tokens: 3 }));
    assert.equal(ok.status, 200, ok.body);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    await assertNoLeakedBlocks(server);
  });
});
