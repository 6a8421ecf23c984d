import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryPrompt, hashIdBlock, parseMooncakeTrace, toMooncakeJsonl, traceSessions, type TraceReplayOptions } from './mooncake-trace.js';
import { syntheticTrace } from './synthetic-trace.js';
import { DEFAULT_TOKEN_SPACE } from './rng.js';

const TRACE = [
  '{"timestamp": 1000, "input_length": 1200, "output_length": 10, "hash_ids": [0, 1, 2]}',
  '{"timestamp": 1500, "input_length": 1100, "output_length": 5, "hash_ids": [0, 1, 7]}',
  '',
  '{"timestamp": 4000, "input_length": 2000, "output_length": 1, "hash_ids": [9]}',
].join('\n');

const opts = (o: Partial<TraceReplayOptions> = {}): TraceReplayOptions => ({
  timeScale: 1, blockTokens: 512, outputScale: 1, seed: 1, tokenSpace: DEFAULT_TOKEN_SPACE, ...o,
});

test('parses Mooncake JSONL and reports the bad line', () => {
  const parsed = parseMooncakeTrace(TRACE);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.equal(parsed.entries.length, 3);
  assert.deepEqual(parsed.entries[1], { timestamp: 1500, inputLength: 1100, outputLength: 5, hashIds: [0, 1, 7] });
  const bad = parseMooncakeTrace(`${TRACE}\n{"timestamp": 5, "input_length": -1, "output_length": 3, "hash_ids": []}`);
  assert.deepEqual(bad, { ok: false, message: 'trace line 5: input_length must be a positive integer' });
  assert.equal(parseMooncakeTrace('{"timestamp":1,').ok, false);
  assert.equal(parseMooncakeTrace('{"timestamp":1,"input_length":3,"output_length":3,"hash_ids":["a"]}').ok, false);
});

test('equal hash ids give equal 512-token blocks; prompts have exact input lengths', () => {
  const parsed = parseMooncakeTrace(TRACE);
  if (!parsed.ok) throw new Error(parsed.message);
  const [a, b, c] = parsed.entries.map((e, i) => entryPrompt(e, i, opts()));
  assert.equal(a!.length, 1200);
  assert.equal(b!.length, 1100);
  assert.equal(c!.length, 2000, 'input beyond the hash ids is padded with request-unique tokens');
  assert.deepEqual(a!.slice(0, 1024), b!.slice(0, 1024), 'ids 0,1 shared → first 1024 tokens equal');
  assert.notDeepEqual(a!.slice(1024, 1100), b!.slice(1024, 1100), 'ids 2 vs 7 differ');
  assert.deepEqual(a!.slice(0, 512), hashIdBlock(0, 512, 1, DEFAULT_TOKEN_SPACE));
  assert.ok(a!.every((t) => t >= 3 && t < 512), 'token ids stay inside the vocabulary, no special ids');
});

test('time scaling, block shrinking and output scaling', () => {
  const parsed = parseMooncakeTrace(TRACE);
  if (!parsed.ok) throw new Error(parsed.message);
  const sessions = traceSessions(parsed.entries, opts({ timeScale: 0.5, blockTokens: 16, outputScale: 2 }));
  assert.deepEqual(sessions.map((s) => s.atMs), [0, 250, 1500]);
  assert.deepEqual(sessions.map((s) => s.turns[0]!.promptTokenIds.length), [38, 34, 63]);
  assert.deepEqual(sessions.map((s) => s.turns[0]!.maxTokens), [20, 10, 2]);
  const [a, b] = sessions.map((s) => s.turns[0]!.promptTokenIds);
  assert.deepEqual(a!.slice(0, 32), b!.slice(0, 32), 'shrunk blocks still shared by equal ids');
});

test('synthetic traces round-trip through Mooncake JSONL and share prefix ids within a group', () => {
  const entries = syntheticTrace({ numRequests: 50, ratePerSec: 10, numGroups: 4, prefixBlocks: 3, suffixBlocks: 2, outputLength: 20, zipf: 1, seed: 3 });
  const parsed = parseMooncakeTrace(toMooncakeJsonl(entries));
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.deepEqual(parsed.entries, entries);
  for (const e of entries) {
    assert.equal(e.hashIds.length, 5);
    assert.equal(e.inputLength, 5 * 512);
    const g = Math.floor(e.hashIds[0]! / 3);
    assert.deepEqual(e.hashIds.slice(0, 3), [3 * g, 3 * g + 1, 3 * g + 2]);
  }
  const suffixIds = entries.flatMap((e) => e.hashIds.slice(3));
  assert.equal(new Set(suffixIds).size, suffixIds.length, 'suffix blocks are unique per request');
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.timestamp >= entries[i - 1]!.timestamp);
});
