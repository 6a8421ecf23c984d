// `--with-bench` extras (copyBenchExtras): bench/gpu's PyTorch scripts land in the bundle's app/, bytecode caches
// never do, and a repo without bench/gpu copies nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_EXTRA_DIRS, copyBenchExtras } from './bundle.js';

test('--with-bench extras: bench/gpu scripts are copied into app/, __pycache__ left out', () => {
  const root = mkdtempSync(join(tmpdir(), 'bundle-bench-'));
  try {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'bench', 'gpu', '__pycache__'), { recursive: true });
    writeFileSync(join(repo, 'bench', 'gpu', 'bandwidth.py'), 'print("bw")\n');
    writeFileSync(join(repo, 'bench', 'gpu', '__pycache__', 'bandwidth.cpython-312.pyc'), 'x');
    const app = join(root, 'app');
    assert.deepEqual(copyBenchExtras(repo, app), ['bench/gpu']);
    assert.equal(readFileSync(join(app, 'bench', 'gpu', 'bandwidth.py'), 'utf8'), 'print("bw")\n');
    assert.ok(!existsSync(join(app, 'bench', 'gpu', '__pycache__')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--with-bench extras: a repo without bench/gpu copies nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'bundle-bench-'));
  try {
    assert.deepEqual(copyBenchExtras(root, join(root, 'app')), []);
    assert.ok(!existsSync(join(root, 'app')));
    assert.ok(BENCH_EXTRA_DIRS.includes('bench/gpu'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
