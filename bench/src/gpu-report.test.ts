// gpu-report on invented measurements (every number in the fixtures below is made up): model shapes from the real
// configs, floor and PCIe arithmetic, ratios, the limiting term, marker splicing, missing/invalid files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrtModelRunner, defaultModelDir, smollm2ShapeDir } from '@mini-dynamo/model';
import { loadBenchModel } from './bench-models.js';
import { GPU_REPORT_FILES, readGpuReportInputs, type Transfer } from './gpu-report-inputs.js';
import { compactKvTokens, gpuRows, limitingTerm, loadReportShapes, meanContext, modelKey, RUNNER_BLOCK_SIZE, stepFloor, transferFor } from './gpu-report.js';
import { GPU_REPORT_BEGIN, GPU_REPORT_END, limitSentences, markedSection, renderGpuReport, replaceMarkedSection } from './gpu-report-markdown.js';
import { main as gpuReportMain } from './gpu-report-command.js';

const haveModels = existsSync(defaultModelDir()) && existsSync(smollm2ShapeDir());
const skip = haveModels ? false : `model configs not found (${defaultModelDir()}, ${smollm2ShapeDir()})`;

// Invented bandwidths: pageable H2D 10 GB/s at 10 MB, 20 GB/s at 100 MB; pinned H2D 50 GB/s (ignored: pageable wins).
const TRANSFERS: Transfer[] = [
  { direction: 'h2d', pinned: false, bytes: 10e6, GBps: 10, msMedian: 1 },
  { direction: 'h2d', pinned: false, bytes: 100e6, GBps: 20, msMedian: 5 },
  { direction: 'h2d', pinned: true, bytes: 100e6, GBps: 50, msMedian: 2 },
  { direction: 'd2h', pinned: false, bytes: 10e6, GBps: 8, msMedian: 1.25 },
  { direction: 'd2h', pinned: false, bytes: 100e6, GBps: 16, msMedian: 6.25 },
];

const ortRow = (model: string, concurrency: number, meanStepMs: number, tps: number) => ({
  model, concurrency, batchedTokensPerSecond: tps, sequentialTokensPerSecond: tps / 2, ratio: 2,
  batchedTokensPerCpuSecond: tps, sequentialTokensPerCpuSecond: tps / 2, cpuRatio: 2, meanStepMs,
});
const torchRow = (model: string, batch: number, stepMsMedian: number, tokensPerSecond: number, cudaGraphs: boolean) => ({
  model, numParams: 1, batch, prefillMs: 1, stepMsMedian, stepMsP90: stepMsMedian * 1.1, decodeTokensPerSecond: tokensPerSecond, tokensPerSecond, cudaGraphs,
});
const torchFile = (graphs: boolean, rows: ReturnType<typeof torchRow>[]) => ({
  tool: 'torch-decode', torch: '2.11.0', device: 'cuda', gpu: 'Invented GPU 80GB', fp32Matmul: 'ieee', tf32Override: '0', golden: { model: 'stories260k', numTokens: 64, matches: true },
  opts: { promptTokens: 32, outputTokens: 64, cudaGraphs: graphs }, rows,
});

/** A complete fixture folder: 32-token prompts, 64 output tokens (c = 64), SmolLM2 at batch 32, stories260K at batch 8. */
function writeFixtures(dir: string, omit: string[] = []): void {
  const opts = { promptTokens: 32, outputTokens: 64, rounds: 3 };
  const files: Record<string, unknown> = {
    [GPU_REPORT_FILES.ortCompact]: { opts, rows: [ortRow('stories260K', 8, 2, 4000), ortRow('smollm2-135m-shape-random', 32, 10, 3200)] },
    [GPU_REPORT_FILES.ortPool]: { opts, rows: [ortRow('stories260K', 8, 3, 2666), ortRow('smollm2-135m-shape-random', 32, 25, 1280)] },
    [GPU_REPORT_FILES.ortCpu]: { opts, rows: [ortRow('stories260K', 8, 4, 2000), ortRow('smollm2-135m-shape-random', 32, 80, 400)] },
    [GPU_REPORT_FILES.torchEager]: torchFile(false, [torchRow('stories260k', 8, 0.5, 16000, false), torchRow('smollm2-random', 32, 4, 8000, false)]),
    [GPU_REPORT_FILES.torchGraphs]: torchFile(true, [torchRow('stories260k', 8, 0.1, 80000, true), torchRow('smollm2-random', 32, 2, 16000, true)]),
    [GPU_REPORT_FILES.bandwidth]: { tool: 'bandwidth', torch: '2.11.0', gpu: 'Invented GPU 80GB', d2dGBps: 1500, d2dReadWriteGBps: 3000, transfers: TRANSFERS },
    [GPU_REPORT_FILES.serve]: {
      tool: 'serve-check', model: 'stories260K', maxTokens: 64, greedy: [{ prompt: 'p', primaryText: 'same', baselineText: 'same', equal: true }],
      gpuMetricLines: ['dynamo_gpu_utilization_ratio{gpu="0"} 0.5'], stream: { text: 'hi', numChunks: 3, finishReason: 'length', firstTokenMs: 5 },
      checks: { greedyEqual: true, gpuMetrics: true, stream: true },
    },
  };
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) if (!omit.includes(name)) writeFileSync(join(dir, name), JSON.stringify(body));
}

function withTmp(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpu-report-'));
    try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('model shapes from the real configs: parameter counts, fp32 weight bytes, KV bytes per token', { skip }, async () => {
  const shapes = await loadReportShapes();
  const stories = shapes.get('stories260k')!, smol = shapes.get('smollm2-random')!;
  assert.deepEqual([stories.numParams, stories.weightBytes, stories.kvBytesPerToken, stories.vocabSize], [260_032, 1_040_128, 1_280, 512]);
  assert.deepEqual([smol.numParams, smol.weightBytes, smol.kvBytesPerToken, smol.vocabSize], [134_515_008, 538_060_032, 46_080, 49_152]);
  assert.equal(modelKey('smollm2-135m-shape-random'), 'smollm2-random');
  assert.equal(modelKey('stories260K'), 'stories260k');
});

test('floor bytes per decode step and PCIe copy estimate (SmolLM2 B=32 c=64, stories260K B=8)', { skip }, async () => {
  const shapes = await loadReportShapes();
  assert.equal(meanContext(32, 64), 64);
  const smol = stepFloor(shapes.get('smollm2-random')!, 32, 64, 3000, TRANSFERS);
  assert.equal(smol.kvReadBytes, 32 * 64 * 46_080); // 94,371,840
  assert.equal(smol.hbmBytes, 538_060_032 + 94_371_840);
  assert.ok(Math.abs(smol.hbmMs! - 632_431_872 / 3e12 * 1000) < 1e-12);
  assert.equal(smol.d2hBytes, 32 * 46_080 + 32 * 49_152 * 4); // new K/V + logits = 7,766,016
  assert.deepEqual(smol.h2d, { GBps: 20, pinned: false, bytes: 100e6 }, '94 MB: the 100 MB pageable figure');
  assert.deepEqual(smol.d2h, { GBps: 8, pinned: false, bytes: 10e6 }, '7.8 MB: the 10 MB pageable figure');
  assert.ok(Math.abs(smol.pcieMs! - (94_371_840 / 20e9 + 7_766_016 / 8e9) * 1000) < 1e-9); // 4.7186 + 0.9708 ms
  const stories = stepFloor(shapes.get('stories260k')!, 8, 64, 3000, TRANSFERS);
  assert.equal(stories.kvReadBytes, 655_360);
  assert.equal(stories.hbmBytes, 1_695_488);
  assert.equal(stories.d2hBytes, 8 * 1_280 + 8 * 512 * 4);
  assert.equal(stepFloor(shapes.get('stories260k')!, 8, 64, null, []).pcieMs, null, 'no bandwidth file: no estimate');
  assert.equal(stepFloor(shapes.get('smollm2-random')!, 32, 64, 3000, TRANSFERS, 70).h2dBytes, 32 * 70 * 46_080, 'uploaded tokens, not attended ones');
  assert.equal(stepFloor(shapes.get('smollm2-random')!, 32, 64, 3000, TRANSFERS, 70, false).d2hBytes, 32 * 46_080 + 32 * 4, 'greedy_ids, not logits');
});

test('compact uploads whole blocks of the past: mean KV tokens per decode step', () => {
  // decode steps compute positions 32 … 94 and upload ceil(p / 16) blocks: 32, then 48 ×16, 64 ×16, 80 ×16, 96 ×14 → 4448 / 63
  assert.equal(compactKvTokens(32, 64), 4448 / 63);
  assert.equal(compactKvTokens(16, 2), 16, 'one decode step at position 16: exactly one block');
  assert.equal(compactKvTokens(17, 2, 8), 24);
  assert.equal(compactKvTokens(32, 1), 0, 'no decode step');
});

test('RUNNER_BLOCK_SIZE is the block size OrtModelRunner uses when runner-throughput sets none', { skip }, async () => {
  const runner = await createOrtModelRunner({ model: await loadBenchModel('stories260k') });
  assert.ok(runner.ok, !runner.ok ? runner.error.message : '');
  try {
    assert.equal(runner.value.info.blockSize, RUNNER_BLOCK_SIZE);
  } finally {
    await runner.value.close();
  }
});

test('transferFor prefers pageable, then the size nearest on a log scale; pinned only as a fallback', () => {
  assert.equal(transferFor(TRANSFERS, 'h2d', 40e6)!.GBps, 20); // log(100/40) < log(40/10)
  assert.equal(transferFor(TRANSFERS, 'h2d', 20e6)!.GBps, 10);
  assert.equal(transferFor(TRANSFERS.filter((t) => t.pinned), 'h2d', 1e6)!.GBps, 50);
  assert.equal(transferFor(TRANSFERS, 'd2h', 0)!.GBps, 8);
  assert.equal(transferFor([], 'd2h', 1e6), null);
});

test('the limiting term: PCIe copies, everything else, or the HBM floor', () => {
  const floor = { weightBytes: 0, kvReadBytes: 0, hbmBytes: 0, hbmMs: 0.2, h2dBytes: 0, d2hBytes: 0, h2d: null, d2h: null, pcieMs: 5.7 };
  assert.equal(limitingTerm(10, floor)!.largest, 'pcie');
  assert.ok(Math.abs(limitingTerm(10, floor)!.otherMs - 4.1) < 1e-12);
  assert.equal(limitingTerm(30, floor)!.largest, 'other');
  assert.equal(limitingTerm(0.1, { ...floor, pcieMs: 0.05 })!.largest, 'hbm', 'measured under the floor: remainder 0');
  assert.equal(limitingTerm(10, { ...floor, hbmMs: null }), null);
});

test('rows and rendered ratios from a complete fixture folder', { skip }, withTmp(async (dir) => {
  writeFixtures(dir);
  const inputs = readGpuReportInputs([dir]);
  const rows = gpuRows(inputs, await loadReportShapes());
  assert.deepEqual(rows.map((r) => `${r.model}@${r.batch}`), ['stories260k@8', 'smollm2-random@32']);
  const smol = rows[1]!;
  assert.equal(smol.terms!.largest, 'pcie', '10 ms measured: 6.18 ms copies > 3.61 ms other > 0.21 ms HBM');
  assert.equal(smol.eager!.decodeMs, 4);
  assert.equal(smol.eager!.ms, (1 + 63 * 4) / 64, 'PyTorch on ORT\'s footing: (prefill 1 ms + 63 decode steps of 4 ms) ÷ 64 steps');
  const md = renderGpuReport(inputs, rows, { command: 'cmd', chartLinks: [] });
  // ORT-CUDA 3200 tok/s ÷ CPU 400 = 8×; 10 ms ÷ eager 253/64 = 3.953 ms = 2.53×; ÷ graphs 127/64 = 1.984 ms = 5.04×; pool 25 ÷ compact 10 = 2.5×.
  assert.match(md, /\| SmolLM2-135M shape \| 32 \| 10\.00 \| 3200 \| 8\.00× \| 3\.953 \| 2\.53× \| 1\.984 \| 5\.04× \| 2\.50× \|/);
  // 538.1 MB weights, 94.4 MB KV read; floor 0.211 ms; H2D 32 · 70.6 · 46,080 = 104.1 MB (whole blocks of the past); copies 6.176 ms;
  // 10 ÷ 0.211 = 47.44×; 10 ÷ 6.387 = 1.57×; eager decode step 4 ÷ 0.211 = 18.97×.
  assert.match(md, /\| SmolLM2-135M shape \| 32 \| 538\.1 \| 94\.4 \| 0\.211 \| 104\.1 \| 7\.77 \| 6\.176 \| 10\.00 \| 47\.44× \| 1\.57× \| 18\.97× \| PCIe copies \|/);
  assert.match(md, /Measured on \*\*Invented GPU 80GB\*\*/);
  assert.match(md, /ORT figures: the best of 3 rounds; PyTorch: the median decode step over all rounds, tok\/s from the median round\./);
  assert.match(md, /fp32 everywhere \(PyTorch matmuls: ieee; NVIDIA_TF32_OVERRIDE=0, which keeps ORT's CUDA EP off TF32\)/);
  assert.match(md, /greedy output of the CUDA EP server equals the CPU EP server's: yes/);
  const verdict = limitSentences(rows).join('\n');
  assert.match(verdict, /SmolLM2-135M shape, batch 32\*\*: of the measured 10\.00 ms\/step .* \*\*PCIe copies limit throughput\*\*/);
  assert.match(verdict, /stories260K, batch 8\*\*: .* \*\*everything else limit throughput\*\*/, '2 ms vs a µs-scale floor and copies');
  // A compact run that fetched the graph's greedy_ids instead of logits: D2H is new K/V + 4 bytes per sequence.
  const compactFile = join(dir, GPU_REPORT_FILES.ortCompact);
  const compact = JSON.parse(readFileSync(compactFile, 'utf8')) as { opts: Record<string, unknown> };
  writeFileSync(compactFile, JSON.stringify({ ...compact, opts: { ...compact.opts, greedyArgmax: 'graph' } }));
  const greedyRows = gpuRows(readGpuReportInputs([dir]), await loadReportShapes());
  assert.equal(greedyRows[1]!.floor.d2hBytes, 32 * 46_080 + 32 * 4);
  // The optional logits-path run: absent = no column and not listed as missing; present = logits ÷ in-graph ms.
  assert.doesNotMatch(md, /in-graph argmax ms \|/);
  assert.doesNotMatch(md, /Missing \(not measured/);
  writeFileSync(join(dir, GPU_REPORT_FILES.ortCompactLogits), JSON.stringify({
    opts: { ...compact.opts, greedyArgmax: 'js' }, rows: [ortRow('stories260K', 8, 2.2, 3636), ortRow('smollm2-135m-shape-random', 32, 13, 2461)],
  }));
  const withLogits = readGpuReportInputs([dir]);
  const md2 = renderGpuReport(withLogits, gpuRows(withLogits, await loadReportShapes()), { command: 'cmd', chartLinks: [] });
  assert.match(md2, /\| pool ÷ compact ms \| logits fetched ÷ in-graph argmax ms \|/);
  assert.match(md2, /\| SmolLM2-135M shape \| 32 \| 10\.00 \| 3200 \|.*\| 2\.50× \| 1\.30× \|/, '13 ms ÷ 10 ms');
}));

test('a missing file is an error naming it; --allow-missing renders dashes; a malformed file names its path', withTmp(async (dir) => {
  writeFixtures(dir, [GPU_REPORT_FILES.torchGraphs, GPU_REPORT_FILES.bandwidth]);
  assert.throws(() => readGpuReportInputs([dir]), /missing torch-decode-graphs\.json, bandwidth\.json in /);
  const partial = readGpuReportInputs([dir], { allowMissing: true });
  assert.equal(partial.bandwidth, null);
  assert.equal(partial.paths.ortCompact, join(dir, 'ort-cuda-compact.json'));
  writeFileSync(join(dir, GPU_REPORT_FILES.bandwidth), JSON.stringify({ tool: 'something-else' }));
  assert.throws(() => readGpuReportInputs([dir], { allowMissing: true }), new RegExp(`${join(dir, 'bandwidth.json')}: not a bandwidth\\.json`));
  assert.throws(() => readGpuReportInputs([join(dir, 'nope')]), /--dir .*nope does not exist/);
}));

test('files are found across several --dir folders (serve call and bench call)', withTmp((dir) => {
  writeFixtures(join(dir, 'bench'), [GPU_REPORT_FILES.serve]);
  writeFixtures(join(dir, 'serve'), Object.values(GPU_REPORT_FILES).filter((f) => f !== GPU_REPORT_FILES.serve));
  const inputs = readGpuReportInputs([join(dir, 'bench'), join(dir, 'serve')]);
  assert.equal(inputs.paths.serve, join(dir, 'serve', 'serve-checks.json'));
  assert.equal(inputs.paths.bandwidth, join(dir, 'bench', 'bandwidth.json'));
}));

test('marker splice: appended once, replaced in place, idempotent, outside text untouched', () => {
  const page = '# results\n\nintro\n';
  const once = replaceMarkedSection(page, '## GPU\nv1');
  assert.equal(once, `# results\n\nintro\n\n${GPU_REPORT_BEGIN}\n## GPU\nv1\n${GPU_REPORT_END}\n`);
  assert.equal(replaceMarkedSection(once, '## GPU\nv1'), once);
  const middle = `${once}\n## later section\n`;
  const v2 = replaceMarkedSection(middle, '## GPU\nv2\n');
  assert.equal(v2, middle.replace('v1', 'v2'));
  assert.equal(replaceMarkedSection(v2, '## GPU\nv2'), v2);
  assert.equal(replaceMarkedSection('', 'x'), `${GPU_REPORT_BEGIN}\nx\n${GPU_REPORT_END}\n`);
  assert.throws(() => replaceMarkedSection(`a ${GPU_REPORT_BEGIN} b`, 'x'), /unbalanced/);
});

test('gpu-report --write on a copy of a page: section + charts + inputs, a second run changes nothing', { skip }, withTmp(async (dir) => {
  writeFixtures(join(dir, 'files'));
  const page = join(dir, 'RESULTS.md');
  writeFileSync(page, '# mini-dynamo benchmark results\n\n## Other section\nkept\n');
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(await gpuReportMain(['--dir', join(dir, 'files'), '--write', page]), 0);
    const first = readFileSync(page, 'utf8');
    assert.equal(await gpuReportMain(['--dir', join(dir, 'files'), '--write', page]), 0);
    assert.equal(readFileSync(page, 'utf8'), first);
    assert.ok(first.startsWith('# mini-dynamo benchmark results\n\n## Other section\nkept\n\n<!-- gpu-report:begin -->'));
    assert.match(first, /!\[gpu-throughput-smollm2-random\.svg\]\(results\/gpu\/gpu-throughput-smollm2-random\.svg\)/);
    const svg = readFileSync(join(dir, 'results', 'gpu', 'gpu-throughput-smollm2-random.svg'), 'utf8');
    for (const name of ['ORT-CUDA compact', 'ORT-CUDA pool', 'PyTorch eager', 'PyTorch graphs', 'ORT-CPU']) assert.ok(svg.includes(name), name);
    assert.ok(existsSync(join(dir, 'results', 'gpu', 'bandwidth.json')));
    assert.equal(await gpuReportMain(['--dir', join(dir, 'absent')]), 1);
  } finally {
    console.log = log;
  }
}));

test('markedSection reads back what replaceMarkedSection wrote (bench report keeps the GPU section)', () => {
  const page = replaceMarkedSection('# results\n', '## GPU\nbody');
  assert.equal(markedSection(page), '## GPU\nbody');
  assert.equal(markedSection('# results\n'), null);
  assert.equal(replaceMarkedSection('# regenerated page\n', markedSection(page)!), '# regenerated page\n\n' + page.slice('# results\n\n'.length));
});
