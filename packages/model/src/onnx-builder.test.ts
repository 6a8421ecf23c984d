// GraphBuilder's protobuf output as ONNX Runtime reads it: attributes, dynamic dims, constants, external data.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ElemType, GraphBuilder, writeChunks } from './onnx-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'md-onnx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** y = relu(x · Wᵀ + b) * 2, then reshaped to [-1] with a negative int64 constant. */
function buildGraph(): GraphBuilder {
  const g = new GraphBuilder('t');
  const x = g.input('x', ElemType.Float, ['N', 3]);
  const w = g.initializer('w', Float32Array.from({ length: 4 * 3 }, (_, i) => i - 5), [4, 3]);
  const b = g.initializer('b', Float32Array.of(1, -1, 0.5, 0), [4]);
  const y = g.op('Relu', [g.op('Gemm', [x, w, b], { transB: 1, alpha: { float: 1 } })]);
  g.op('Reshape', [g.op('Mul', [y, g.float([2])]), g.int64([-1])], {}, 'y');
  g.output('y', ElemType.Float, ['M']);
  return g;
}

function expected(x: number[][]): number[] {
  const out: number[] = [];
  for (const row of x) {
    for (let o = 0; o < 4; o++) {
      let acc = [1, -1, 0.5, 0][o]!;
      for (let i = 0; i < 3; i++) acc += row[i]! * (o * 3 + i - 5);
      out.push(Math.max(0, acc) * 2);
    }
  }
  return out;
}

async function run(path: string, x: number[][]): Promise<number[]> {
  const session = await ort.InferenceSession.create(path);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, 3]) });
    return Array.from(out.y!.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe('GraphBuilder', () => {
  const x = [[1, 2, 3], [-1, 0.5, 4]];

  it('writes a model ONNX Runtime loads and runs with inline initializers', async () => {
    const path = join(dir, 'inline.onnx');
    writeChunks(path, buildGraph().toChunks());
    assert.deepEqual(await run(path, x), expected(x));
  });

  it('moves large initializers to an external-data side file', async () => {
    const path = join(dir, 'ext.onnx');
    writeChunks(path, buildGraph().toChunks({ path: `${path}.data`, minBytes: 40 }));
    assert.ok(existsSync(`${path}.data`));
    assert.equal(statSync(`${path}.data`).size, 48, 'only w (48 bytes) is external');
    assert.deepEqual(await run(path, x), expected(x));
  });
});
