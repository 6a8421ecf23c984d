// vLLM's `llama3_json` tool-call parser (Llama 3.1 / 3.2 JSON tool calling): each call is a bare JSON object
// `{"name": …, "parameters": {…}}` (or `arguments`), several separated by `;`, optionally after `<|python_tag|>`.
// Invariants: a `{` that opens no call stays content; separators between calls and the leading tag are dropped.

import type { ScanCache } from './json-object-scan.js';
import { indexOrNull, objectCall, pushContent, segmentParser, type Segment, type ToolCallParser } from './tool-call-parser.js';

const PYTHON_TAG = '<|python_tag|>';
/** What may stand between two calls. */
const SEPARATOR = /^\s*;?\s*$/;

export const llama3JsonToolParser: ToolCallParser = segmentParser('llama3_json', llamaSegments);

function llamaSegments(text: string, final: boolean, cache?: ScanCache): Segment[] {
  const segments: Segment[] = [];
  if (!final && PYTHON_TAG.startsWith(text)) return segments;
  let pos = text.startsWith(PYTHON_TAG) ? PYTHON_TAG.length : 0;
  let afterCall = false;
  for (;;) {
    const open = indexOrNull(text, '{', pos);
    const gap = text.slice(pos, open ?? text.length);
    /** Between two calls a separator is dropped; after the last one it is content (held while more may come). */
    const separator = afterCall && SEPARATOR.test(gap);
    if (open === null) {
      if (final || !separator) pushContent(segments, gap);
      return segments;
    }
    const object = objectCall(text, open, cache);
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
    afterCall = call !== null;
    pos = end;
  }
}
