// vLLM's `llama3_json` tool-call parser (Llama 3.1 / 3.2 JSON tool calling): each call is a bare JSON object
// `{"name": …, "parameters": {…}}` (or `arguments`), several separated by `;`, optionally after `<|python_tag|>`.
// Invariants: a `{` that opens no call stays content; separators between calls and the leading tag are dropped.
// Streamed, each decided object settles and the search for the next `{` resumes where it stopped.

import { indexOrNull, objectCall, pushContent, segmentParser, settle, type Segment, type SegmentCursor, type ToolCallParser } from './tool-call-parser.js';

const PYTHON_TAG = '<|python_tag|>';
/** What may stand between two calls. */
const SEPARATOR = /^\s*;?\s*$/;

export const llama3JsonToolParser: ToolCallParser = segmentParser('llama3_json', llamaSegments);

function llamaSegments(text: string, final: boolean, cursor: SegmentCursor): Segment[] {
  const segments: Segment[] = [];
  if (cursor.pos === 0) {
    if (!final && PYTHON_TAG.startsWith(text)) return segments;
    if (text.startsWith(PYTHON_TAG)) cursor.pos = cursor.searchFrom = PYTHON_TAG.length;
  }
  for (;;) {
    const pos = cursor.pos;
    const open = nextBrace(text, cursor);
    const gap = text.slice(pos, open ?? text.length);
    /** Between two calls a separator is dropped; after the last one it is content (held while more may come). */
    const separator = cursor.afterCall && SEPARATOR.test(gap);
    if (open === null) {
      if (final || !separator) pushContent(segments, gap);
      return segments;
    }
    const object = objectCall(text, open, cursor);
    if (object.kind === 'partial') {
      if (final) pushContent(segments, text.slice(pos));
      else {
        if (!separator) pushContent(segments, gap);
        segments.push(object.call.name !== null ? object.call : { kind: 'pending' });
      }
      return segments;
    }
    const end = object.kind === 'complete' ? object.end : open + 1;
    const call = object.kind === 'complete' ? object.call : null;
    if (call === null) pushContent(segments, gap + text.slice(open, end)); // no JSON, or an object that is no call
    else {
      if (!separator) pushContent(segments, gap);
      segments.push(call);
    }
    cursor.afterCall = call !== null;
    settle(cursor, segments, end);
  }
}

/** The next `{` after the settled text (searched from where the last search stopped). */
function nextBrace(text: string, cursor: SegmentCursor): number | null {
  const open = indexOrNull(text, '{', cursor.searchFrom);
  cursor.searchFrom = open ?? text.length;
  return open;
}
