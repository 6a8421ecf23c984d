import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16, parseSafetensors, readTensor, writeSafetensors,
} from './safetensors.js';
import { ModelLoadFailure } from './model-load-error.js';

test('fp16 conversion: exact values, rounding to nearest even, subnormals, overflow, NaN', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [0.1, 0x2e66],
  ];
  for (const [x, bits] of cases) assert.equal(float32ToFloat16(x), bits, `${x}`);
  assert.ok(Number.isNaN(float16ToFloat32(float32ToFloat16(NaN))));
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(float32ToFloat16(float16ToFloat32(h)), h);
});

test('bf16 conversion rounds to nearest even and round-trips', () => {
  assert.equal(float32ToBfloat16(1), 0x3f80);
  assert.equal(bfloat16ToFloat32(float32ToBfloat16(1 + 2 ** -8)), 1, 'tie rounds to even');
  assert.equal(bfloat16ToFloat32(float32ToBfloat16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.ok(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(NaN))));
});

test('safetensors write/read round trip and clear errors for bad files', () => {
  const data = Float32Array.from([1.5, -2, 3.25, 0, 7, 8]);
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const st = parseSafetensors(writeSafetensors([{ name: 'w', shape: [2, 3], data }], dtype), 'x.safetensors');
    assert.deepEqual(readTensor(st, 'w', [2, 3]), data);
    assert.throws(() => readTensor(st, 'w', [3, 2]), (e: unknown) => e instanceof ModelLoadFailure && /shape \[2,3\], expected \[3,2\]/.test(e.message));
    assert.throws(() => readTensor(st, 'missing'), (e: unknown) => e instanceof ModelLoadFailure && e.message.includes('missing'));
  }
  assert.throws(() => parseSafetensors(Buffer.from('not a safetensors file'), 'bad.safetensors'),
    (e: unknown) => e instanceof ModelLoadFailure && e.error.code === 'invalid_model' && e.message.includes('bad.safetensors'));
});
