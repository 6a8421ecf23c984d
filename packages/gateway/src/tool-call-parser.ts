// The ToolCallParser interface (vLLM's --tool-call-parser) and the machinery its formats share: a format
// only cuts a text (whole or a streamed prefix) into segments; extract() and the streaming parser both read those,
// so streamed deltas concatenate to what extract() returns. Invariant: deltas already sent are never taken back.

import { parseJson, scanJsonObject, type ObjectScan, type ScanCache, type ValueSpan } from './json-object-scan.js';

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
 * Cuts a text into segments; `final`: the text is complete (nothing is held back, unfinished calls are content);
 * `cache`: a stream's object scans, for objectCall to resume.
 */
export type Segmenter = (text: string, final: boolean, cache?: ScanCache) => Segment[];

/** A format from its segmenter. */
export function segmentFormat(segments: Segmenter): ToolCallFormat {
  return {
    extract: (text) => extractFrom(segments(text, true)),
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

/** Re-segments the text so far on each push (its object scans resume, cached) and sends what grew since. */
class SegmentStream implements StreamingToolCallParser {
  private text = '';
  private readonly cache: ScanCache = new Map();
  private readonly emitted: Emitted[] = [];
  private numCalls = 0;

  constructor(private readonly segments: Segmenter) {}

  push(text: string): ToolCallDelta[] {
    this.text += text;
    return this.diff(this.segments(this.text, false, this.cache));
  }

  finish(): { deltas: ToolCallDelta[]; numCalls: number } {
    const segments = this.segments(this.text, true, this.cache);
    return { deltas: this.diff(segments), numCalls: segments.filter(isCall).length };
  }

  private diff(segments: Segment[]): ToolCallDelta[] {
    const deltas: ToolCallDelta[] = [];
    segments.forEach((segment, i) => {
      const emitted = this.emitted[i] ?? { kind: 'none' };
      this.emitted[i] = this.grow(segment, emitted, deltas);
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

/** The JSON object at text[start] read as a call: cut short (`partial`), closed at `end` (`call` null: no call), or no JSON. */
export type ObjectCall =
  | { kind: 'partial'; call: CallSegment }
  | { kind: 'complete'; end: number; call: CallSegment | null }
  | { kind: 'invalid' };

/**
 * A complete call needs a string `name` and an object (or no) value under one of `argumentKeys`; a partial one has its
 * name once that string is complete, and streams its arguments' text once they are an object.
 */
export function objectCall(text: string, start: number, cache?: ScanCache, argumentKeys: readonly string[] = ARGUMENT_KEYS): ObjectCall {
  const scan = scanJsonObject(text, start, cache);
  if (scan.kind === 'invalid') return scan;
  const args = argumentSpan(scan.keys, argumentKeys);
  if (scan.kind === 'complete') return { kind: 'complete', end: scan.end, call: completeCall(text, start, scan, args) };
  const name = scan.keys.get('name');
  const value = name?.end === undefined || name.end === null ? undefined : parseJson(text.slice(name.start, name.end));
  const argsText = args !== null && text[args.start] === '{' ? text.slice(args.start, args.end ?? text.length) : '';
  return { kind: 'partial', call: { kind: 'call', name: typeof value === 'string' ? value : null, arguments: argsText } };
}

function completeCall(text: string, start: number, scan: Extract<ObjectScan, { kind: 'complete' }>, args: ValueSpan | null): CallSegment | null {
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
  return i < 0 ? null : i;
}

/** Appends a non-empty content segment. */
export function pushContent(segments: Segment[], text: string): void {
  if (text.length > 0) segments.push({ kind: 'content', text });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
