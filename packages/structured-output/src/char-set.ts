// A set of UTF-16 code units as sorted, disjoint, non-adjacent inclusive ranges [lo0, hi0, lo1, hi1, ...].
// Invariant: a CharSet is immutable once built; every constraint matches text one code unit at a time.

const MAX_CODE_UNIT = 0xffff;

export class CharSet {
  private constructor(readonly ranges: readonly number[]) {}

  static of(ranges: readonly (readonly [number, number])[]): CharSet {
    const sorted = ranges.filter(([lo, hi]) => lo <= hi).map(([lo, hi]) => [lo, hi] as [number, number]);
    sorted.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [lo, hi] of sorted) {
      const last = merged.length - 1;
      if (merged.length > 0 && lo <= merged[last]! + 1) merged[last] = Math.max(merged[last]!, hi);
      else merged.push(lo, hi);
    }
    return new CharSet(merged);
  }

  static chars(text: string): CharSet {
    return CharSet.of([...text].flatMap((ch) => units(ch)).map((u) => [u, u] as const));
  }

  static range(lo: number, hi: number): CharSet {
    return CharSet.of([[lo, hi]]);
  }

  static readonly all = CharSet.range(0, MAX_CODE_UNIT);
  static readonly none = CharSet.of([]);

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  has(unit: number): boolean {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (unit < r[i]!) return false;
      if (unit <= r[i + 1]!) return true;
    }
    return false;
  }

  /** Whether some unit in [lo, hi] is in the set. */
  intersectsRange(lo: number, hi: number): boolean {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i]! > hi) return false;
      if (r[i + 1]! >= lo) return true;
    }
    return false;
  }

  union(other: CharSet): CharSet {
    return CharSet.of([...pairs(this.ranges), ...pairs(other.ranges)]);
  }

  complement(): CharSet {
    const out: [number, number][] = [];
    let next = 0;
    for (const [lo, hi] of pairs(this.ranges)) {
      if (lo > next) out.push([next, lo - 1]);
      next = hi + 1;
    }
    if (next <= MAX_CODE_UNIT) out.push([next, MAX_CODE_UNIT]);
    return CharSet.of(out);
  }

  minus(other: CharSet): CharSet {
    return this.intersect(other.complement());
  }

  intersect(other: CharSet): CharSet {
    return this.complement().union(other.complement()).complement();
  }

  /** A stable text form (used in grammar keys and debugging). */
  toString(): string {
    return this.ranges.join(',');
  }
}

function units(ch: string): number[] {
  return Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i));
}

function* pairs(ranges: readonly number[]): Generator<[number, number]> {
  for (let i = 0; i < ranges.length; i += 2) yield [ranges[i]!, ranges[i + 1]!];
}

/** ECMAScript's \s: WhiteSpace and LineTerminator code units. */
export const JS_SPACE = CharSet.of([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
export const DIGIT = CharSet.range(0x30, 0x39);
export const WORD = CharSet.of([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
/** What `.` matches without the s flag: anything but a line terminator. */
export const NOT_LINE_TERMINATOR = CharSet.chars('\n\r\u2028\u2029').complement();
