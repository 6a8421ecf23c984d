import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CUDA_PROVIDER_DIR_IN_PACKAGE, CUDA_PROVIDER_LIBS, CUDA_PROVIDER_ORT_VERSION, CUDA_PROVIDER_PACKAGE,
  checkCudaProvider, findOrt, installCudaProvider,
} from './cuda-provider.js';
import { packFileName } from './npm-fetch.js';
import { leadingMembers } from './registry-tarball.js';

/** A tarball in npm pack layout (package/…) holding the given files, written into cacheDir under npm pack's name. */
function fakeTarball(cacheDir: string, name: string, version: string, files: Record<string, string>): void {
  const src = mkdtempSync(join(tmpdir(), 'fake-pkg-'));
  for (const [path, body] of Object.entries({ 'package.json': JSON.stringify({ name, version }), ...files })) {
    mkdirSync(join(src, 'package', path, '..'), { recursive: true });
    writeFileSync(join(src, 'package', path), body);
  }
  execFileSync('tar', ['-czf', join(cacheDir, packFileName(name, version)), '-C', src, 'package']);
  rmSync(src, { recursive: true });
}

test('install pins onnxruntime-node to 1.29.0 and puts the provider next to its binding (offline, cached tarballs)', () => {
  const root = mkdtempSync(join(tmpdir(), 'cuda-install-'));
  try {
    const cache = join(root, 'cache');
    const nm = join(root, 'node_modules');
    mkdirSync(cache);
    mkdirSync(join(nm, 'onnxruntime-node'), { recursive: true });
    writeFileSync(join(nm, 'onnxruntime-node', 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.30.0' }));
    assert.match((checkCudaProvider(nm) as { problem: string }).problem, /no linux\/x64 binary/);
    fakeTarball(cache, 'onnxruntime-node', CUDA_PROVIDER_ORT_VERSION, {
      'bin/napi-v6/linux/x64/libonnxruntime.so.1': 'core', 'bin/napi-v6/win32/x64/onnxruntime.dll': 'win',
    });
    fakeTarball(cache, 'onnxruntime-common', CUDA_PROVIDER_ORT_VERSION, { 'dist/index.js': '' });
    const libs = Object.fromEntries(CUDA_PROVIDER_LIBS.map((l) => [`${CUDA_PROVIDER_DIR_IN_PACKAGE}/${l}`, `elf:${l}`]));
    fakeTarball(cache, CUDA_PROVIDER_PACKAGE.name, CUDA_PROVIDER_PACKAGE.version, { ...libs, 'README.md': 'unity' });
    const lines: string[] = [];
    const binDir = installCudaProvider({ nodeModulesDir: nm, cacheDir: cache, log: (l) => lines.push(l) });
    assert.equal(binDir, join(nm, 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64'));
    assert.equal(findOrt(nm)?.version, CUDA_PROVIDER_ORT_VERSION);
    assert.ok(existsSync(join(nm, 'onnxruntime-node', 'node_modules', 'onnxruntime-common', 'package.json')));
    for (const lib of CUDA_PROVIDER_LIBS) assert.equal(readFileSync(join(binDir, lib), 'utf8'), `elf:${lib}`);
    assert.deepEqual(checkCudaProvider(nm), { ok: true, binDir });
    assert.ok(lines.some((l) => l.includes('pinning onnxruntime-node 1.30.0 → 1.29.0')));
    // Re-running is idempotent and uses the cache only.
    installCudaProvider({ nodeModulesDir: nm, cacheDir: cache });
    rmSync(join(binDir, CUDA_PROVIDER_LIBS[1]));
    assert.match((checkCudaProvider(nm) as { problem: string }).problem, /missing libonnxruntime_providers_shared\.so/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the registry serves the CUDA 13 provider package with the expected layout (streams ~100 KB, not the 179 MB tarball)', async (t) => {
  if (process.env.MINI_DYNAMO_OFFLINE === '1') return t.skip('MINI_DYNAMO_OFFLINE=1: registry not queried');
  const { name, version } = CUDA_PROVIDER_PACKAGE;
  let meta: { dist: { tarball: string }; dependencies?: Record<string, string> };
  try {
    const res = await fetch(`https://registry.npmjs.org/${name}/${version}`, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) return t.skip(`registry answered HTTP ${res.status}; cannot check ${name}@${version}`);
    meta = await res.json() as typeof meta;
  } catch (e) {
    return t.skip(`npm registry unreachable (${(e as Error).message}); cannot check ${name}@${version}`);
  }
  assert.match(meta.dist.tarball, new RegExp(`${name}-${version}\\.tgz$`));
  const members = await leadingMembers(meta.dist.tarball, CUDA_PROVIDER_LIBS[0]);
  const cuda = members.find((m) => m.name === `package/${CUDA_PROVIDER_DIR_IN_PACKAGE}/${CUDA_PROVIDER_LIBS[0]}`);
  assert.ok(cuda, `no ${CUDA_PROVIDER_LIBS[0]} among ${members.map((m) => m.name).join(', ')}`);
  assert.ok(cuda.size > 100 * 1024 * 1024, `provider is ${cuda.size} bytes`);
});
