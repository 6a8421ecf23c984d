// Reads and writes the safetensors format (u64 LE header length, JSON header, raw little-endian tensor bytes).
// Invariant: every tensor read comes back as fp32 (F32/F16/BF16/F64 supported); writing rounds to nearest even.

import { fail } from './model-load-error.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

export interface TensorInfo {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsFile {
  file: string;
  tensors: Map<string, TensorInfo>;
  /** Byte offset of the data section in buf. */
  dataStart: number;
  buf: Buffer;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export function parseSafetensors(buf: Buffer, file: string): SafetensorsFile {
  if (buf.length < 8) fail('invalid_model', `${file}: too short for a safetensors file`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen <= 0 || 8 + headerLen > buf.length) fail('invalid_model', `${file}: bad safetensors header length ${headerLen}`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLen));
  } catch (e) {
    fail('invalid_model', `${file}: safetensors header is not JSON (${(e as Error).message})`);
  }
  const tensors = new Map<string, TensorInfo>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    tensors.set(name, { dtype: t.dtype, shape: t.shape, dataOffsets: t.data_offsets });
  }
  return { file, tensors, dataStart: 8 + headerLen, buf };
}

const f16Buf = new Float32Array(1);
const f16Bits = new Uint32Array(f16Buf.buffer);

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let f16Table: Float32Array | null = null;

/** All 65536 fp16 values as fp32 (built once). */
function float16Table(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = float16ToFloat32(h);
  }
  return f16Table;
}

export function bfloat16ToFloat32(b: number): number {
  f16Bits[0] = (b << 16) >>> 0;
  return f16Buf[0]!;
}

/** Decode one tensor to fp32, checking dtype, byte length and (when given) the expected shape. */
export function readTensor(st: SafetensorsFile, name: string, expectedShape?: number[]): Float32Array {
  const info = st.tensors.get(name);
  if (info === undefined) fail('invalid_model', `${st.file}: tensor ${name} not found`);
  if (expectedShape && (info.shape.length !== expectedShape.length || info.shape.some((d, i) => d !== expectedShape[i]))) {
    fail('invalid_model', `${st.file}: tensor ${name} has shape [${info.shape}], expected [${expectedShape}]`);
  }
  const width = BYTES[info.dtype as SafetensorsDtype];
  if (width === undefined) fail('invalid_model', `${st.file}: tensor ${name} has unsupported dtype ${info.dtype}`);
  const n = info.shape.reduce((a, b) => a * b, 1);
  const [begin, end] = info.dataOffsets;
  const start = st.dataStart + begin;
  if (end - begin !== n * width || st.dataStart + end > st.buf.length) {
    fail('invalid_model', `${st.file}: tensor ${name} data range [${begin}, ${end}) does not fit ${n} × ${info.dtype}`);
  }
  return decode(st.buf, start, n, info.dtype as SafetensorsDtype);
}

/** n little-endian fp32 values at buf[start…] as a fresh array (a typed-array copy when aligned). */
export function readFloat32Array(buf: Buffer, start: number, n: number): Float32Array {
  const at = buf.byteOffset + start;
  if (at % 4 === 0 && LITTLE_ENDIAN) return new Float32Array(buf.buffer, at, n).slice();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(start + i * 4);
  return out;
}

function decode(buf: Buffer, start: number, n: number, dtype: SafetensorsDtype): Float32Array {
  if (dtype === 'F32') return readFloat32Array(buf, start, n);
  const out = new Float32Array(n);
  if (dtype === 'F64') {
    for (let i = 0; i < n; i++) out[i] = buf.readDoubleLE(start + i * 8);
  } else if (dtype === 'F16') {
    const table = float16Table();
    for (let i = 0; i < n; i++) out[i] = table[buf.readUInt16LE(start + i * 2)]!;
  } else {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = (buf.readUInt16LE(start + i * 2) << 16) >>> 0;
  }
  return out;
}

/** fp32 → bf16 bits, round to nearest even (NaN stays NaN). */
export function float32ToBfloat16(x: number): number {
  f16Buf[0] = x;
  const bits = f16Bits[0]!;
  if (Number.isNaN(x)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** fp32 → fp16 bits, round to nearest even, with subnormals and overflow to ±Infinity. */
export function float32ToFloat16(x: number): number {
  f16Buf[0] = x;
  const bits = f16Bits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  if (r === 0x400) { r = 0; e++; if (e >= 31) return sign | 0x7c00; }
  return sign | (e << 10) | r;
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Serialise fp32 tensors as one safetensors file in the given dtype (header padded to 8 bytes). */
export function writeSafetensors(tensors: TensorToWrite[], dtype: Exclude<SafetensorsDtype, 'F64'> = 'F32'): Buffer {
  const width = BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * width] };
    offset += t.data.length * width;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += width) {
      if (dtype === 'F32') out.writeFloatLE(t.data[i]!, pos);
      else out.writeUInt16LE(dtype === 'F16' ? float32ToFloat16(t.data[i]!) : float32ToBfloat16(t.data[i]!), pos);
    }
  }
  return out;
}
