import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.js';
import { jsonDepth, readJsonBody } from './json-body.js';

const req = (body: string | Uint8Array | ReadableStream, headers: Record<string, string> = {}) =>
  new Request('http://x/v1/completions', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

async function status(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e.status;
  }
}

test('json depth ignores brackets inside strings and escapes', () => {
  assert.equal(jsonDepth('{"a":[1,{"b":"[[[{{"}]}'), 3);
  assert.equal(jsonDepth('"\\"[["'), 0);
  assert.equal(jsonDepth('[[[]]]'), 3);
});

test('limits: declared and streamed size → 413; bad UTF-8, deep or broken JSON → 400', async () => {
  const limits = { limitBytes: 100, maxDepth: 4 };
  assert.equal(await status(readJsonBody(req('{"a":1}'), limits)), 'ok');
  assert.equal(await status(readJsonBody(req('{}', { 'content-length': '1000' }), limits)), 413);
  const chunks = new ReadableStream({ start(c) { for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(40)); c.close(); } });
  assert.equal(await status(readJsonBody(req(chunks), limits)), 413);
  assert.equal(await status(readJsonBody(req(new Uint8Array([0x7b, 0xff, 0x7d])), limits)), 400);
  assert.equal(await status(readJsonBody(req('[[[[[1]]]]]'), limits)), 400);
  assert.equal(await status(readJsonBody(req('{"a":NaN}'), limits)), 400);
  assert.equal(await status(readJsonBody(req(''), limits)), 400);
});
