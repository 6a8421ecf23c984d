// Streaming stays linear: a long reply with several calls, streamed one character at a time through each call format,
// examines (scanJsonObject steps, tag searches, whitespace skips, counted by scanWork) at most a few times its length.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanWork } from './json-object-scan.js';
import { requiredToolCallFormat } from './required-tool-call-format.js';
import { streamed, type TestCall } from './tool-call-parser-conformance.js';
import type { ToolCallFormat } from './tool-call-parser.js';
import { TOOL_CALL_PARSERS } from './tool-call-parsers.js';

/**
 * Characters examined per character of text that a linear stream stays under: each push re-searches up to a tag's
 * length (`</tool_call>`: 12) of held-back text, besides the scan; re-reading the reply so far examines thousands.
 */
const MAX_EXAMINED_PER_CHAR = 24;

const calls: TestCall[] = [0, 1, 2, 3, 4].map((i) => ({ name: `f${i}`, args: { city: 'Oslo'.repeat(300 + i), note: 'x "q" {b} ;'.repeat(150) } }));
const prose = 'Some prose about the weather; {braces} too. '.repeat(40);
const asObject = (c: TestCall) => JSON.stringify({ name: c.name, parameters: c.args });

const replies: { name: string; format: ToolCallFormat; text: string }[] = [
  { name: 'hermes', format: TOOL_CALL_PARSERS.hermes,
    text: prose + calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.args })}\n</tool_call>`).join('\n') + prose },
  { name: 'llama3_json', format: TOOL_CALL_PARSERS.llama3_json, text: calls.map(asObject).join('; ') + prose },
  { name: 'required', format: requiredToolCallFormat, text: `[${calls.map(asObject).join(', ')}]` },
];

for (const { name, format, text } of replies) {
  test(`${name}: a ${text.length}-character reply streamed one character at a time examines O(length) characters`, () => {
    assert.ok(text.length >= 15_000, 'a long reply');
    const whole = format.extract(text);
    assert.equal(whole.calls.length, calls.length);
    const before = scanWork.numExamined;
    const result = streamed(format, text, Array.from({ length: text.length }, (_, i) => i));
    const numExamined = scanWork.numExamined - before;
    assert.deepEqual(result, whole, 'the stream gives what extract() does');
    // extract() inside streamed() examines the text once more; the bound holds with it.
    assert.ok(numExamined < MAX_EXAMINED_PER_CHAR * text.length, `${numExamined} characters examined for ${text.length}`);
  });
}
