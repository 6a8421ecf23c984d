import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrunedPath, productionClosure, supportsLinuxX64 } from './prod-deps.js';
import { REPO_ROOT } from './repo-paths.js';

test('os/cpu filters: absent allows, lists and negations are honoured', () => {
  assert.equal(supportsLinuxX64({}), true);
  assert.equal(supportsLinuxX64({ os: ['linux'], cpu: ['x64'] }), true);
  assert.equal(supportsLinuxX64({ os: ['darwin'] }), false);
  assert.equal(supportsLinuxX64({ os: ['linux'], cpu: ['arm64'] }), false);
  assert.equal(supportsLinuxX64({ os: ['!win32'] }), true);
  assert.equal(supportsLinuxX64({ os: ['!linux'] }), false);
});

test('only onnxruntime-node linux/x64 binaries are kept', () => {
  assert.equal(isPrunedPath('onnxruntime-node', 'bin/napi-v6/win32'), true);
  assert.equal(isPrunedPath('onnxruntime-node', 'bin/napi-v6/darwin/arm64/libonnxruntime.dylib'), true);
  assert.equal(isPrunedPath('onnxruntime-node', 'bin/napi-v6/linux/arm64'), true);
  assert.equal(isPrunedPath('onnxruntime-node', 'bin/napi-v6/linux/x64/libonnxruntime.so.1'), false);
  assert.equal(isPrunedPath('onnxruntime-node', 'bin/napi-v6/linux'), false);
  assert.equal(isPrunedPath('onnxruntime-node', 'dist/index.js'), false);
  assert.equal(isPrunedPath('hono', 'bin/napi-v6/win32'), false);
});

test("the repo's production closure has the runtime packages and no dev-only ones", () => {
  const closure = productionClosure(REPO_ROOT);
  const names = new Set(closure.map((p) => p.name));
  for (const n of ['@mini-dynamo/gateway', '@mini-dynamo/worker', '@mini-dynamo/model', 'onnxruntime-node', 'onnxruntime-common', 'hono', 'prom-client']) {
    assert.ok(names.has(n), `missing ${n}`);
  }
  for (const n of ['typescript', 'turbo', 'fast-check', 'openai', '@mini-dynamo/bench', '@mini-dynamo/e2e-tests']) {
    assert.ok(!names.has(n), `dev-only ${n} bundled`);
  }
  assert.equal(new Set(closure.map((p) => p.path)).size, closure.length, 'each folder once');
  assert.ok(closure.filter((p) => p.workspace).every((p) => p.path.startsWith('packages/')));
});
