// The output format of tool_choice 'required' (vLLM's): a JSON array `[{"name": …, "parameters": {…}}, …]` read as
// call segments, so the non-streamed calls and the streamed deltas come from one reading. Invariants: a call's
// arguments are the model's own `parameters` text (whitespace kept); a final text that is no complete array of calls is content.

import { skipJsonWhitespace, type ScanCache } from './json-object-scan.js';
import { objectCall, segmentFormat, type Segment, type ToolCallFormat } from './tool-call-parser.js';

export const requiredToolCallFormat: ToolCallFormat = segmentFormat(arraySegments);

const ARGUMENT_KEYS = ['parameters'] as const;

/** One call segment per element begun (its name null until complete); the whole text as content when it is no array of calls. */
function arraySegments(text: string, final: boolean, cache?: ScanCache): Segment[] {
  return arrayCalls(text, final, cache) ?? [{ kind: 'content', text }];
}

/** The array's call segments; null when the text cannot become (`final`: is not) a complete array of calls. */
function arrayCalls(text: string, final: boolean, cache: ScanCache | undefined): Segment[] | null {
  const segments: Segment[] = [];
  const cut = () => (final ? null : segments);
  let pos = skipJsonWhitespace(text, 0);
  if (pos === text.length) return cut();
  if (text[pos] !== '[') return null;
  for (;;) {
    pos = skipJsonWhitespace(text, pos + 1);
    if (pos === text.length) return cut();
    if (text[pos] !== '{') return null;
    const object = objectCall(text, pos, cache, ARGUMENT_KEYS);
    if (object.kind === 'invalid' || object.call === null) return null;
    segments.push(object.call);
    if (object.kind === 'partial') return cut();
    pos = skipJsonWhitespace(text, object.end);
    if (pos === text.length) return cut();
    if (text[pos] === ']') return skipJsonWhitespace(text, pos + 1) === text.length ? segments : null;
    if (text[pos] !== ',') return null;
  }
}
