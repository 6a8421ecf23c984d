// XXH3-64 with a 64-bit seed (xxHash 0.8, default secret) over inputs of 3..60 u32 words (12..240
// bytes, little-endian), in 32-bit JS arithmetic: no BigInt and no Buffer on the hot path.
// Invariant: bit-identical to @node-rs/xxhash's xxh3.xxh64 (xxh3.test.ts); other lengths are the
// caller's to hash natively (see xxh3WordsSupported). Results land in hashHi() / hashLo().

/** XXH3_kSecret (192 bytes); inputs ≤ 240 bytes read its first 136. */
const SECRET = new Uint8Array([
  0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
  0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
  0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
  0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
  0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
  0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
  0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
  0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
  0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
  0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
  0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
  0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
]);

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;
const P1_HI = 0x9e3779b1, P1_LO = 0x85ebca87; // XXH_PRIME64_1
const MX1_HI = 0x16566791, MX1_LO = 0x9e3779f9; // XXH_PRIME_MX1

export const XXH3_MIN_WORDS = 3;
export const XXH3_MAX_WORDS = 60;

/** Whether xxh3Words handles an input of numWords u32 words (else hash it natively). */
export function xxh3WordsSupported(numWords: number): boolean {
  return numWords >= XXH3_MIN_WORDS && numWords <= XXH3_MAX_WORDS;
}

// ---- bigint ⇄ (hi, lo) u32 words, through one 8-byte buffer (endianness-independent) ----
const big = new BigUint64Array(1);
const bigWords = new Uint32Array(big.buffer);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

export function toBigInt(hi: number, lo: number): bigint {
  bigWords[LO] = lo;
  bigWords[HI] = hi;
  return big[0]!;
}
/** Splits a u64 for wordsHi() / wordsLo(). */
export function splitBigInt(h: bigint): void {
  big[0] = h;
}
export function wordsHi(): number {
  return bigWords[HI]!;
}
export function wordsLo(): number {
  return bigWords[LO]!;
}

// ---- per-seed keys: secret words with the seed folded in ----
/**
 * 68 u32 per seed. Chunk c (0..15) at 4c: (secret64(off) + seed, secret64(off + 8) − seed) as
 * lo, hi, lo, hi, with off = 16c for c < 8 (mix16B rounds), 3 + 16(c − 8) for 8 ≤ c < 15
 * (129..240 tail rounds), 119 for c = 15 (136 − 17, the last 16 bytes). Words 64..67: the 9..16-byte
 * bitflips (s[24] ^ s[32]) + seed and (s[40] ^ s[48]) − seed.
 */
export type Xxh3Keys = Uint32Array;

const secret32 = (off: number): number =>
  (SECRET[off]! | (SECRET[off + 1]! << 8) | (SECRET[off + 2]! << 16) | (SECRET[off + 3]! << 24)) >>> 0;

function addSeed(out: Uint32Array, at: number, lo: number, hi: number, sLo: number, sHi: number, sign: 1 | -1): void {
  const l = lo + sign * sLo;
  const carry = l >= TWO32 ? 1 : l < 0 ? -1 : 0;
  out[at] = l >>> 0;
  out[at + 1] = (hi + sign * sHi + carry) >>> 0;
}

let lastSeed: bigint | null = null;
let lastKeys: Xxh3Keys = new Uint32Array(68);
const keyCache = new Map<bigint, Xxh3Keys>();

/** The keys for a u64 seed, cached (the last one without a map look-up). */
export function xxh3Keys(seed: bigint): Xxh3Keys {
  if (seed === lastSeed) return lastKeys;
  let keys = keyCache.get(seed);
  if (keys === undefined) {
    splitBigInt(BigInt.asUintN(64, seed));
    const sLo = wordsLo(), sHi = wordsHi();
    keys = new Uint32Array(68);
    for (let c = 0; c < 16; c++) {
      const off = c < 8 ? 16 * c : c < 15 ? 3 + 16 * (c - 8) : 119;
      addSeed(keys, 4 * c, secret32(off), secret32(off + 4), sLo, sHi, 1);
      addSeed(keys, 4 * c + 2, secret32(off + 8), secret32(off + 12), sLo, sHi, -1);
    }
    addSeed(keys, 64, (secret32(24) ^ secret32(32)) >>> 0, (secret32(28) ^ secret32(36)) >>> 0, sLo, sHi, 1);
    addSeed(keys, 66, (secret32(40) ^ secret32(48)) >>> 0, (secret32(44) ^ secret32(52)) >>> 0, sLo, sHi, -1);
    if (keyCache.size >= 1024) keyCache.clear();
    keyCache.set(seed, keys);
  }
  lastSeed = seed;
  lastKeys = keys;
  return keys;
}

// ---- 64-bit arithmetic on (hi, lo) u32 pairs ----
// Module state lives in typed arrays: a `let` holding a u32 ≥ 2^31 would box a HeapNumber per store.
const R = new Uint32Array(2); // the last result: [hi, lo]
const ACC = new Float64Array(2); // accumulator [hi, lo], carries deferred (each half < 2^40)

export function hashHi(): number {
  return R[0]!;
}
export function hashLo(): number {
  return R[1]!;
}

/**
 * XXH3_mul128_fold64: (hi, lo) of the 128-bit product x·y, xored. Each 32×32 partial product's
 * low word is Math.imul; its high word is round((x·y − low) / 2^32): the double x·y is within
 * 2^11 of the true product, far from the ±2^31 that would round to the wrong word.
 */
function mulFold(xHi32: number, xLi32: number, yHi32: number, yLi32: number): void {
  // Callers pass int32 (Smi) words so a call that is not inlined boxes no HeapNumber; unsigned here.
  const xH = xHi32 >>> 0, xL = xLi32 >>> 0, yH = yHi32 >>> 0, yL = yLi32 >>> 0;
  const w0 = Math.imul(xL, yL) >>> 0;
  const llH = ((xL * yL - w0) * INV32 + 0.5) >>> 0;
  const lhL = Math.imul(xL, yH) >>> 0;
  const lhH = ((xL * yH - lhL) * INV32 + 0.5) >>> 0;
  const hlL = Math.imul(xH, yL) >>> 0;
  const hlH = ((xH * yL - hlL) * INV32 + 0.5) >>> 0;
  const hhL = Math.imul(xH, yH) >>> 0;
  const hhH = ((xH * yH - hhL) * INV32 + 0.5) >>> 0;
  const t1 = llH + lhL + hlL;
  const w1 = t1 >>> 0;
  const t2 = hhL + lhH + hlH + (t1 - w1) * INV32;
  const w2 = t2 >>> 0;
  const w3 = hhH + (t2 - w2) * INV32;
  R[0] = w1 ^ w3;
  R[1] = w0 ^ w2;
}

/** XXH3_avalanche of the accumulator: h ^= h >> 37; h *= PRIME_MX1; h ^= h >> 32. */
function avalancheAcc(): void {
  const aLo = ACC[1]!;
  const l = aLo >>> 0;
  const hi = (ACC[0]! + (aLo - l) * INV32) >>> 0;
  const lo = (l ^ (hi >>> 5)) >>> 0;
  const pL = Math.imul(lo, MX1_LO) >>> 0;
  const pH = ((lo * MX1_LO - pL) * INV32 + 0.5) >>> 0;
  const rHi = (pH + Math.imul(lo, MX1_HI) + Math.imul(hi, MX1_LO)) >>> 0;
  R[0] = rHi;
  R[1] = pL ^ rHi;
}

/** acc = len · PRIME64_1 (mod 2^64); len < 2^8, so len · P1_LO is exact. */
function initAcc(len: number): void {
  const p = len * P1_LO;
  ACC[1] = p >>> 0;
  ACC[0] = (Math.floor(p * INV32) + Math.imul(len, P1_HI)) >>> 0;
}

/** acc += XXH3_mix16B(input words w[o..o+3], key chunk c). */
function mix16(w: ArrayLike<number>, o: number, k: Xxh3Keys, c: number): void {
  const j = c << 2;
  mulFold(w[o + 1]! ^ k[j + 1]!, w[o]! ^ k[j]!, w[o + 3]! ^ k[j + 3]!, w[o + 2]! ^ k[j + 2]!);
  ACC[0] += R[0]!;
  ACC[1] += R[1]!;
}

const bswap32 = (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** XXH3_len_9to16_64b of len bytes whose first 8 are (aLo, aHi) and last 8 are (bLo, bHi). */
function len9to16(len: number, aLo: number, aHi: number, bLo: number, bHi: number, k: Xxh3Keys): void {
  const inLo = aLo ^ k[64]!, inHi = aHi ^ k[65]!;
  const hiLo = bLo ^ k[66]!, hiHi = bHi ^ k[67]!;
  mulFold(inHi, inLo, hiHi, hiLo);
  // acc = len + swap64(input_lo) + input_hi + fold
  ACC[0] = R[0]! + bswap32(inLo) + (hiHi >>> 0);
  ACC[1] = R[1]! + len + bswap32(inHi) + (hiLo >>> 0);
  avalancheAcc();
}

function len17to128(w: ArrayLike<number>, o: number, n: number, k: Xxh3Keys): void {
  const e = o + n;
  initAcc(n * 4);
  if (n > 8) {
    if (n > 16) {
      if (n > 24) {
        mix16(w, o + 12, k, 6);
        mix16(w, e - 16, k, 7);
      }
      mix16(w, o + 8, k, 4);
      mix16(w, e - 12, k, 5);
    }
    mix16(w, o + 4, k, 2);
    mix16(w, e - 8, k, 3);
  }
  mix16(w, o, k, 0);
  mix16(w, e - 4, k, 1);
  avalancheAcc();
}

function len129to240(w: ArrayLike<number>, o: number, n: number, k: Xxh3Keys): void {
  initAcc(n * 4);
  for (let i = 0; i < 8; i++) mix16(w, o + 4 * i, k, i);
  avalancheAcc();
  ACC[0] = R[0]!;
  ACC[1] = R[1]!;
  const numRounds = n >>> 2; // len / 16
  for (let i = 8; i < numRounds; i++) mix16(w, o + 4 * i, k, i);
  mix16(w, o + n - 4, k, 15);
  avalancheAcc();
}

/**
 * XXH3-64 of w[offset .. offset + numWords) as u32 little-endian, 3 ≤ numWords ≤ 60 (values are
 * taken mod 2^32, like writeUInt32LE(x >>> 0)). Result in hashHi() / hashLo().
 */
export function xxh3Words(w: ArrayLike<number>, offset: number, numWords: number, k: Xxh3Keys): void {
  if (numWords <= 4) {
    const e = offset + numWords;
    len9to16(numWords * 4, w[offset]!, w[offset + 1]!, w[e - 2]!, w[e - 1]!, k);
  } else if (numWords <= 32) {
    len17to128(w, offset, numWords, k);
  } else {
    len129to240(w, offset, numWords, k);
  }
}

/** XXH3-64 of the 16 bytes a ‖ b, two u64 given as 32-bit halves, int32 or u32 (the block-hash chain step; pass int32 to avoid boxing). */
export function xxh3Pair(aHi: number, aLo: number, bHi: number, bLo: number, k: Xxh3Keys): void {
  len9to16(16, aLo, aHi, bLo, bHi, k);
}
