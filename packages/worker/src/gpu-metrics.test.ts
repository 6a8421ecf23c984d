import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Registry } from '@mini-dynamo/telemetry';
import { parseNvidiaSmiCsv, startGpuMetrics, visibleGpuIndices, type GpuQuery } from './gpu-metrics.js';

const MIB = 1024 * 1024;
const H100 = '0, 1234, 81559, 37\n';
const EIGHT_GPUS = Array.from({ length: 8 }, (_, i) => `${i}, ${i * 100}, 143771, ${i * 10}`).join('\n') + '\n';

function registryWithIdentity(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ model: 'stories260K', worker_id: 'worker-0' });
  return registry;
}

const gpuLines = async (registry: Registry): Promise<string[]> =>
  (await registry.metrics()).split('\n').filter((l) => l.startsWith('dynamo_gpu_'));

test('parses one H100 line into bytes and a 0-1 ratio', () => {
  assert.deepEqual(parseNvidiaSmiCsv(H100), {
    samples: [{ index: 0, memoryUsedBytes: 1234 * MIB, memoryTotalBytes: 81559 * MIB, utilizationRatio: 0.37 }],
    numSkippedLines: 0,
  });
});

test('parses many GPUs, CRLF, [N/A] fields; skips headers, junk and short lines', () => {
  const text = [
    'index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]',
    '0, 10, 100, 5\r',
    '1, [N/A], 100, [Not Supported]',
    '',
    'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.',
    '2, 10, 100',
    '3,  7 , 100 , 100 ',
  ].join('\n');
  const { samples, numSkippedLines } = parseNvidiaSmiCsv(text);
  assert.equal(numSkippedLines, 3);
  assert.deepEqual(samples.map((s) => s.index), [0, 1, 3]);
  assert.equal(samples[1].memoryUsedBytes, null);
  assert.equal(samples[1].utilizationRatio, null);
  assert.equal(samples[1].memoryTotalBytes, 100 * MIB);
  assert.equal(samples[2].utilizationRatio, 1);
  assert.equal(samples[2].memoryUsedBytes, 7 * MIB);
  assert.deepEqual(parseNvidiaSmiCsv(''), { samples: [], numSkippedLines: 0 });
});

test('CUDA_VISIBLE_DEVICES: numeric lists filter, unset / UUIDs report all', () => {
  assert.deepEqual(visibleGpuIndices({ CUDA_VISIBLE_DEVICES: '1,3' }), new Set([1, 3]));
  assert.equal(visibleGpuIndices({}), null);
  assert.equal(visibleGpuIndices({ CUDA_VISIBLE_DEVICES: 'GPU-8f2a' }), null);
});

test('a good sample registers the gauges with the worker labels, per visible GPU', async () => {
  const registry = registryWithIdentity();
  const poller = startGpuMetrics({ registry, query: async () => EIGHT_GPUS, env: { CUDA_VISIBLE_DEVICES: '2,5' }, log: () => {} });
  try {
    assert.equal(await poller.sample(), true);
    const lines = await gpuLines(registry);
    assert.ok(lines.includes('dynamo_gpu_utilization_ratio{gpu="2",model="stories260K",worker_id="worker-0"} 0.2'), lines.join('\n'));
    assert.ok(lines.includes(`dynamo_gpu_memory_used_bytes{gpu="5",model="stories260K",worker_id="worker-0"} ${500 * MIB}`));
    assert.ok(lines.includes(`dynamo_gpu_memory_total_bytes{gpu="5",model="stories260K",worker_id="worker-0"} ${143771 * MIB}`));
    assert.equal(lines.length, 6, 'two GPUs × three gauges');
  } finally {
    poller.stop();
  }
});

test('nvidia-smi missing: no GPU series, one log line, no throw, polling stops', async () => {
  const registry = registryWithIdentity();
  const logs: string[] = [];
  let calls = 0;
  const missing: GpuQuery = async () => {
    calls++;
    throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
  };
  const poller = startGpuMetrics({ registry, query: missing, intervalMs: 5, log: (l) => logs.push(l) });
  assert.equal(await poller.sample(), false);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(logs, ['GPU metrics off: nvidia-smi not found on PATH']);
  assert.ok(calls <= 2, `stopped polling after ENOENT (${calls} calls)`);
  assert.deepEqual(await gpuLines(registry), []);
  assert.ok(!(await registry.metrics()).includes('dynamo_gpu_'), 'not even HELP lines');
});

test('a failure after good samples removes the stale series; recovery brings them back', async () => {
  const registry = registryWithIdentity();
  let answer: string | Error = H100;
  const logs: string[] = [];
  const poller = startGpuMetrics({ registry, log: (l) => logs.push(l), intervalMs: 60_000,
    query: async () => { if (answer instanceof Error) throw answer; return answer; } });
  try {
    assert.equal(await poller.sample(), true);
    assert.equal((await gpuLines(registry)).length, 3);
    answer = new Error('Command failed: nvidia-smi\nNVIDIA-SMI has failed');
    assert.equal(await poller.sample(), false);
    assert.equal(await poller.sample(), false);
    assert.deepEqual(await gpuLines(registry), []);
    assert.equal(logs.length, 1, 'the same problem is logged once');
    answer = 'garbage\n';
    assert.equal(await poller.sample(), false);
    answer = H100;
    assert.equal(await poller.sample(), true);
    assert.equal((await gpuLines(registry)).length, 3);
  } finally {
    poller.stop();
  }
});

test('the real nvidia-smi query on this host: either samples or a single clean "off" line', async () => {
  let present = true;
  try { execFileSync('sh', ['-c', 'command -v nvidia-smi'], { stdio: 'ignore' }); } catch { present = false; }
  const registry = registryWithIdentity();
  const logs: string[] = [];
  const poller = startGpuMetrics({ registry, log: (l) => logs.push(l), intervalMs: 60_000 });
  try {
    const ok = await poller.sample();
    if (present) assert.equal(ok, (await gpuLines(registry)).length > 0);
    else assert.deepEqual([ok, logs[0]], [false, 'GPU metrics off: nvidia-smi not found on PATH']);
  } finally {
    poller.stop();
  }
});
