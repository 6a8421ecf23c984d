// ToolCallStream in 'auto' and 'required' modes: a choice's text events become content pieces and OpenAI tool_calls
// deltas (id, type and name first, then argument pieces), each choice with its own parser and ids; 'tool_calls' when
// it called; a cut 'required' array keeps what went out and finishes with the engine's reason.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolCallStream, type StreamPiece } from './tool-call-stream.js';

const TEXT = 'Let me look.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call> ok';

function run(stream: ToolCallStream, index: number, text: string, pieceLength: number): StreamPiece[] {
  const pieces: StreamPiece[] = [];
  for (let i = 0; i < text.length; i += pieceLength) pieces.push(...stream.text(index, text.slice(i, i + pieceLength), undefined));
  return pieces;
}

test("'auto' streams content, then the call's header and its argument pieces, then later content; two choices apart", () => {
  let n = 0;
  const stream = new ToolCallStream({ kind: 'auto', parser: 'hermes' }, () => `id-${n++}`);
  const first = run(stream, 0, TEXT, 5);
  const second = run(stream, 1, TEXT, 7);
  for (const [index, pieces] of [[0, first], [1, second]] as const) {
    const { pieces: rest, finishReason } = stream.finish(index, 'stop');
    assert.equal(finishReason, 'tool_calls');
    const all = [...pieces, ...rest];
    assert.equal(all.filter((p) => !p.toolCalls).map((p) => p.text).join(''), 'Let me look. ok');
    const calls = all.flatMap((p) => p.toolCalls ?? []);
    assert.deepEqual(calls[0], { index: 0, id: `id-${index}`, type: 'function', function: { name: 'get_weather', arguments: '' } });
    assert.ok(calls.slice(1).every((c) => c.id === undefined && c.index === 0));
    assert.equal(calls.map((c) => c.function.arguments).join(''), '{"city": "Oslo"}');
    assert.ok(calls.length > 2, 'arguments come in several pieces');
  }
});

test("'auto' without a call is plain content with the engine's finish reason; tokens ride on a piece", () => {
  const stream = new ToolCallStream({ kind: 'auto', parser: 'llama3_json' });
  const token = { tokenId: 1, text: 'hi' } as never;
  const pieces = stream.text(0, 'hi there', [token]);
  assert.deepEqual(pieces, [{ text: 'hi there', tokens: [token] }]);
  assert.deepEqual(stream.finish(0, 'length'), { pieces: [], finishReason: 'length' });
});

const REQUIRED = '[{"name": "get_weather", "parameters": {"city": "Oslo", "days": 3}}, {"name": "get_time", "parameters": {}}]';

test("'required' streams each call's header once its name is complete, then its parameters text in pieces; tokens ride along", () => {
  let n = 0;
  const stream = new ToolCallStream({ kind: 'required' }, () => `id-${n++}`);
  const token = { tokenId: 1, text: '[' } as never;
  const pieces = [...stream.text(0, '[{"name": "get_wea', [token]), ...run(stream, 0, REQUIRED.slice('[{"name": "get_wea'.length), 4)];
  const { pieces: rest, finishReason } = stream.finish(0, 'stop');
  assert.equal(finishReason, 'tool_calls');
  const all = [...pieces, ...rest];
  assert.deepEqual(all[0], { text: '', tokens: [token], toolCalls: [{ index: 0, id: 'id-0', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
    'the held token goes out with the first piece, the header as soon as the name closed');
  assert.ok(all.every((p) => p.text === '' && p.toolCalls?.length === 1), 'no content');
  const deltas = all.flatMap((p) => p.toolCalls!);
  assert.deepEqual(deltas.filter((d) => d.id !== undefined), [
    { index: 0, id: 'id-0', type: 'function', function: { name: 'get_weather', arguments: '' } },
    { index: 1, id: 'id-1', type: 'function', function: { name: 'get_time', arguments: '' } },
  ]);
  const args = (index: number) => deltas.filter((d) => d.index === index).map((d) => d.function.arguments).join('');
  assert.deepEqual([args(0), args(1)], ['{"city": "Oslo", "days": 3}', '{}']);
  assert.ok(deltas.filter((d) => d.index === 0).length > 3, 'arguments come in several pieces');
});

test("'required' cut short: no header out → the text as content; headers out → left as sent; the engine's reason either way", () => {
  const stream = new ToolCallStream({ kind: 'required' });
  assert.deepEqual(stream.text(0, '[{"na', undefined), []);
  assert.deepEqual(stream.finish(0, 'length'), { pieces: [{ text: '[{"na' }], finishReason: 'length' });
  const cut = REQUIRED.slice(0, REQUIRED.indexOf('Oslo'));
  assert.deepEqual(stream.text(1, cut, undefined).flatMap((p) => p.toolCalls!.map((d) => [d.function.name, d.function.arguments])),
    [['get_weather', ''], [undefined, '{"city": "']]);
  assert.deepEqual(stream.finish(1, 'length'), { pieces: [], finishReason: 'length' });
  stream.text(2, REQUIRED, undefined);
  assert.equal(stream.finish(2, 'length').finishReason, 'length', "a complete array cut by max_tokens: 'length', as non-streamed");
});
