// Runs the PyTorch baseline scripts of bench/gpu on the CPU when a python with torch exists (skips with the reason
// otherwise): the golden check must pass, a corrupted golden must fail, and the JSON must have the schema that
// gpu-report-inputs.ts reads (TorchDecodeFile, BandwidthFile).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelDir } from '@mini-dynamo/model';
import type { BandwidthFile, TorchDecodeFile } from './gpu-report-inputs.js';

const GPU_DIR = fileURLToPath(new URL('../gpu/', import.meta.url));
const MODELS_DIR = dirname(defaultModelDir());

/** The first of $MINI_DYNAMO_TORCH_PYTHON, python3, /usr/bin/python3 that imports torch, or why none does. */
function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [process.env.MINI_DYNAMO_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error?.message ?? (r.stderr.trim().split('\n').at(-1) || `exit ${r.status}`)}`);
  }
  return { reason: `no python with torch (${tried.join('; ')}); set MINI_DYNAMO_TORCH_PYTHON or apt-get install python3-torch` };
}

const found = findTorchPython();
const skip = 'reason' in found ? found.reason : false;
if (skip) console.log(`# torch-baseline tests skipped: ${skip}`);

function runScript(script: string, args: string[]) {
  const python = 'python' in found ? found.python : 'python3';
  return spawnSync(python, [join(GPU_DIR, script), ...args], { encoding: 'utf8', timeout: 60_000 });
}

const ROW_KEYS = ['model', 'numParams', 'batch', 'prefillMs', 'stepMsMedian', 'stepMsP90', 'decodeTokensPerSecond',
  'tokensPerSecond', 'cudaGraphs'];

test('torch_decode_bench.py on cpu: golden matches, rows have the TorchDecodeFile schema', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'torch-bench-'));
  try {
    const out = join(dir, 'out.json');
    const r = runScript('torch_decode_bench.py', ['--device', 'cpu', '--models', 'stories260k', '--batch', '1,2',
      '--output-tokens', '8', '--models-dir', MODELS_DIR, '--json', out]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /golden check .*: MATCH/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as TorchDecodeFile;
    assert.deepEqual(Object.keys(j), ['tool', 'torch', 'device', 'gpu', 'fp32Matmul', 'tf32Override', 'golden', 'opts', 'rows']);
    assert.equal(j.fp32Matmul, null, 'recorded on cuda only');
    assert.equal(j.tool, 'torch-decode');
    assert.equal(j.device, 'cpu');
    assert.equal(j.gpu, null);
    assert.equal(typeof j.torch, 'string');
    assert.deepEqual(j.golden, { model: 'stories260k', numTokens: 64, matches: true });
    assert.deepEqual(j.opts, { promptTokens: 32, outputTokens: 8, cudaGraphs: false });
    assert.deepEqual(j.rows.map((row) => [row.model, row.batch, row.numParams]), [['stories260k', 1, 260032], ['stories260k', 2, 260032]]);
    for (const row of j.rows) {
      assert.deepEqual(Object.keys(row), ROW_KEYS);
      assert.equal(row.cudaGraphs, false);
      for (const k of ['prefillMs', 'stepMsMedian', 'stepMsP90', 'decodeTokensPerSecond', 'tokensPerSecond'] as const) {
        assert.ok(Number.isFinite(row[k]) && row[k] > 0, `${k} = ${row[k]}`);
      }
      assert.ok(row.stepMsP90 >= row.stepMsMedian);
    }
    assert.match(r.stdout, /\| stories260k \| 260032 \| 2 \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('torch_decode_bench.py: a golden that differs in one token fails with exit 1 and matches false', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'torch-bench-'));
  try {
    const models = join(dir, 'models');
    mkdirSync(join(models, 'stories260K'), { recursive: true });
    symlinkSync(join(defaultModelDir(), 'stories260K.bin'), join(models, 'stories260K', 'stories260K.bin'));
    const golden = JSON.parse(readFileSync(join(defaultModelDir(), 'golden_greedy_bos_64.json'), 'utf8')) as { greedy_ids_64: number[] };
    golden.greedy_ids_64[40] = (golden.greedy_ids_64[40]! + 1) % 512;
    writeFileSync(join(models, 'stories260K', 'golden_greedy_bos_64.json'), JSON.stringify(golden));
    const out = join(dir, 'out.json');
    const r = runScript('torch_decode_bench.py', ['--device', 'cpu', '--models', 'stories260k', '--batch', '1',
      '--output-tokens', '4', '--models-dir', models, '--json', out]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /MISMATCH at index 40/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as TorchDecodeFile;
    assert.equal(j.golden?.matches, false);
    assert.deepEqual(j.rows, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bandwidth.py: exit 2 without CUDA, --allow-cpu writes the BandwidthFile schema', { skip }, (t) => {
  const python = 'python' in found ? found.python : 'python3';
  if (spawnSync(python, ['-c', 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)']).status === 0) {
    t.skip('torch sees a GPU: bandwidth.py would measure it (run it by hand, see bench/gpu/README.md)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'torch-bw-'));
  try {
    const refused = runScript('bandwidth.py', ['--json', join(dir, 'no.json')]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /CUDA is not available/);
    const out = join(dir, 'bw.json');
    const r = runScript('bandwidth.py', ['--allow-cpu', '--repeats', '5', '--json', out]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const j = JSON.parse(readFileSync(out, 'utf8')) as BandwidthFile;
    assert.deepEqual(Object.keys(j), ['tool', 'torch', 'gpu', 'd2dGBps', 'd2dReadWriteGBps', 'transfers']);
    assert.equal(j.tool, 'bandwidth');
    assert.equal(j.gpu, null);
    assert.deepEqual(j.transfers, []);
    assert.ok(j.d2dGBps !== null && j.d2dGBps > 0 && j.d2dReadWriteGBps !== null);
    assert.ok(Math.abs(j.d2dReadWriteGBps / j.d2dGBps - 2) < 1e-9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
