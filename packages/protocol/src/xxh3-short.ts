// XXH3-64 (xxHash 0.8, default secret, 64-bit seed) for inputs of 9..128 bytes made of u32 words,
// in plain 32-bit JS arithmetic: the block hash's hot path without a native call per block.
// Invariant: bit-identical to @node-rs/xxhash's xxh3.xxh64 (checked by xxh3-short.test.ts);
// callers fall back to the native hash for any other length.

/** First 128 bytes of XXH3's default secret, as little-endian u32 words. */
const SECRET = new Uint32Array(new Uint8Array([
  0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
  0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
  0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
  0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
  0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
  0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
  0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
  0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
]).buffer);

const TWO32 = 4294967296;
// PRIME64_1 = 0x9E3779B185EBCA87, PRIME_MX1 = 0x165667919E3779F9
const P1_HI = 0x9e3779b1, P1_LO = 0x85ebca87;
const MX1_HI = 0x16566791, MX1_LO = 0x9e3779f9;

/** Little-endian platforms only (every Node target); big-endian falls back to the native hash. */
export const XXH3_SHORT_AVAILABLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const big = new BigUint64Array(1);
const words = new Uint32Array(big.buffer);

export function toWords(h: bigint): void {
  big[0] = h;
}
export function wordsLo(): number {
  return words[0]!;
}
export function wordsHi(): number {
  return words[1]!;
}
export function fromWords(hi: number, lo: number): bigint {
  words[0] = lo;
  words[1] = hi;
  return big[0]!;
}

// 64-bit results of the helpers below (no allocation on the hot path).
let rHi = 0, rLo = 0;

/** a·b for u32 a, b as a 64-bit (rHi, rLo). */
function mul32(a: number, b: number): void {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const mid = aL * bH + aH * bL; // < 2^33, exact
  const lo = aL * bL + (mid % 65536) * 65536; // < 2^33
  rLo = lo >>> 0;
  rHi = (aH * bH + Math.floor(mid / 65536) + Math.floor(lo / TWO32)) >>> 0;
}

/** Low ⊕ high half of the 128-bit product of two u64 (XXH3_mul128_fold64). */
function mulFold(aH: number, aL: number, bH: number, bL: number): void {
  mul32(aL, bL); const w0 = rLo, llH = rHi;
  mul32(aL, bH); const lhL = rLo, lhH = rHi;
  mul32(aH, bL); const hlL = rLo, hlH = rHi;
  mul32(aH, bH); const hhL = rLo, hhH = rHi;
  const t1 = llH + lhL + hlL;
  const t2 = hhL + lhH + hlH + Math.floor(t1 / TWO32);
  const w3 = (hhH + Math.floor(t2 / TWO32)) >>> 0;
  rHi = ((t1 >>> 0) ^ w3) >>> 0;
  rLo = (w0 ^ (t2 >>> 0)) >>> 0;
}

/** Low 64 bits of a·b. */
function mulLow(aH: number, aL: number, bH: number, bL: number): void {
  mul32(aL, bL);
  rHi = (rHi + Math.imul(aL, bH) + Math.imul(aH, bL)) >>> 0;
}

function avalanche(hi: number, lo: number): void {
  lo = (lo ^ (hi >>> 5)) >>> 0; // h ^= h >> 37
  mulLow(hi, lo, MX1_HI, MX1_LO);
  rLo = (rLo ^ rHi) >>> 0; // h ^= h >> 32
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Per-seed secret words: for each 8-byte secret word k, (k + seed) and (k - seed). */
interface SeedKeys {
  hi: number;
  lo: number;
  plus: Uint32Array;
  minus: Uint32Array;
}
const seedKeys = new Map<bigint, SeedKeys>();

function keysFor(seed: bigint): SeedKeys {
  let k = seedKeys.get(seed);
  if (k) return k;
  toWords(seed);
  const sHi = wordsHi(), sLo = wordsLo();
  const plus = new Uint32Array(32), minus = new Uint32Array(32);
  for (let i = 0; i < 32; i += 2) {
    const lo = SECRET[i]!, hi = SECRET[i + 1]!;
    const a = lo + sLo;
    plus[i] = a >>> 0;
    plus[i + 1] = (hi + sHi + (a >= TWO32 ? 1 : 0)) >>> 0;
    const d = lo - sLo;
    minus[i] = d >>> 0;
    minus[i + 1] = (hi - sHi - (d < 0 ? 1 : 0)) >>> 0;
  }
  k = { hi: sHi, lo: sLo, plus, minus };
  if (seedKeys.size > 1024) seedKeys.clear();
  seedKeys.set(seed, k);
  return k;
}

let accHi = 0, accLo = 0;
function accAdd(hi: number, lo: number): void {
  const l = accLo + lo;
  accLo = l >>> 0;
  accHi = (accHi + hi + (l >= TWO32 ? 1 : 0)) >>> 0;
}

/** mix16B over input words w[o..o+3] and secret byte offset s (multiple of 16). */
function mix16(w: ArrayLike<number>, o: number, k: SeedKeys, s: number): void {
  const i = s >>> 2;
  mulFold(
    ((w[o + 1]! >>> 0) ^ k.plus[i + 1]!) >>> 0, ((w[o]! >>> 0) ^ k.plus[i]!) >>> 0,
    ((w[o + 3]! >>> 0) ^ k.minus[i + 3]!) >>> 0, ((w[o + 2]! >>> 0) ^ k.minus[i + 2]!) >>> 0,
  );
  accAdd(rHi, rLo);
}

/**
 * XXH3-64 of `numWords` u32 words starting at w[offset] (as little-endian bytes), 3 ≤ numWords ≤ 32.
 * Leaves the hash in (rHi, rLo); read it with hashHi() / hashLo().
 */
export function xxh3Words(w: ArrayLike<number>, offset: number, numWords: number, seed: bigint): void {
  const k = keysFor(seed);
  const len = numWords * 4;
  if (len <= 16) return len9to16(w, offset, numWords, k);
  mulLow(0, len, P1_HI, P1_LO);
  accHi = rHi; accLo = rLo;
  const last = offset + numWords;
  if (len > 32) {
    if (len > 64) {
      if (len > 96) {
        mix16(w, offset + 12, k, 96);
        mix16(w, last - 16, k, 112);
      }
      mix16(w, offset + 8, k, 64);
      mix16(w, last - 12, k, 80);
    }
    mix16(w, offset + 4, k, 32);
    mix16(w, last - 8, k, 48);
  }
  mix16(w, offset, k, 0);
  mix16(w, last - 4, k, 16);
  avalanche(accHi, accLo);
}

function len9to16(w: ArrayLike<number>, offset: number, numWords: number, k: SeedKeys): void {
  // bitflip1 = (s[24..32] ^ s[32..40]) + seed; bitflip2 = (s[40..48] ^ s[48..56]) - seed
  const b1l = (SECRET[6]! ^ SECRET[8]!) >>> 0, b1h = (SECRET[7]! ^ SECRET[9]!) >>> 0;
  const b2l = (SECRET[10]! ^ SECRET[12]!) >>> 0, b2h = (SECRET[11]! ^ SECRET[13]!) >>> 0;
  const f1 = b1l + k.lo;
  const flip1Lo = f1 >>> 0, flip1Hi = (b1h + k.hi + (f1 >= TWO32 ? 1 : 0)) >>> 0;
  const f2 = b2l - k.lo;
  const flip2Lo = f2 >>> 0, flip2Hi = (b2h - k.hi - (f2 < 0 ? 1 : 0)) >>> 0;
  const inLo = ((w[offset]! >>> 0) ^ flip1Lo) >>> 0, inHi = ((w[offset + 1]! >>> 0) ^ flip1Hi) >>> 0;
  const e = offset + numWords - 2;
  const hiLo = ((w[e]! >>> 0) ^ flip2Lo) >>> 0, hiHi = ((w[e + 1]! >>> 0) ^ flip2Hi) >>> 0;
  // acc = len + swap64(input_lo) + input_hi + mul128_fold64(input_lo, input_hi)
  mulFold(inHi, inLo, hiHi, hiLo);
  accHi = rHi; accLo = rLo;
  accAdd(0, numWords * 4);
  accAdd(bswap32(inLo), bswap32(inHi));
  accAdd(hiHi, hiLo);
  avalanche(accHi, accLo);
}

export function hashHi(): number {
  return rHi;
}
export function hashLo(): number {
  return rLo;
}
