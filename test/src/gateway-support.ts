// Shared helpers of the gateway suites: a loopback server (mock or real-model ORT), the official OpenAI client bound to
// it, raw HTTP posts (for bodies no client would send), the OpenAI error-shape and 400-param checks, the
// completions-logprobs helpers (text offsets, merging streamed chunks), a chat stream's choices and stories260K's golden file.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startServer, type ServerHandle, type ServerOptions } from '@mini-dynamo/gateway';
import { defaultModelDir } from '@mini-dynamo/model';

export const MODEL = 'stories260K';

/** stories260K's golden_greedy_bos_64.json: greedy from BOS and its teacher-forced NLL (float64 reference). */
export interface Golden { prompt_ids: number[]; greedy_ids_64: number[]; mean_nll_teacher_forced: number }

export function readGolden(): Golden {
  return JSON.parse(readFileSync(join(defaultModelDir(), 'golden_greedy_bos_64.json'), 'utf8')) as Golden;
}

export async function mockServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ runner: 'mock', numWorkers: 2, port: 0, host: '127.0.0.1', numBlocks: 256, log: () => {}, ...options });
}

export function client(server: ServerHandle): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 30_000 });
}

/** A real-model server (ORT runner on stories260K, one intra-op thread) on loopback; `options` override the defaults. */
export async function ortServer(options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ runner: 'ort', numWorkers: 1, port: 0, host: '127.0.0.1', numBlocks: 64, intraOpNumThreads: 1, log: () => {}, ...options });
}

/** A server (and its client) for the enclosing suite: started before its tests, closed after. */
function serverForSuite(start: () => Promise<ServerHandle>): { server: ServerHandle; openai: OpenAI } {
  const suite = {} as { server: ServerHandle; openai: OpenAI };
  before(async () => {
    suite.server = await start();
    suite.openai = client(suite.server);
  });
  after(() => suite.server.close());
  return suite;
}

/** A mock-runner server (and its client) for the enclosing suite. */
export function mockServerForSuite(options: ServerOptions = {}): { server: ServerHandle; openai: OpenAI } {
  return serverForSuite(() => mockServer(options));
}

/** A real-model (ORT) server (and its client) for the enclosing suite. */
export function ortServerForSuite(options: ServerOptions = {}): { server: ServerHandle; openai: OpenAI } {
  return serverForSuite(() => ortServer(options));
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST raw bytes; `chunked` drops Content-Length so the server must enforce limits while reading. */
export function rawPost(url: string, path: string, body: Buffer | string, options: { chunked?: boolean; headers?: Record<string, string> } = {}): Promise<RawReply> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.chunked ? {} : { 'content-length': String(bytes.length) }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written: that is fine.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (options.chunked) {
      for (let i = 0; i < bytes.length; i += 1 << 16) req.write(bytes.subarray(i, i + (1 << 16)));
      req.end();
    } else req.end(bytes);
  });
}

/** Asserts an OpenAI-shaped error body and returns it. */
export function assertOpenAiError(reply: RawReply, status?: number): { message: string; type: string; param: string | null; code: string | null } {
  if (status !== undefined) assert.equal(reply.status, status, reply.body);
  const parsed = JSON.parse(reply.body) as { error: { message: string; type: string; param: string | null; code: string | null } };
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof parsed.error.message, 'string');
  assert.ok(parsed.error.message.length > 0);
  assert.equal(typeof parsed.error.type, 'string');
  return parsed.error;
}

/** For assert.rejects: the official client's 400 naming `param` (and with `code`, that error code). */
export const badParam = (param: string, code?: string) => (e: unknown): boolean =>
  e instanceof OpenAI.BadRequestError && e.param === param && e.type === 'invalid_request_error' && (code === undefined || e.code === code);

/** Every worker's allocator holds no block (audit clean, all blocks free or cached). */
export async function assertNoLeakedBlocks(server: ServerHandle, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const audits = await server.audit();
    const used = audits.reduce((n, a) => n + a.numUsedBlocks, 0);
    if (used === 0 || Date.now() > deadline) {
      for (const a of audits) assert.ok(a.ok, `allocator audit failed: ${JSON.stringify(a)}`);
      assert.equal(used, 0, `blocks still held: ${JSON.stringify(audits.map((a) => a.numUsedBlocks))}`);
      assert.ok(audits.length > 0);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export type CompletionLogprobs = OpenAI.Completions.CompletionChoice.Logprobs;

export const codePoints = (s: string): number => [...s].length;

/** The tokens spell the text and each offset is the code-point start of its token. */
export function assertTextOffsets(text: string, lp: CompletionLogprobs): void {
  assert.equal(lp.tokens!.join(''), text, 'the tokens spell the text');
  let offset = 0;
  lp.tokens!.forEach((token, i) => {
    assert.equal(lp.text_offset![i], offset);
    offset += codePoints(token);
  });
}

/** Streamed completion chunks merged per choice index: texts concatenated, logprobs arrays appended. */
export function mergeCompletionChunks(chunks: readonly OpenAI.Completions.Completion[]): { text: string; logprobs: Required<CompletionLogprobs> }[] {
  const out: { text: string; logprobs: Required<CompletionLogprobs> }[] = [];
  for (const chunk of chunks) {
    for (const c of chunk.choices) {
      const o = (out[c.index] ??= { text: '', logprobs: { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] } });
      o.text += c.text;
      o.logprobs.tokens.push(...(c.logprobs?.tokens ?? []));
      o.logprobs.token_logprobs.push(...(c.logprobs?.token_logprobs ?? []));
      o.logprobs.top_logprobs.push(...(c.logprobs?.top_logprobs ?? []));
      o.logprobs.text_offset.push(...(c.logprobs?.text_offset ?? []));
    }
  }
  return out;
}

export type StreamedChatChoice = { content: string; deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[]; finish: string | null };

/** A chat stream per choice index: its content concatenated, its tool_calls deltas in order, its finish reason. */
export async function streamedChatChoices(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<Map<number, StreamedChatChoice>> {
  const choices = new Map<number, StreamedChatChoice>();
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      const acc = choices.get(c.index) ?? { content: '', deltas: [], finish: null };
      choices.set(c.index, acc);
      acc.content += c.delta.content ?? '';
      acc.deltas.push(...(c.delta.tool_calls ?? []));
      if (c.finish_reason !== null) acc.finish = c.finish_reason;
    }
  }
  return choices;
}
