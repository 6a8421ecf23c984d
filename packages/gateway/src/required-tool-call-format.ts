// The output format of tool_choice 'required' (vLLM's): a JSON array `[{"name": …, "parameters": {…}}, …]` read as
// call segments, so the non-streamed calls and the streamed deltas come from one reading. Invariants: a call's
// arguments are the model's own `parameters` text (whitespace kept); a final text that is no complete array of calls is
// content. Streamed, each complete element settles; once the text can be no array it stays whole content.

import { skipJsonWhitespace } from './json-object-scan.js';
import { objectCall, segmentFormat, settle, type Segment, type SegmentCursor, type ToolCallFormat } from './tool-call-parser.js';

export const requiredToolCallFormat: ToolCallFormat = segmentFormat(arraySegments);

const ARGUMENT_KEYS = ['parameters'] as const;

/** One call segment per element begun (its name null until complete); the whole text as content when it is no array of calls. */
function arraySegments(text: string, final: boolean, cursor: SegmentCursor): Segment[] {
  if (!cursor.invalid) {
    const calls = arrayCalls(text, final, cursor);
    if (calls !== null) return calls;
    Object.assign(cursor, { invalid: true, first: 0, numSettled: 0, numSettledCalls: 0 });
  }
  return [{ kind: 'content', text }];
}

/** The array's call segments from the cursor on; null when the text cannot become (`final`: is not) a complete array of calls. */
function arrayCalls(text: string, final: boolean, cursor: SegmentCursor): Segment[] | null {
  const segments: Segment[] = [];
  for (;;) {
    const at = nextDelimiter(text, cursor);
    if (at === null || at === 'cut') return at === null || final ? null : segments;
    if (at === 'closed') return segments;
    const pos = skipJsonWhitespace(text, at + 1);
    if (pos === text.length) return final ? null : segments;
    if (text[pos] !== '{') return null;
    const object = objectCall(text, pos, cursor, ARGUMENT_KEYS);
    if (object.kind === 'invalid' || object.call === null) return null;
    segments.push(object.call);
    if (object.kind === 'partial') return final ? null : segments;
    cursor.afterCall = true;
    settle(cursor, segments, object.end);
  }
}

/** The offset of the `[` (or, after a call, the `,`) before the next element; 'closed' at a final `]`; null: no array. */
function nextDelimiter(text: string, cursor: SegmentCursor): number | 'cut' | 'closed' | null {
  const at = skipJsonWhitespace(text, cursor.pos);
  if (at === text.length) return 'cut';
  if (!cursor.afterCall) return text[at] === '[' ? at : null;
  if (text[at] === ']') return skipJsonWhitespace(text, at + 1) === text.length ? 'closed' : null;
  return text[at] === ',' ? at : null;
}
