// The ToolCallParser interface (vLLM's --tool-call-parser) and the machinery its formats share: a format
// only cuts a text (whole or a streamed prefix) into segments; extract() and the streaming parser both read those,
// so streamed deltas concatenate to what extract() returns. Invariants: deltas already sent are never taken back; a
// stream's SegmentCursor resumes segmenting after its settled segments, so each push costs O(new text) amortised.

import { countExamined, parseJson, scanJsonObject, type ObjectScan, type ScanCache, type ValueSpan } from './json-object-scan.js';

export const TOOL_CALL_PARSER_NAMES = ['hermes', 'llama3_json'] as const;
export type ToolCallParserName = (typeof TOOL_CALL_PARSER_NAMES)[number];

/** One call a reply makes: `arguments` is the JSON text of the arguments object, as the model wrote it. */
export interface ParsedToolCall {
  name: string;
  arguments: string;
}

export interface ExtractedToolCalls {
  /** The text outside the calls; null when that is only whitespace. */
  content: string | null;
  calls: ParsedToolCall[];
}

/** What a streaming parser emits: content, a call's start (once its name is known), a piece of its arguments. */
export type ToolCallDelta =
  | { kind: 'content'; text: string }
  | { kind: 'call'; index: number; name: string }
  | { kind: 'arguments'; index: number; text: string };

export interface StreamingToolCallParser {
  /** The deltas a new piece of text settles (text that may still be a call's start is held back). */
  push(text: string): ToolCallDelta[];
  /** The held-back rest once the text is complete, and how many calls extract() finds in the whole text. */
  finish(): { deltas: ToolCallDelta[]; numCalls: number };
}

/** A call format read whole or streamed (the auto parsers' formats, and the 'required' array). */
export interface ToolCallFormat {
  /** A whole reply's calls and content; malformed calls stay content. */
  extract(text: string): ExtractedToolCalls;
  stream(): StreamingToolCallParser;
}

export interface ToolCallParser extends ToolCallFormat {
  readonly name: ToolCallParserName;
}

/** A piece of a (possibly partial) text: a call's name is null until it is complete in the text. */
export type Segment = { kind: 'content'; text: string } | CallSegment | { kind: 'pending' };
export type CallSegment = { kind: 'call'; name: string | null; arguments: string };

/**
 * Where a stream's segmenting goes on: segments before `pos` are settled (the same in any longer text, final or not)
 * and are not returned again. A fresh cursor segments a text from its start.
 */
export interface SegmentCursor {
  readonly cache: ScanCache;
  /** The complete objects read as calls, by start offset (so one is parsed once). */
  readonly complete: Map<number, Extract<ObjectCall, { kind: 'complete' }>>;
  /** The index (among all the text's segments) of the first segment the last segmenting returned. */
  first: number;
  numSettled: number;
  numSettledCalls: number;
  /** Where the text after the settled segments starts. */
  pos: number;
  /** Where the search for the next tag or brace goes on (no match starts before it). */
  searchFrom: number;
  /** hermes: the offset of the open block's start tag, once found. */
  open: number | null;
  /** llama3_json, required: the last settled segment is a call. */
  afterCall: boolean;
  /** required: the text can no longer be an array of calls. */
  invalid: boolean;
}

function newCursor(): SegmentCursor {
  return { cache: new Map(), complete: new Map(), first: 0, numSettled: 0, numSettledCalls: 0, pos: 0, searchFrom: 0, open: null, afterCall: false, invalid: false };
}

/** Marks the segments returned so far as settled, the text before `pos` with them. */
export function settle(cursor: SegmentCursor, segments: Segment[], pos: number): void {
  for (const s of segments.slice(cursor.numSettled - cursor.first)) if (isCall(s)) cursor.numSettledCalls++;
  cursor.numSettled = cursor.first + segments.length;
  cursor.pos = pos;
  cursor.searchFrom = pos;
}

/**
 * Cuts a text into segments from `cursor` on (its settled segments are not returned); `final`: the text is complete
 * (nothing is held back, unfinished calls are content).
 */
export type Segmenter = (text: string, final: boolean, cursor: SegmentCursor) => Segment[];

/** A format from its segmenter. */
export function segmentFormat(segments: Segmenter): ToolCallFormat {
  return {
    extract: (text) => extractFrom(segments(text, true, newCursor())),
    stream: () => new SegmentStream(segments),
  };
}

/** A parser from its format's segmenter. */
export function segmentParser(name: ToolCallParserName, segments: Segmenter): ToolCallParser {
  return { name, ...segmentFormat(segments) };
}

function extractFrom(segments: Segment[]): ExtractedToolCalls {
  let content = '';
  for (const s of segments) if (s.kind === 'content') content += s.text;
  const calls = segments.filter(isCall).map((s) => ({ name: s.name, arguments: s.arguments }));
  return { content: content.trim() === '' ? null : content, calls };
}

/** A call segment whose name is known (in a final segmentation every call segment's is). */
function isCall(segment: Segment): segment is CallSegment & { name: string } {
  return segment.kind === 'call' && segment.name !== null;
}

type Emitted = { kind: 'none' } | { kind: 'content'; length: number } | { kind: 'call'; index: number; length: number };

/** Segments the text after its settled segments on each push (object scans resume, cached) and sends what grew since. */
class SegmentStream implements StreamingToolCallParser {
  private text = '';
  private readonly cursor = newCursor();
  private readonly emitted: Emitted[] = [];
  private numCalls = 0;

  constructor(private readonly segments: Segmenter) {}

  push(text: string): ToolCallDelta[] {
    this.text += text;
    return this.diff(this.next(false));
  }

  finish(): { deltas: ToolCallDelta[]; numCalls: number } {
    const segments = this.next(true);
    const open = segments.slice(this.cursor.numSettled - this.cursor.first).filter(isCall).length;
    return { deltas: this.diff(segments), numCalls: this.cursor.numSettledCalls + open };
  }

  private next(final: boolean): Segment[] {
    this.cursor.first = this.cursor.numSettled;
    return this.segments(this.text, final, this.cursor);
  }

  private diff(segments: Segment[]): ToolCallDelta[] {
    const deltas: ToolCallDelta[] = [];
    segments.forEach((segment, i) => {
      const index = this.cursor.first + i;
      this.emitted[index] = this.grow(segment, this.emitted[index] ?? { kind: 'none' }, deltas);
    });
    return deltas;
  }

  /** Sends what `segment` adds to what went out for it; a segment that changed kind after sending is left as sent. */
  private grow(segment: Segment, emitted: Emitted, deltas: ToolCallDelta[]): Emitted {
    if (segment.kind === 'content' && emitted.kind !== 'call') {
      const sent = emitted.kind === 'content' ? emitted.length : 0;
      if (segment.text.length > sent) deltas.push({ kind: 'content', text: segment.text.slice(sent) });
      return segment.text.length > 0 ? { kind: 'content', length: segment.text.length } : emitted;
    }
    if (segment.kind !== 'call' || segment.name === null || emitted.kind === 'content') return emitted;
    const call = emitted.kind === 'call' ? emitted : { kind: 'call' as const, index: this.numCalls++, length: 0 };
    if (emitted.kind === 'none') deltas.push({ kind: 'call', index: call.index, name: segment.name });
    if (segment.arguments.length > call.length) deltas.push({ kind: 'arguments', index: call.index, text: segment.arguments.slice(call.length) });
    return { ...call, length: Math.max(call.length, segment.arguments.length) };
  }
}

/** Keys a call object may carry its arguments under (Hermes writes `arguments`, Llama 3 `parameters`). */
const ARGUMENT_KEYS = ['arguments', 'parameters'] as const;

/** What objectCall resumes and remembers from earlier (shorter) texts of a stream. */
export type ObjectCursor = Pick<SegmentCursor, 'cache' | 'complete'>;

/** The JSON object at text[start] read as a call: cut short (`partial`), closed at `end` (`call` null: no call), or no JSON. */
export type ObjectCall =
  | { kind: 'partial'; call: CallSegment }
  | { kind: 'complete'; end: number; call: CallSegment | null }
  | { kind: 'invalid' };

/**
 * A complete call needs a string `name` and an object (or no) value under one of `argumentKeys`; a partial one has its
 * name once that string is complete, and streams its arguments' text once they are an object. `cursor`: the stream's.
 */
export function objectCall(text: string, start: number, cursor?: ObjectCursor, argumentKeys: readonly string[] = ARGUMENT_KEYS): ObjectCall {
  const known = cursor?.complete.get(start);
  if (known !== undefined) return known;
  const scan = scanJsonObject(text, start, cursor?.cache);
  if (scan.kind === 'invalid') return scan;
  const args = argumentSpan(scan.keys, argumentKeys);
  if (scan.kind === 'complete') {
    const complete = { kind: 'complete' as const, end: scan.end, call: completeCall(text, start, scan, args) };
    cursor?.complete.set(start, complete);
    return complete;
  }
  const name = scan.keys.get('name');
  const value = name?.end === undefined || name.end === null ? undefined : parseJson(text.slice(name.start, name.end));
  const argsText = args !== null && text[args.start] === '{' ? text.slice(args.start, args.end ?? text.length) : '';
  return { kind: 'partial', call: { kind: 'call', name: typeof value === 'string' ? value : null, arguments: argsText } };
}

function completeCall(text: string, start: number, scan: Extract<ObjectScan, { kind: 'complete' }>, args: ValueSpan | null): CallSegment | null {
  countExamined(scan.end - start);
  const value = parseJson(text.slice(start, scan.end));
  if (!isRecord(value) || typeof value['name'] !== 'string') return null;
  if (args === null) return { kind: 'call', name: value['name'], arguments: '{}' };
  if (text[args.start] !== '{' || !isRecord(parseJson(text.slice(args.start, args.end!)))) return null;
  return { kind: 'call', name: value['name'], arguments: text.slice(args.start, args.end!) };
}

/** The span of the first of the argument keys present (the first written, so a prefix decides as the whole text). */
function argumentSpan(keys: Map<string, ValueSpan>, argumentKeys: readonly string[]): ValueSpan | null {
  const spans = argumentKeys.flatMap((k) => keys.get(k) ?? []);
  return spans.reduce<ValueSpan | null>((first, s) => (first === null || s.start < first.start ? s : first), null);
}

/** Where `needle` next occurs in text from `from`; null when it does not. */
export function indexOrNull(text: string, needle: string, from: number): number | null {
  const i = text.indexOf(needle, from);
  countExamined((i < 0 ? text.length : i + needle.length) - from);
  return i < 0 ? null : i;
}

/** Appends a non-empty content segment. */
export function pushContent(segments: Segment[], text: string): void {
  if (text.length > 0) segments.push({ kind: 'content', text });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
