import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cudaError, missingSharedLibraries, ortBinDir, parseLddNotFound } from './cuda-diagnosis.js';

test('parseLddNotFound names each unresolved library once', () => {
  const ldd = [
    '\tlinux-vdso.so.1 (0x00007ffc)',
    '\tlibcublasLt.so.13 => not found',
    '\tlibcudnn.so.9 => not found',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f)',
    '\tlibcudnn.so.9 => not found',
  ].join('\n');
  assert.deepEqual(parseLddNotFound(ldd), ['libcublasLt.so.13', 'libcudnn.so.9']);
  assert.deepEqual(parseLddNotFound('\tlibc.so.6 => /lib/libc.so.6 (0x1)'), []);
});

test('missingSharedLibraries resolves the CPU binding of onnxruntime-node completely', (t) => {
  const binDir = ortBinDir();
  if (binDir === null) return t.skip('onnxruntime-node is not installed');
  const missing = missingSharedLibraries(join(binDir, 'libonnxruntime.so.1'));
  if (missing === null) return t.skip('ldd is not available on this host');
  assert.deepEqual(missing, []);
});

test('without the provider, the message says so and how to install it', () => {
  const message = cudaError(new Error('LoadLibrary failed'));
  assert.match(message, /libonnxruntime_providers_cuda\.so|missing lib/);
  assert.match(message, /cuda:install/);
  assert.match(message, /ORT said: LoadLibrary failed/);
});
