// ToolCallStream in 'auto' mode: a choice's text events become content pieces and OpenAI tool_calls deltas
// (id, type and name first, then argument pieces), each choice with its own parser and ids; 'tool_calls' when it called.

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
