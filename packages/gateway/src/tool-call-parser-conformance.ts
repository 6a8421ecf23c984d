// The conformance suite every ToolCallParser passes (run by tool-call-parsers.test.ts): extract() on plain,
// one-call, several-call, malformed and cut replies, and the streaming parser fed any split of a valid reply
// giving extract()'s calls and content (fast-check), with each call's start before its argument pieces.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ExtractedToolCalls, ParsedToolCall, ToolCallDelta, ToolCallFormat, ToolCallParser } from './tool-call-parser.js';

/** A call as a test writes it. */
export interface TestCall {
  name: string;
  args: Record<string, unknown>;
}

export interface ParserFormat {
  parser: ToolCallParser;
  /** The model's text for content, then the calls, then more content (as the format writes it). */
  render(before: string, calls: TestCall[], after: string): string;
  /** A reply whose one call's JSON is broken (it must stay content). */
  malformed: string;
}

/** What a stream's deltas add up to, in extract()'s shape; throws when a call's pieces come out of order. */
export function collectDeltas(deltas: ToolCallDelta[]): ExtractedToolCalls {
  let content = '';
  const calls: ParsedToolCall[] = [];
  for (const d of deltas) {
    if (d.kind === 'content') content += d.text;
    else if (d.kind === 'call') {
      assert.equal(d.index, calls.length, 'calls start in order, each once');
      calls.push({ name: d.name, arguments: '' });
    } else {
      assert.ok(calls[d.index] !== undefined, 'arguments come after their call started');
      calls[d.index]!.arguments += d.text;
    }
  }
  return { content: content.trim() === '' ? null : content, calls };
}

/** Streams `text` cut at `cuts` (sorted offsets) through a fresh streaming parser; checks finish()'s count of calls. */
export function streamed(format: ToolCallFormat, text: string, cuts: number[]): ExtractedToolCalls {
  const stream = format.stream();
  const deltas: ToolCallDelta[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    deltas.push(...stream.push(text.slice(from, cut)));
    from = cut;
  }
  const { deltas: rest, numCalls } = stream.finish();
  assert.equal(numCalls, format.extract(text).calls.length, "finish() counts extract()'s calls");
  return collectDeltas([...deltas, ...rest]);
}

const WEATHER: TestCall = { name: 'get_weather', args: { city: 'Oslo', days: 3 } };
const TIME: TestCall = { name: 'get_time', args: { zone: 'CET', tricky: 'a "quoted" {brace} ; \\ back' } };

const nameArb = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,15}$/).filter((n) => n !== '__proto__');
/** Strings without '<' (a Hermes tag inside a string would end the block, as in vLLM) and without control characters. */
const stringArb = fc.string({ maxLength: 12 }).map((s) => s.replace(/[<\u0000-\u001f]/g, ''));
const valueArb = fc.oneof(stringArb, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
export const callArb = fc.record({ name: nameArb, args: fc.dictionary(nameArb, valueArb, { maxKeys: 3 }) });
/** Content that starts no call in either format. */
const contentArb = fc.string({ maxLength: 16 }).map((s) => s.replace(/[<{};]/g, ''));

export function toolCallParserConformance(format: ParserFormat): void {
  const { parser } = format;
  const name = parser.name;
  const asParsed = (calls: TestCall[]) => calls.map((c) => ({ name: c.name, args: JSON.parse(JSON.stringify(c.args)) as unknown }));
  const parsedArgs = (r: ExtractedToolCalls) => r.calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown }));

  test(`${name}: a reply without calls is all content`, () => {
    assert.deepEqual(parser.extract('Hello there, no tools today.'), { content: 'Hello there, no tools today.', calls: [] });
    assert.deepEqual(parser.extract('  \n'), { content: null, calls: [] });
  });

  test(`${name}: one call → its name and arguments JSON, no content`, () => {
    const r = parser.extract(format.render('', [WEATHER], ''));
    assert.equal(r.content, null);
    assert.deepEqual(parsedArgs(r), asParsed([WEATHER]));
  });

  test(`${name}: several calls in order, content around them kept`, () => {
    const r = parser.extract(format.render('Let me check. ', [WEATHER, TIME], ' Done.'));
    assert.deepEqual(parsedArgs(r), asParsed([WEATHER, TIME]));
    assert.match(r.content!, /^Let me check\. [\s\S]* Done\.$/);
  });

  test(`${name}: malformed call JSON stays content; a call to a function not offered is kept`, () => {
    assert.deepEqual(parser.extract(format.malformed), { content: format.malformed, calls: [] });
    const unknown = parser.extract(format.render('', [{ name: 'not_a_tool', args: {} }], ''));
    assert.deepEqual(unknown.calls, [{ name: 'not_a_tool', arguments: '{}' }]);
  });

  test(`${name}: a call cut short (max_tokens) is content`, () => {
    const text = format.render('', [WEATHER], '');
    const cut = text.slice(0, text.indexOf('Oslo'));
    assert.deepEqual(parser.extract(cut), { content: cut, calls: [] });
  });

  test(`${name}: streamed in any pieces, the deltas add up to extract()'s calls and content`, () => {
    fc.assert(fc.property(contentArb, fc.array(callArb, { maxLength: 3 }), contentArb, fc.array(fc.nat(), { maxLength: 12 }),
      (before, calls, after, rawCuts) => {
        const text = format.render(before, calls, after);
        const cuts = [...new Set(rawCuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const whole = parser.extract(text);
        assert.deepEqual(parsedArgs(whole), asParsed(calls));
        assert.deepEqual(streamed(parser, text, cuts), whole);
      }), { numRuns: 300 });
  });

  test(`${name}: one character at a time, a call's start comes once its name is known, before its arguments`, () => {
    const text = format.render('Sure: ', [WEATHER], '');
    const stream = parser.stream();
    const kinds: string[] = [];
    for (const ch of text) kinds.push(...stream.push(ch).map((d) => d.kind));
    kinds.push(...stream.finish().deltas.map((d) => d.kind));
    const first = kinds.indexOf('call');
    assert.ok(first > 0 && kinds.slice(0, first).every((k) => k === 'content'), kinds.join());
    assert.ok(kinds.slice(first + 1).every((k) => k === 'arguments') && kinds.length - first > 2, 'arguments stream in pieces');
  });
}
