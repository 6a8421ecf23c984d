// One nvidia-smi poller per process, checked against a stand-in nvidia-smi on PATH (a shell script that
// prints driver-shaped CSV and appends one line per run to a file, so runs are counted, not assumed).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeExpositions } from '@mini-dynamo/telemetry';
import { acquireProcessGpuMetrics } from './process-gpu-metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'md-fake-nvidia-smi-'));
const runsFile = join(dir, 'runs');
const originalPath = process.env.PATH;

const numRuns = () => (existsSync(runsFile) ? readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gpuLines = (text: string) => text.split('\n').filter((l) => l.startsWith('dynamo_gpu_'));

before(() => {
  const script = join(dir, 'nvidia-smi');
  writeFileSync(script, `#!/bin/sh\necho "$*" >> '${runsFile}'\nprintf '0, 1234, 81559, 37\\n1, 10, 81559, 5\\n'\n`);
  chmodSync(script, 0o755);
  process.env.PATH = `${dir}:${originalPath}`;
});

after(() => {
  process.env.PATH = originalPath;
  rmSync(dir, { recursive: true, force: true });
});

test('two acquirers share one poller: one nvidia-smi run per interval; the last release stops it', async () => {
  const intervalMs = 100;
  const t0 = Date.now();
  const a = acquireProcessGpuMetrics({ model: 'm', workerId: 'worker-0' }, { intervalMs, log: () => {} });
  const b = acquireProcessGpuMetrics({ model: 'm', workerId: 'worker-1' }, { intervalMs, log: () => {} });
  await sleep(450);
  a.release();
  a.release(); // idempotent: does not count as b's release
  await sleep(2 * intervalMs);
  const elapsed = Date.now() - t0;
  const runs = numRuns();
  assert.ok(runs >= 2, `the poller kept polling while b held it (${runs} runs)`);
  assert.ok(runs <= Math.floor(elapsed / intervalMs) + 1, `${runs} runs in ${elapsed} ms at one per ${intervalMs} ms: a single poller`);
  assert.match(readFileSync(runsFile, 'utf8'), /--query-gpu=index,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits/);
  b.release();
  const stopped = numRuns();
  await sleep(3 * intervalMs);
  assert.ok(numRuns() <= stopped + 1, 'no polling after the last release (one run may have been in flight)');
});

test('the shared GPU series appear once in a merged exposition, under the first acquirer\'s labels', async () => {
  const a = acquireProcessGpuMetrics({ model: 'm', workerId: 'worker-0' }, { intervalMs: 60_000, log: () => {} });
  const b = acquireProcessGpuMetrics({ model: 'm', workerId: 'worker-1' }, { intervalMs: 60_000, log: () => {} });
  try {
    let text = '';
    for (let i = 0; i < 100 && gpuLines(text).length === 0; i++) {
      await sleep(20);
      text = await a.metricsText();
    }
    const merged = mergeExpositions(['engine_metric{worker_id="worker-0"} 1\n', text, 'engine_metric{worker_id="worker-1"} 1\n']);
    const lines = gpuLines(merged);
    assert.equal(lines.length, 6, `2 GPUs × 3 gauges, once each:\n${lines.join('\n')}`);
    assert.equal(new Set(lines).size, lines.length);
    assert.ok(lines.includes('dynamo_gpu_utilization_ratio{gpu="0",model="m",worker_id="worker-0"} 0.37'), lines.join('\n'));
    assert.equal(await b.metricsText(), text, 'both acquirers read the same registry');
  } finally {
    a.release();
    b.release();
  }
});
