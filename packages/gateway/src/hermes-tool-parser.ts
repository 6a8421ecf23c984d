// vLLM's `hermes` tool-call parser (Hermes 2 Pro, Qwen2.5 Instruct): each call is
// `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`; text outside the tags is content (kept, before and after).
// Invariant: a block whose JSON is no call stays content, tags included; an unclosed block at the end is a call if its JSON is.

import type { ScanCache } from './json-object-scan.js';
import { indexOrNull, objectCall, pushContent, segmentParser, type Segment, type ToolCallParser } from './tool-call-parser.js';

const START = '<tool_call>';
const END = '</tool_call>';

export const hermesToolParser: ToolCallParser = segmentParser('hermes', hermesSegments);

function hermesSegments(text: string, final: boolean, cache?: ScanCache): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  for (;;) {
    const start = indexOrNull(text, START, pos);
    if (start === null) {
      pushContent(segments, final ? text.slice(pos) : withoutTagStart(text.slice(pos)));
      return segments;
    }
    pushContent(segments, text.slice(pos, start));
    const bodyStart = start + START.length;
    const end = indexOrNull(text, END, bodyStart);
    const call = blockCall(text.slice(0, end ?? text.length), bodyStart, end !== null || final, cache);
    if (call !== null) segments.push(call);
    else if (end !== null || final) pushContent(segments, text.slice(start, end === null ? text.length : end + END.length));
    else segments.push({ kind: 'pending' });
    if (end === null) return segments;
    pos = end + END.length;
  }
}

/** The call in a block's body text[from..]: null when it is none (`complete`) or cannot become one. */
function blockCall(text: string, from: number, complete: boolean, cache: ScanCache | undefined): Segment | null {
  const open = text.slice(from).search(/\S/);
  if (open < 0 || text[from + open] !== '{') return null;
  const object = objectCall(text, from + open, cache);
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
