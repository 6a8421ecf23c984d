// A minimal ONNX graph builder with its own protobuf writer (ModelProto subset: nodes, initializers,
// typed inputs/outputs, external data). Invariant: large tensors are never copied, only referenced as chunks.

import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

export enum ElemType { Float = 1, Uint8 = 2, Int32 = 6, Int64 = 7 }
export type Dim = number | string;
export type AttrValue = number | number[] | { float: number } | string;
type TensorData = Float32Array | Int32Array | BigInt64Array;

interface NodeSpec { opType: string; inputs: string[]; outputs: string[]; name: string; attrs: Record<string, AttrValue> }
interface InitSpec { name: string; type: ElemType; dims: number[]; data: Uint8Array }
interface ValueSpec { name: string; type: ElemType; dims: Dim[] }

/** Protobuf wire-format writer that keeps payloads as a list of chunks (no concatenation of big buffers). */
class ProtoWriter {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  private scratch: number[] = [];

  private push(bytes: Uint8Array): void { this.chunks.push(bytes); this.length += bytes.byteLength; }
  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    const bytes = Uint8Array.from(this.scratch);
    this.scratch = [];
    this.push(bytes);
  }
  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value < 2 ** 31) {
      let n = value;
      while (n >= 0x80) { this.scratch.push((n & 0x7f) | 0x80); n >>>= 7; }
      this.scratch.push(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) { this.scratch.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    this.scratch.push(Number(v));
  }
  private tag(field: number, wire: number): void { this.rawVarint((field << 3) | wire); }
  varint(field: number, value: number | bigint): this { this.tag(field, 0); this.rawVarint(value); return this; }
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.scratch.push(...b);
    return this;
  }
  bytes(field: number, payload: Uint8Array): this {
    this.tag(field, 2); this.rawVarint(payload.byteLength); this.flushScratch(); this.push(payload);
    return this;
  }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  message(field: number, child: ProtoWriter): this {
    child.flushScratch();
    this.tag(field, 2); this.rawVarint(child.length); this.flushScratch();
    for (const c of child.chunks) this.push(c);
    return this;
  }
  done(): ProtoWriter { this.flushScratch(); return this; }
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attributeProto(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.varint(3, value).varint(20, 2);
  if (typeof value === 'string') return w.string(4, value).varint(20, 3);
  if (Array.isArray(value)) { for (const v of value) w.varint(8, v); return w.varint(20, 7); }
  return w.float(2, value.float).varint(20, 1);
}

function valueInfoProto(v: ValueSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, v.type).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

export interface ExternalDataOptions {
  /** Path of the side file that receives initializers of at least minBytes bytes. */
  path: string;
  minBytes: number;
}

/** Collects nodes, initializers and graph I/O; serialises to an ONNX ModelProto. */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inits: InitSpec[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  constructor(readonly graphName: string, readonly opset = 17) {}

  input(name: string, type: ElemType, dims: Dim[]): string { this.inputs.push({ name, type, dims }); return name; }
  output(name: string, type: ElemType, dims: Dim[]): void { this.outputs.push({ name, type, dims }); }

  initializer(name: string, data: TensorData, dims: number[]): string {
    const type = data instanceof Float32Array ? ElemType.Float : data instanceof Int32Array ? ElemType.Int32 : ElemType.Int64;
    this.inits.push({ name, type, dims, data: bytesOf(data) });
    return name;
  }

  /** The initializer `name`, built by `data` on first use only (one shared table for several subgraphs). */
  sharedInitializer(name: string, data: () => TensorData, dims: number[]): string {
    return this.constant(`shared:${name}`, name, data, dims);
  }

  /** A small int64 constant (shapes, axes, slice bounds); deduplicated. */
  int64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(`i64:${dims.join('x')}:${values.join(',')}`, 'const', () => BigInt64Array.from(values.map(BigInt)), dims);
  }

  /** A scalar-or-small float constant; deduplicated. */
  float(values: number[], dims: number[] = []): string {
    return this.constant(`f32:${dims.join('x')}:${values.join(',')}`, 'constf', () => Float32Array.from(values), dims);
  }

  private constant(key: string, prefix: string, data: () => TensorData, dims: number[]): string {
    const hit = this.constCache.get(key);
    if (hit !== undefined) return hit;
    const name = this.initializer(`${prefix}_${this.constCache.size}`, data(), dims);
    this.constCache.set(key, name);
    return name;
  }

  /** Adds a node; returns its single output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    return this.opN(opType, inputs, 1, attrs, outputName === undefined ? undefined : [outputName])[0]!;
  }

  /** Adds a node with several outputs. */
  opN(opType: string, inputs: string[], numOutputs: number, attrs: Record<string, AttrValue> = {}, names?: string[]): string[] {
    const id = this.counter++;
    const outputs = names ?? Array.from({ length: numOutputs }, (_, i) => `${opType.toLowerCase()}_${id}_${i}`);
    this.nodes.push({ opType, inputs, outputs, name: `${opType}_${id}`, attrs });
    return outputs;
  }

  /** Serialises the model; initializers ≥ external.minBytes go to external.path (written here). */
  toChunks(external: ExternalDataOptions | null = null): Uint8Array[] {
    const graph = new ProtoWriter();
    for (const n of this.nodes) graph.message(1, this.nodeProto(n));
    graph.string(2, this.graphName);
    const extFd = external === null ? null : openSync(external.path, 'w');
    let extOffset = 0;
    try {
      for (const init of this.inits) {
        const toExternal = extFd !== null && init.data.byteLength >= external!.minBytes;
        if (toExternal) {
          writeSync(extFd, init.data, 0, init.data.byteLength, extOffset);
          graph.message(5, this.externalTensorProto(init, basename(external!.path), extOffset));
          extOffset += init.data.byteLength;
        } else {
          graph.message(5, this.tensorProto(init).varint(14, 0));
        }
      }
    } finally {
      if (extFd !== null) closeSync(extFd);
    }
    for (const v of this.inputs) graph.message(11, valueInfoProto(v));
    for (const v of this.outputs) graph.message(12, valueInfoProto(v));
    const opset = new ProtoWriter().string(1, '').varint(2, this.opset);
    const model = new ProtoWriter().varint(1, 8).string(2, 'mini-dynamo').string(3, '0.1.0')
      .message(8, opset).message(7, graph).done();
    return model.chunks;
  }

  private nodeProto(n: NodeSpec): ProtoWriter {
    const w = new ProtoWriter();
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    w.string(3, n.name).string(4, n.opType);
    for (const [k, v] of Object.entries(n.attrs)) w.message(5, attributeProto(k, v));
    return w;
  }

  private tensorProto(init: InitSpec): ProtoWriter {
    const w = new ProtoWriter();
    for (const d of init.dims) w.varint(1, d);
    return w.varint(2, init.type).string(8, init.name).bytes(9, init.data);
  }

  private externalTensorProto(init: InitSpec, location: string, offset: number): ProtoWriter {
    const w = new ProtoWriter();
    for (const d of init.dims) w.varint(1, d);
    w.varint(2, init.type).string(8, init.name);
    const entry = (k: string, v: string) => new ProtoWriter().string(1, k).string(2, v);
    w.message(13, entry('location', location)).message(13, entry('offset', String(offset)))
      .message(13, entry('length', String(init.data.byteLength)));
    return w.varint(14, 1);
  }
}

/** Writes serialised chunks to a file without concatenating them. */
export function writeChunks(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
  } finally {
    closeSync(fd);
  }
}
