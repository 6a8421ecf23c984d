// vLLM's `hermes` tool-call parser (Hermes 2 Pro, Qwen2.5 Instruct): each call is
// `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`; text outside the tags is content (kept, before and after).
// Invariants: a block whose JSON is no call stays content, tags included; an unclosed block at the end is a call if its
// JSON is. Streamed, closed blocks settle and tag searches resume where a tag could still start.

import { indexOrNull, objectCall, pushContent, segmentParser, settle, type ObjectCursor, type Segment, type SegmentCursor, type ToolCallParser } from './tool-call-parser.js';

const START = '<tool_call>';
const END = '</tool_call>';

export const hermesToolParser: ToolCallParser = segmentParser('hermes', hermesSegments);

function hermesSegments(text: string, final: boolean, cursor: SegmentCursor): Segment[] {
  const segments: Segment[] = [];
  for (;;) {
    const pos = cursor.pos;
    const start = cursor.open ?? startTag(text, cursor);
    if (start === null) {
      pushContent(segments, final ? text.slice(pos) : withoutTagStart(text.slice(pos)));
      return segments;
    }
    pushContent(segments, text.slice(pos, start));
    const bodyStart = start + START.length;
    const end = endTag(text, bodyStart, cursor);
    const call = blockCall(text.slice(0, end ?? text.length), bodyStart, end !== null || final, cursor);
    if (call !== null) segments.push(call);
    else if (end !== null || final) pushContent(segments, text.slice(start, end === null ? text.length : end + END.length));
    else segments.push({ kind: 'pending' });
    if (end === null) return segments;
    cursor.open = null;
    settle(cursor, segments, end + END.length);
  }
}

/** The next start tag's offset (searched from where one could still start), kept as the open block's. */
function startTag(text: string, cursor: SegmentCursor): number | null {
  const start = indexOrNull(text, START, cursor.searchFrom);
  if (start === null) cursor.searchFrom = Math.max(cursor.pos, text.length - START.length + 1);
  else {
    cursor.open = start;
    cursor.searchFrom = start + START.length;
  }
  return start;
}

/** The open block's end tag offset (searched from where one could still start). */
function endTag(text: string, bodyStart: number, cursor: SegmentCursor): number | null {
  const end = indexOrNull(text, END, cursor.searchFrom);
  if (end === null) cursor.searchFrom = Math.max(bodyStart, text.length - END.length + 1);
  return end;
}

/** The call in a block's body text[from..]: null when it is none (`complete`) or cannot become one. */
function blockCall(text: string, from: number, complete: boolean, cursor: ObjectCursor): Segment | null {
  const open = text.slice(from).search(/\S/);
  if (open < 0 || text[from + open] !== '{') return null;
  const object = objectCall(text, from + open, cursor);
  if (object.kind === 'invalid') return null;
  if (object.kind === 'partial') return complete ? null : object.call;
  return text.slice(object.end).trim() === '' || !complete ? object.call : null;
}

/** Content held back while its end may be the start of a `<tool_call>` tag. */
function withoutTagStart(text: string): string {
  for (let n = Math.min(START.length - 1, text.length); n > 0; n--) {
    if (START.startsWith(text.slice(text.length - n))) return text.slice(0, text.length - n);
  }
  return text;
}
