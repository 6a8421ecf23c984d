// gpu-report's Markdown section (serve checks, bandwidth, step-time table, bytes-moved floor table, what limits
// throughput), its charts, and the marker-delimited splice into RESULTS.md. Invariant: splicing is idempotent and
// leaves everything outside the markers byte-for-byte unchanged.

import { GPU_REPORT_FILES, OPTIONAL_GPU_REPORT_FILES, type GpuReportFile, type GpuReportInputs, type ServeChecksFile } from './gpu-report-inputs.js';
import { compactKvTokens, meanContext, RUNNER_BLOCK_SIZE, workloadOf, type GpuRow, type Term } from './gpu-report.js';
import { lineChart } from './svg-chart.js';

export const GPU_REPORT_BEGIN = '<!-- gpu-report:begin -->';
export const GPU_REPORT_END = '<!-- gpu-report:end -->';

const MB = 1e6;
const dash = '—';
const f = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? dash : v.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  (a == null || b == null || b === 0 ? dash : `${(a / b).toFixed(2)}×`);
const mb = (bytes: number): string => (bytes / MB < 10 ? (bytes / MB).toFixed(2) : (bytes / MB).toFixed(1));

/** Replaces the text between the gpu-report markers (markers kept), or appends the marked section. */
export function replaceMarkedSection(doc: string, section: string): string {
  const block = `${GPU_REPORT_BEGIN}\n${section.trim()}\n${GPU_REPORT_END}`;
  const begin = doc.indexOf(GPU_REPORT_BEGIN);
  const end = doc.indexOf(GPU_REPORT_END);
  if (begin >= 0 && end > begin) return doc.slice(0, begin) + block + doc.slice(end + GPU_REPORT_END.length);
  if (begin >= 0 || end >= 0) throw new Error(`unbalanced ${GPU_REPORT_BEGIN} / ${GPU_REPORT_END} markers`);
  return `${doc.replace(/\s*$/, '')}${doc.trim() === '' ? '' : '\n\n'}${block}\n`;
}

/** The text between the gpu-report markers, or null when the page has none. */
export function markedSection(doc: string): string | null {
  const begin = doc.indexOf(GPU_REPORT_BEGIN);
  const end = doc.indexOf(GPU_REPORT_END);
  return begin >= 0 && end > begin ? doc.slice(begin + GPU_REPORT_BEGIN.length, end).trim() : null;
}

export function deviceLine(inputs: GpuReportInputs): { gpu: string | null; text: string } {
  const gpu = inputs.bandwidth?.gpu ?? inputs.torchEager?.gpu ?? null;
  const torch = inputs.bandwidth?.torch ?? inputs.torchEager?.torch ?? null;
  if (gpu !== null) return { gpu, text: `Measured on **${gpu}**${torch === null ? '' : ` (PyTorch ${torch})`}.` };
  return { gpu, text: '**Dry run without a GPU** (`MEASURE_DEVICE=cpu`): the "ORT-CUDA" columns ran on the CPU EP and PyTorch on the CPU; the ' +
    'HBM and PCIe figures are not a GPU\'s. Shown to check the pipeline, not as results.' };
}

/** "fp32 everywhere", with what the PyTorch runs recorded: their matmul mode and NVIDIA_TF32_OVERRIDE (ORT's CUDA EP too). */
function precisionLine(inputs: GpuReportInputs): string {
  const t = inputs.torchEager ?? inputs.torchGraphs;
  if (t?.device !== 'cuda') return 'fp32 everywhere.';
  return `fp32 everywhere (PyTorch matmuls: ${t.fp32Matmul ?? 'not recorded'}; NVIDIA_TF32_OVERRIDE=${t.tf32Override ?? 'unset'}, ` +
    `which ${t.tf32Override === '0' ? 'keeps' : '**does not keep**'} ORT's CUDA EP off TF32).`;
}

function serveLines(s: ServeChecksFile | null): string[] {
  if (s === null) return ['Serve checks: not run (serve-checks.json missing).'];
  const yes = (b: boolean | null): string => (b === null ? 'not checked (no GPU)' : b ? 'yes' : '**NO**');
  return [
    `Serve checks (\`measure.sh serve\`, ${s.model}, ${s.maxTokens} tokens): greedy output of the CUDA EP server equals the CPU EP server's: ` +
      `${yes(s.checks.greedyEqual)} (${s.greedy.length} prompts, e.g. ${JSON.stringify(s.greedy[0]?.primaryText.slice(0, 60) ?? '')}…); ` +
      `\`dynamo_gpu_*\` series on /metrics: ${yes(s.checks.gpuMetrics)} (${s.gpuMetricLines.length}); streamed answer through the official ` +
      `\`openai\` client: ${yes(s.checks.stream)} (${s.stream.numChunks} chunks, finish_reason ${s.stream.finishReason}).`,
  ];
}

function bandwidthLines(inputs: GpuReportInputs): string[] {
  const bw = inputs.bandwidth;
  if (bw === null) return ['Bandwidth: not measured (bandwidth.json missing): no floor or copy estimate.'];
  const rows = bw.transfers.map((t) => `| ${t.direction.toUpperCase()} | ${t.pinned ? 'pinned' : 'pageable'} | ${mb(t.bytes)} | ${f(t.GBps, 1)} | ${f(t.msMedian, 3)} |`);
  const hbm = `HBM: device-to-device copy ${f(bw.d2dReadWriteGBps, 0)} GB/s counting bytes read + written (${f(bw.d2dGBps, 0)} GB/s copied)`;
  if (rows.length === 0) return [`${hbm}; no host↔device transfers measured (no GPU), so no copy estimate.`];
  return [`${hbm}; host↔device (median of CUDA-event-timed copies):`, '', '| direction | host memory | MB | GB/s | ms |', '|---|---|---|---|---|', ...rows];
}

function stepTable(rows: GpuRow[]): string[] {
  const withLogits = rows.some((r) => r.logits !== null); // the optional logits-path run
  return [
    '| model | batch | ORT-CUDA ms/step | ORT-CUDA tok/s | ÷ ORT-CPU tok/s | PyTorch eager ms/step | ORT ÷ eager ms | PyTorch graphs ms/step | ORT ÷ graphs ms | pool ÷ compact ms |' +
      (withLogits ? ' logits fetched ÷ in-graph argmax ms |' : ''),
    `|---|---|---|---|---|---|---|---|---|---|${withLogits ? '---|' : ''}`,
    ...rows.map((r) => `| ${r.label} | ${r.batch} | ${f(r.compact?.ms)} | ${f(r.compact?.tps, 0)} | ${ratio(r.compact?.tps, r.cpu?.tps)} | ` +
      `${f(r.eager?.ms, 3)} | ${ratio(r.compact?.ms, r.eager?.ms)} | ${f(r.graphs?.ms, 3)} | ${ratio(r.compact?.ms, r.graphs?.ms)} | ${ratio(r.pool?.ms, r.compact?.ms)} |` +
      (withLogits ? ` ${ratio(r.logits?.ms, r.compact?.ms)} |` : '')),
  ];
}

const TERM_NAME: Record<Term, string> = { pcie: 'PCIe copies', other: 'everything else', hbm: 'HBM floor' };

function floorTable(rows: GpuRow[]): string[] {
  return [
    '| model | batch | weights MB | KV read MB | HBM floor ms | H2D MB | D2H MB | est. copy ms | ORT-CUDA ms/step | ÷ HBM floor | ÷ (floor + copies) | PyTorch eager decode step ÷ floor | largest term |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const fl = r.floor;
      const both = fl.hbmMs === null || fl.pcieMs === null ? null : fl.hbmMs + fl.pcieMs;
      return `| ${r.label} | ${r.batch} | ${mb(fl.weightBytes)} | ${mb(fl.kvReadBytes)} | ${f(fl.hbmMs, 3)} | ${mb(fl.h2dBytes)} | ${mb(fl.d2hBytes)} | ` +
        `${f(fl.pcieMs, 3)} | ${f(r.compact?.ms)} | ${ratio(r.compact?.ms, fl.hbmMs)} | ${ratio(r.compact?.ms, both)} | ${ratio(r.eager?.decodeMs, fl.hbmMs)} | ` +
        `${r.terms === null ? dash : TERM_NAME[r.terms.largest]} |`;
    }),
  ];
}

const REMEDY: Record<Term, string> = {
  pcie: 'What removes it: keep the KV pool on the device (ORT IO binding, which onnxruntime-node does not expose, or a native addon); ' +
    'greedy and temperature-only steps already leave the logits there (greedy_ids / sampled_ids fetched); fp16 KV halves what is left.',
  other: 'What removes it: fewer, larger kernel launches per step (CUDA graphs, fused attention), less JS work per step (no KV ' +
    'compaction once the pool is device-resident), and larger batches to spread the fixed cost.',
  hbm: 'What removes it: fewer bytes per step: fp16/bf16 (half) or quantised weights and KV.',
};

/** The generated "what limits throughput" sentences: one per model, at its largest measured batch. */
export function limitSentences(rows: GpuRow[]): string[] {
  const out: string[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const r = rows.filter((x) => x.model === model && x.terms !== null && x.compact !== null).at(-1);
    if (r === undefined || r.terms === null || r.compact === null) continue;
    const t = r.terms, fl = r.floor;
    const torch = [r.eager && `PyTorch eager ${f(r.eager.ms, 3)} ms/step`, r.graphs && `with CUDA graphs ${f(r.graphs.ms, 3)} ms/step`].filter(Boolean);
    out.push(`- **${r.label}, batch ${r.batch}**: of the measured ${f(r.compact.ms)} ms/step (ORT-CUDA, compact KV), the estimated ` +
      `host↔device copies take ${f(t.pcieMs, 3)} ms (${mb(fl.h2dBytes)} MB KV H2D at ${f(fl.h2d?.GBps, 1)} GB/s + ${mb(fl.d2hBytes)} MB new K/V + logits or greedy_ids ` +
      `D2H at ${f(fl.d2h?.GBps, 1)} GB/s), everything else ${f(t.otherMs, 3)} ms, the HBM floor ${f(t.hbmMs, 3)} ms: **${TERM_NAME[t.largest]} ` +
      `limit throughput**${torch.length > 0 ? `; on the same device ${torch.join(', ')}` : ''}. ${REMEDY[t.largest]}`);
  }
  return out.length > 0 ? out : ['- No verdict: it needs ORT-CUDA step times, the HBM bandwidth and H2D/D2H transfer figures (ort-cuda-compact.json, bandwidth.json from a GPU).'];
}

export interface RenderMeta { command: string; chartLinks: string[] }

export function renderGpuReport(inputs: GpuReportInputs, rows: GpuRow[], meta: RenderMeta): string {
  const { promptTokens, outputTokens } = workloadOf(inputs);
  const missing = Object.entries(inputs.paths).filter(([k, p]) => p === null && !OPTIONAL_GPU_REPORT_FILES.has(k as GpuReportFile))
    .map(([k]) => GPU_REPORT_FILES[k as GpuReportFile]);
  return [
    '## GPU: ORT CUDA EP vs CPU EP vs PyTorch, and the bytes-moved floor (issue 9)',
    '',
    `${deviceLine(inputs).text} Steps: \`infra/gpu/measure.sh serve\`, \`measure.sh bench\` on the unpacked offline bundle (infra/gpu/README.md ` +
      `section 4); this section: \`${meta.command}\`.`,
    `Workload (runner-throughput and torch_decode_bench.py): ${promptTokens}-token prompts, ${outputTokens} output tokens, EOS ignored; batch = ` +
      `concurrent sequences; mean context c = ${meanContext(promptTokens, outputTokens)}. ms/step = wall time ÷ steps, prefill included, for both ` +
      '(one prefill step + output − 1 decode steps; PyTorch: (prefill + (output − 1) × median decode step) ÷ output, CUDA events); ' +
      `tok/s = output tokens ÷ wall time of the whole batch. ORT figures: the best of ${inputs.ortCompact?.opts.rounds ?? 'the'} rounds; ` +
      `PyTorch: the median decode step over all rounds, tok/s from the median round. ${precisionLine(inputs)}`,
    ...(missing.length > 0 ? ['', `Missing (not measured or timed out): ${missing.join(', ')}; their columns show ${dash}.`] : []),
    '', ...serveLines(inputs.serve),
    '', ...bandwidthLines(inputs),
    '', '### Step time and throughput', '', ...stepTable(rows),
    '', `ORT-CPU = CPU EP in the same run (\`--threads\` as measure.sh sets); pool ÷ compact = step time uploading the whole KV pool ÷ uploading only the blocks a step reads; ` +
      'logits fetched ÷ in-graph argmax (when ort-cuda-compact-logits.json is there) = step time copying B·vocab·4 bytes of logits back and taking the argmax in JS ÷ ArgMax in the graph, only greedy_ids fetched.',
    '', '### Bytes moved per decode step', '',
    'HBM floor = (weights 4·numParams + KV read B·c·kvBytesPerToken) ÷ HBM bandwidth; copies (compact design) = the whole KV blocks of each ' +
      `sequence's past H2D (B·${f(compactKvTokens(promptTokens, outputTokens), 1)} tokens·kvBytesPerToken on average at block ${RUNNER_BLOCK_SIZE}) + new K/V ` +
      '(B·kvBytesPerToken) and logits (B·vocab·4; B·4 when the compact run fetched the graph\'s greedy_ids) D2H, over the pageable bandwidth measured nearest that size. "Everything else" = measured − floor − copies.',
    '', ...floorTable(rows),
    '', '### What limits throughput', '', ...limitSentences(rows),
    ...(meta.chartLinks.length > 0 ? ['', ...meta.chartLinks] : []),
    '',
  ].join('\n');
}

/** tok/s vs batch per model: ORT-CUDA compact, ORT-CUDA pool, PyTorch eager (and graphs), ORT-CPU. */
export function gpuThroughputCharts(rows: GpuRow[], dryRun: boolean): { file: string; svg: string }[] {
  const pick = (name: string, rs: GpuRow[], get: (r: GpuRow) => number | undefined) =>
    ({ name, points: rs.filter((r) => get(r) !== undefined).map((r) => [r.batch, get(r)!] as [number, number]) });
  return [...new Set(rows.map((r) => r.model))].map((model) => {
    const rs = rows.filter((r) => r.model === model);
    const series = [
      pick('ORT-CUDA compact', rs, (r) => r.compact?.tps), pick('ORT-CUDA pool', rs, (r) => r.pool?.tps),
      pick('PyTorch eager', rs, (r) => r.eager?.tps), pick('PyTorch graphs', rs, (r) => r.graphs?.tps), pick('ORT-CPU', rs, (r) => r.cpu?.tps),
    ].filter((s) => s.points.length > 0);
    const title = `${rs[0]!.label}: output tok/s vs batch${dryRun ? ' (CPU dry run)' : ''}`;
    return { file: `gpu-throughput-${model}.svg`, svg: lineChart({ title, xLabel: 'batch (concurrent sequences)', yLabel: 'output tokens/s', series }) };
  });
}
