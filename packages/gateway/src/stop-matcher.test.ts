import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StopMatcher } from './stop-matcher.js';

function run(stops: string[], chunks: string[]): { out: string; stopped: boolean } {
  const m = new StopMatcher(stops);
  let out = '';
  for (const c of chunks) {
    const r = m.push(c);
    out += r.text;
    if (r.stopped) return { out, stopped: true };
  }
  return { out: out + m.flush(), stopped: false };
}

test('a stop string split across chunks is found and never leaked', () => {
  assert.deepEqual(run(['END'], ['hello E', 'N', 'D tail']), { out: 'hello ', stopped: true });
  const m = new StopMatcher(['END']);
  assert.deepEqual(m.push('abcEN'), { text: 'abc', stopped: false });
  assert.deepEqual(m.push('x'), { text: 'ENx', stopped: false });
});

test('the earliest of several stop strings wins; held text is released on flush', () => {
  assert.deepEqual(run(['world', 'lo w'], ['hel', 'lo world']), { out: 'hel', stopped: true });
  assert.deepEqual(run(['xyz'], ['abc x', 'y']), { out: 'abc xy', stopped: false });
});

/** Reference: after each chunk, look for stops in all text so far; cut at the earliest start. */
function reference(stops: string[], chunks: string[]): { out: string; stopped: boolean } {
  let text = '';
  for (const c of chunks) {
    text += c;
    const cuts = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    if (cuts.length > 0) return { out: text.slice(0, Math.min(...cuts)), stopped: true };
  }
  return { out: text, stopped: false };
}

test('property: streamed output equals the reference cut, for any chunking', () => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('a', 'b', 'c', 'ab', 'ba', 'abc', 'é', '\n'), { maxLength: 30 }),
    fc.array(fc.stringMatching(/^[abc\n]{1,4}$/), { minLength: 1, maxLength: 3 }),
    (chunks, stops) => {
      assert.deepEqual(run(stops, chunks), reference(stops, chunks));
    },
  ), { numRuns: 2000 });
});

test('checkStops false (before min_tokens) passes text through with what was held; matching resumes after', () => {
  const m = new StopMatcher(['END']);
  assert.deepEqual(m.push('a E', true), { text: 'a ', stopped: false });
  assert.deepEqual(m.push('ND b END', false), { text: 'END b END', stopped: false }, 'held text and stop strings go out');
  assert.deepEqual(m.push('c EN', true), { text: 'c ', stopped: false });
  assert.deepEqual(m.push('D', true), { text: '', stopped: true });
});
