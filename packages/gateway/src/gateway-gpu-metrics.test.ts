// A gateway with two `--device cuda` worker threads (mock runner: this host has no GPU, but the GPU
// poller does not care) and a stand-in nvidia-smi on PATH that counts its runs: one run per interval
// for the whole process, and GET /metrics shows each GPU series once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './start-server.js';

const GPU_POLL_INTERVAL_MS = 5000; // the poller's default
const dir = mkdtempSync(join(tmpdir(), 'md-gateway-nvidia-smi-'));
const runsFile = join(dir, 'runs');
const originalPath = process.env.PATH;

before(() => {
  const script = join(dir, 'nvidia-smi');
  writeFileSync(script, `#!/bin/sh\necho run >> '${runsFile}'\nprintf '0, 2048, 81559, 50\\n'\n`);
  chmodSync(script, 0o755);
  process.env.PATH = `${dir}:${originalPath}`; // worker threads copy the env when they start
});

after(() => {
  process.env.PATH = originalPath;
  rmSync(dir, { recursive: true, force: true });
});

test('2 cuda worker threads: one nvidia-smi per interval for the process; each GPU series once in GET /metrics', async () => {
  const t0 = Date.now();
  const server = await startServer({ runner: 'mock', device: 'cuda', servedModelName: 'm', numWorkers: 2, port: 0, host: '127.0.0.1', log: () => {} });
  try {
    let gpuLines: string[] = [];
    let text = '';
    for (let i = 0; i < 100 && gpuLines.length === 0; i++) {
      text = await (await fetch(`${server.url}/metrics`)).text();
      gpuLines = text.split('\n').filter((l) => l.startsWith('dynamo_gpu_'));
      if (gpuLines.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(text, /dynamo_kv_cache_total_blocks\{[^}]*worker_id="worker-1"/, 'both workers\' own metrics are there');
    assert.deepEqual(gpuLines.sort(), [
      `dynamo_gpu_memory_total_bytes{gpu="0",model="m",worker_id="worker-0"} ${81559 * 1024 * 1024}`,
      `dynamo_gpu_memory_used_bytes{gpu="0",model="m",worker_id="worker-0"} ${2048 * 1024 * 1024}`,
      'dynamo_gpu_utilization_ratio{gpu="0",model="m",worker_id="worker-0"} 0.5',
    ]);
    const runs = readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length;
    const elapsed = Date.now() - t0;
    assert.ok(runs <= Math.floor(elapsed / GPU_POLL_INTERVAL_MS) + 1, `${runs} nvidia-smi runs in ${elapsed} ms: one poller for the process`);
  } finally {
    await server.close();
  }
  assert.ok(existsSync(runsFile));
});
