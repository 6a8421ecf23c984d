// Scans a JSON object's text that may be cut short (a streamed prefix): where each top-level key's value starts
// and ends, and whether the object closed. Invariant: a span found in a prefix is the same span in any longer text
// (so a ScanCache resumes a scan where it stopped). Nested values are only bracket-matched; JSON.parse (parseJson) checks.
// Callers walking the JSON around objects (the 'required' array) skip its whitespace with skipJsonWhitespace.

/** Characters examined by scans and tag searches: a diagnostic count, read by tests that check streaming stays linear. */
export const scanWork = { numExamined: 0 };

export function countExamined(numChars: number): void {
  scanWork.numExamined += numChars;
}

/** A top-level value's text: [start, end); end null while it is not finished in the text scanned. */
export interface ValueSpan {
  start: number;
  end: number | null;
}

export type ObjectScan =
  /** The object closed at `end` (exclusive). */
  | { kind: 'complete'; end: number; keys: Map<string, ValueSpan> }
  /** Valid so far, not closed. */
  | { kind: 'partial'; keys: Map<string, ValueSpan> }
  | { kind: 'invalid' };

type State = 'key-or-close' | 'key' | 'in-key' | 'colon' | 'value-start' | 'value' | 'after-value';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** A scan in progress: the index it goes on from, and its result once it is decided. */
interface ResumableScan {
  scanner: Scanner;
  next: number;
  decided: ObjectScan | null;
}

/** The scans of one text that only grows (prefixes of one text, as streamed), by start offset. */
export type ScanCache = Map<number, ResumableScan>;

/** Scans the object that opens at `text[start]` (which must be '{'); with a cache, goes on from the last scan of it. */
export function scanJsonObject(text: string, start: number, cache?: ScanCache): ObjectScan {
  let scan = cache?.get(start);
  if (scan === undefined || scan.next > text.length) {
    scan = { scanner: new Scanner(), next: start + 1, decided: null };
    cache?.set(start, scan);
  }
  for (; scan.decided === null && scan.next < text.length; scan.next++) {
    scanWork.numExamined++;
    const step = scan.scanner.step(text, scan.next);
    if (step === 'invalid') scan.decided = { kind: 'invalid' };
    if (step === 'closed') scan.decided = { kind: 'complete', end: scan.next + 1, keys: scan.scanner.keys };
  }
  return scan.decided ?? { kind: 'partial', keys: scan.scanner.keys };
}

class Scanner {
  readonly keys = new Map<string, ValueSpan>();
  private state: State = 'key-or-close';
  private keyStart = 0;
  private key = '';
  private span: ValueSpan = { start: 0, end: null };
  /** Inside the current value: bracket depth, whether in a string, whether the last char was a backslash there. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  private primitive = false;

  step(text: string, i: number): 'ok' | 'invalid' | 'closed' {
    const ch = text[i]!;
    switch (this.state) {
      case 'key-or-close':
      case 'key':
        if (WHITESPACE.has(ch)) return 'ok';
        if (ch === '}' && this.state === 'key-or-close') return 'closed';
        if (ch !== '"') return 'invalid';
        this.keyStart = i;
        this.state = 'in-key';
        return 'ok';
      case 'in-key': return this.inKey(text, i, ch);
      case 'colon':
        if (WHITESPACE.has(ch)) return 'ok';
        if (ch !== ':') return 'invalid';
        this.state = 'value-start';
        return 'ok';
      case 'value-start': return WHITESPACE.has(ch) ? 'ok' : this.startValue(i, ch);
      case 'value': return this.inValue(i, ch);
      case 'after-value': return this.afterValue(ch);
    }
  }

  private inKey(text: string, i: number, ch: string): 'ok' | 'invalid' {
    if (this.escaped) this.escaped = false;
    else if (ch === '\\') this.escaped = true;
    else if (ch === '"') {
      const key = parseKey(text.slice(this.keyStart, i + 1));
      if (key === null) return 'invalid';
      this.key = key;
      this.state = 'colon';
    }
    return 'ok';
  }

  private startValue(i: number, ch: string): 'ok' | 'invalid' | 'closed' {
    if (ch === ',' || ch === '}' || ch === ']' || ch === ':') return 'invalid';
    this.span = { start: i, end: null };
    if (!this.keys.has(this.key)) this.keys.set(this.key, this.span);
    this.state = 'value';
    this.primitive = ch !== '{' && ch !== '[' && ch !== '"';
    this.inString = ch === '"';
    this.depth = ch === '{' || ch === '[' ? 1 : 0;
    this.escaped = false;
    return 'ok';
  }

  private inValue(i: number, ch: string): 'ok' | 'invalid' | 'closed' {
    if (this.primitive) {
      if (!WHITESPACE.has(ch) && ch !== ',' && ch !== '}') return 'ok';
      return this.endValue(i) === 'ok' ? this.afterValue(ch) : 'invalid';
    }
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (ch === '\\') this.escaped = true;
      else if (ch === '"') {
        this.inString = false;
        if (this.depth === 0) return this.endValue(i + 1);
      }
      return 'ok';
    }
    if (ch === '"') this.inString = true;
    else if (ch === '{' || ch === '[') this.depth++;
    else if ((ch === '}' || ch === ']') && --this.depth === 0) return this.endValue(i + 1);
    return 'ok';
  }

  private endValue(end: number): 'ok' {
    this.span.end = end;
    this.state = 'after-value';
    return 'ok';
  }

  private afterValue(ch: string): 'ok' | 'invalid' | 'closed' {
    if (WHITESPACE.has(ch)) return 'ok';
    if (ch === '}') return 'closed';
    if (ch !== ',') return 'invalid';
    this.state = 'key';
    return 'ok';
  }
}

/** The index of the first character at or after `from` that is not JSON whitespace (text.length when none is). */
export function skipJsonWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  countExamined(i - from + 1);
  return i;
}

function parseKey(quoted: string): string | null {
  const key = parseJson(quoted);
  return typeof key === 'string' ? key : null;
}

/** The JSON value of text; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
