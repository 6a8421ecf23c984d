// UTF-8 sequence facts for byte-level matching: which code points a well-formed prefix of a sequence can still
// become. Invariant: overlong forms, surrogates (U+D800..U+DFFF) and code points above U+10FFFF are never well-formed.

export interface CodePointRange {
  readonly lo: number;
  readonly hi: number;
}

/** Indexed by sequence length: the smallest / largest code point that length encodes, and the lead byte's payload bits. */
const MIN_CODE_POINT = [0, 0, 0x80, 0x800, 0x10000];
const MAX_CODE_POINT = [0, 0x7f, 0x7ff, 0xffff, 0x10ffff];
const LEAD_PAYLOAD = [0, 0x7f, 0x1f, 0x0f, 0x07];
const SURROGATE_LO = 0xd800;
const SURROGATE_HI = 0xdfff;

/** The length of the sequence a lead byte starts, or null for a byte that starts none (continuation, C0, C1, F5..FF). */
export function sequenceLength(lead: number): number | null {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return null;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return lead < 0xf5 ? 4 : null;
}

/** The code points whose UTF-8 encoding starts with `bytes` (lead byte first), or null when none does. */
export function prefixRange(bytes: readonly number[]): CodePointRange | null {
  const length = sequenceLength(bytes[0]!);
  if (length === null || bytes.length > length) return null;
  let value = bytes[0]! & LEAD_PAYLOAD[length]!;
  for (let i = 1; i < bytes.length; i++) {
    if ((bytes[i]! & 0xc0) !== 0x80) return null;
    value = (value << 6) | (bytes[i]! & 0x3f);
  }
  const numFreeBits = 6 * (length - bytes.length);
  const lo = Math.max(value << numFreeBits, MIN_CODE_POINT[length]!);
  const hi = Math.min(((value + 1) << numFreeBits) - 1, MAX_CODE_POINT[length]!);
  return lo > hi ? null : withoutSurrogates(lo, hi);
}

/** A prefix's range never straddles the surrogate block (ED's block is D000..DFFF), so one range stays. */
function withoutSurrogates(lo: number, hi: number): CodePointRange | null {
  if (hi < SURROGATE_LO || lo > SURROGATE_HI) return { lo, hi };
  if (lo >= SURROGATE_LO && hi <= SURROGATE_HI) return null;
  return lo < SURROGATE_LO ? { lo, hi: SURROGATE_LO - 1 } : { lo: SURROGATE_HI + 1, hi };
}

export const highSurrogate = (codePoint: number): number => 0xd800 + ((codePoint - 0x10000) >> 10);
export const lowSurrogate = (codePoint: number): number => 0xdc00 + ((codePoint - 0x10000) & 0x3ff);
