// spec-decode: what n-gram speculative decoding buys. Output tokens/s of Engine + OrtModelRunner serving
// TinyStories-style prompts greedily with speculation off and on (num_speculative_tokens k = 2, 4, 8), at batch 1
// (prompts one at a time) and batch 8 (all at once), as ratios to off from the same interleaved rounds; plus the
// draft acceptance rate and the mean tokens a sequence gains per step. Every speculative run must emit exactly the
// off run's tokens (verification picks each token as plain decoding does): a difference aborts the bench.
// --per-batch-size adds a configuration with vLLM's dynamic k table (num_speculative_tokens_per_batch_size) over the last k.
// Run: node bench/dist/cli.js spec-decode [--models stories260k,smollm2-random] [--ks 2,4,8] [--batches 1,8]
//      [--per-batch-size '[[1,4,4],[5,512,0]]'] [--output-tokens 128] [--rounds 3] [--batch1-prompts 8] [--threads 1]
//      [--device cpu|cuda] [--out bench/results/spec-decode]

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Engine } from '@mini-dynamo/engine';
import { createOrtModelRunner, loadTokenizer, type OrtDevice, type OrtModelRunner } from '@mini-dynamo/model';
import { parseSpeculativeConfig, samplingParams, type BatchSizeRange, type GenerateRequest, type SpeculativeConfig } from '@mini-dynamo/protocol';
import { BENCH_MODELS, loadBenchModel } from './bench-models.js';
import { workloadNumBlocks } from './runner-throughput.js';
import { barChart } from './svg-chart.js';

/** TinyStories-style openings: the model's greedy continuations repeat names and phrases, which n-gram drafts exploit. */
const STORY_PROMPTS = [
  'Once upon a time, there was a little girl named Lily. She loved to play in the park.',
  'One day, a little boy named Tom found a big red ball in the garden.',
  'Once upon a time, there was a small cat who liked to sleep in the sun.',
  'Sam and his mom went to the store to buy some milk and bread.',
  'There was a big tree in the forest. A little bird lived in the tree.',
  'Lucy had a pretty doll. She took her doll everywhere she went.',
  'Once upon a time, a happy dog named Max wanted to find a new friend.',
  'Ben liked to draw pictures. One day he drew a big blue boat.',
];

export interface SpecRow {
  model: string;
  batch: number;
  /** null = speculation off (the baseline). */
  k: number | null;
  /** vLLM's num_speculative_tokens_per_batch_size over k; null: k at every batch size. */
  perBatchSize: BatchSizeRange[] | null;
  tokensPerSecond: number;
  ratioToOff: number;
  /** The same ratio per CPU-second of this process (user + sys): steadier than wall time on a loaded shared host. */
  cpuRatioToOff: number;
  /** Accepted / proposed draft tokens (null when off). */
  acceptanceRate: number | null;
  /** Tokens a sequence emits per step it is decoded in (1 without speculation; 1 + accepted drafts with). */
  meanTokensPerStep: number;
  /** Accepted drafts per verified row (vLLM's mean acceptance length − 1); null when nothing was verified. */
  meanAcceptedPerDraftRow: number | null;
}

/** One configuration measured: off (k null), a fixed k, or k with a batch-size table. */
interface SpecSetting { k: number | null; perBatchSize: BatchSizeRange[] | null }

const label = (s: SpecSetting) => (s.k === null ? 'off' : `k=${s.k}${s.perBatchSize === null ? '' : ` ${JSON.stringify(s.perBatchSize)}`}`);

interface RunStats { seconds: number; cpuSeconds: number; numTokens: number; numSeqSteps: number; numDrafts: number; numAccepted: number; numDraftRows: number; tokens: Map<string, number[]> }

interface Options { outputTokens: number; rounds: number; batch1Prompts: number }

function speculative({ k, perBatchSize }: SpecSetting): SpeculativeConfig | null {
  if (k === null) return null;
  const config: SpeculativeConfig = { method: 'ngram', numSpeculativeTokens: k, promptLookupMax: 4, promptLookupMin: 1 };
  return perBatchSize === null ? config : { ...config, numSpeculativeTokensPerBatchSize: perBatchSize };
}

/** Serves `requests` in groups of `batch` (each group added at once, run to completion). */
async function serve(runner: OrtModelRunner, requests: GenerateRequest[], batch: number, setting: SpecSetting): Promise<RunStats> {
  const stats: RunStats = { seconds: 0, cpuSeconds: 0, numTokens: 0, numSeqSteps: 0, numDrafts: 0, numAccepted: 0, numDraftRows: 0, tokens: new Map() };
  const engine = new Engine(runner, { workerId: 'bench', enablePrefixCaching: false, maxNumSeqs: Math.max(8, batch), speculative: speculative(setting) }, {
    onSpeculation(numDraftTokens, numAcceptedTokens, numDraftRows) {
      stats.numDrafts += numDraftTokens;
      stats.numAccepted += numAcceptedTokens;
      stats.numDraftRows += numDraftRows;
    },
  });
  engine.onEvent((e) => {
    if (e.kind === 'failed') throw new Error(`${e.requestId} failed: ${e.error.message}`);
    if (e.kind !== 'tokens') return;
    stats.numTokens += e.tokenIds.length;
    stats.numSeqSteps++;
    const id = e.requestId.split('/')[1]!;
    stats.tokens.set(id, [...(stats.tokens.get(id) ?? []), ...e.tokenIds]);
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < requests.length; i += batch) {
    for (const r of requests.slice(i, i + batch)) {
      const added = engine.add(r);
      if (!added.ok) throw new Error(added.error.message);
    }
    while (engine.hasWork()) await engine.step();
  }
  stats.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stats.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return stats;
}

function requestsFor(prompts: number[][], opts: Options, tag: string): GenerateRequest[] {
  return prompts.map((promptTokenIds, i) => ({
    requestId: `${tag}/${i}`, promptTokenIds,
    sampling: samplingParams({ temperature: 0, maxTokens: opts.outputTokens, ignoreEos: true }),
    cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
  }));
}

function assertSameTokens(off: RunStats, on: RunStats, what: string): void {
  for (const [id, tokens] of off.tokens) {
    const other = on.tokens.get(id) ?? [];
    if (other.join(',') !== tokens.join(',')) throw new Error(`${what}: prompt ${id} differs from speculation off (${other.length} vs ${tokens.length} tokens)`);
  }
}

/** Round r starts at configuration r (mod n): no configuration always runs first (or right after another). */
function rotate<T>(xs: readonly T[], r: number): T[] {
  const i = r % xs.length;
  return [...xs.slice(i), ...xs.slice(0, i)];
}

type Pooled = { numDrafts: number; numAccepted: number; numDraftRows: number; numTokens: number; numSeqSteps: number };

function pool(p: Pooled | undefined, run: RunStats): Pooled {
  const q = p ?? { numDrafts: 0, numAccepted: 0, numDraftRows: 0, numTokens: 0, numSeqSteps: 0 };
  return { numDrafts: q.numDrafts + run.numDrafts, numAccepted: q.numAccepted + run.numAccepted, numDraftRows: q.numDraftRows + run.numDraftRows,
    numTokens: q.numTokens + run.numTokens, numSeqSteps: q.numSeqSteps + run.numSeqSteps };
}

/** Best tokens/s over interleaved rounds (off, k…, the table), per batch size; acceptance from all rounds pooled. */
async function measure(model: string, runner: OrtModelRunner, prompts: number[][], settings: SpecSetting[], batches: number[], opts: Options): Promise<SpecRow[]> {
  const off: SpecSetting = { k: null, perBatchSize: null };
  await serve(runner, requestsFor(prompts.slice(0, 2), { ...opts, outputTokens: 8 }, 'warmup'), 2, off);
  const rows: SpecRow[] = [];
  const configs = [off, ...settings];
  for (const batch of batches) {
    const used = batch === 1 ? prompts.slice(0, opts.batch1Prompts) : prompts;
    const best = new Map<SpecSetting, number>();
    const bestCpu = new Map<SpecSetting, number>();
    const pooled = new Map<SpecSetting, Pooled>();
    for (let round = 0; round < opts.rounds; round++) {
      const runs = new Map<SpecSetting, RunStats>();
      for (const [i, c] of rotate([...configs.entries()], round)) runs.set(c, await serve(runner, requestsFor(used, opts, `b${batch}-c${i}-r${round}`), batch, c));
      for (const [c, run] of runs) {
        if (c !== off) assertSameTokens(runs.get(off)!, run, `${model} batch ${batch} ${label(c)}`);
        best.set(c, Math.max(best.get(c) ?? 0, run.numTokens / run.seconds));
        bestCpu.set(c, Math.max(bestCpu.get(c) ?? 0, run.numTokens / run.cpuSeconds));
        pooled.set(c, pool(pooled.get(c), run));
      }
    }
    for (const c of configs) {
      const p = pooled.get(c)!;
      const row: SpecRow = {
        model, batch, k: c.k, perBatchSize: c.perBatchSize, tokensPerSecond: best.get(c)!, ratioToOff: best.get(c)! / best.get(off)!,
        cpuRatioToOff: bestCpu.get(c)! / bestCpu.get(off)!,
        acceptanceRate: p.numDrafts === 0 ? null : p.numAccepted / p.numDrafts, meanTokensPerStep: p.numTokens / p.numSeqSteps,
        meanAcceptedPerDraftRow: p.numDraftRows === 0 ? null : p.numAccepted / p.numDraftRows,
      };
      rows.push(row);
      console.log(`${model} batch ${batch} ${label(c)}: ${row.tokensPerSecond.toFixed(1)} tok/s (${row.ratioToOff.toFixed(2)}x off, per CPU-s ${row.cpuRatioToOff.toFixed(2)}x), `
        + `acceptance ${row.acceptanceRate === null ? '—' : `${(100 * row.acceptanceRate).toFixed(1)}%`}, ${row.meanTokensPerStep.toFixed(2)} tokens/step`);
    }
  }
  return rows;
}

/** The prompts as the model's token ids (BOS + text), with its own tokenizer. */
async function encodePrompts(modelKey: string): Promise<number[][]> {
  const entry = BENCH_MODELS.find((m) => m.key === modelKey);
  if (entry === undefined) throw new Error(`unknown model ${modelKey}`);
  const tok = await loadTokenizer(entry.dir());
  if (!tok.ok) throw new Error(`${entry.label}: ${tok.error.message}`);
  return STORY_PROMPTS.map((p) => tok.value.encode(p, { addSpecialTokens: true }));
}

export function markdownTable(rows: readonly SpecRow[]): string {
  const lines = ['| model | batch | speculation | tok/s | ÷ off | ÷ off per CPU-s | acceptance | tokens / seq-step | accepted / draft row |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.model} | ${r.batch} | ${label(r)} | ${r.tokensPerSecond.toFixed(1)} | ${r.ratioToOff.toFixed(2)}x | ${r.cpuRatioToOff.toFixed(2)}x | `
      + `${r.acceptanceRate === null ? '—' : `${(100 * r.acceptanceRate).toFixed(1)}%`} | ${r.meanTokensPerStep.toFixed(2)} | `
      + `${r.meanAcceptedPerDraftRow === null ? '—' : r.meanAcceptedPerDraftRow.toFixed(2)} |`);
  }
  return lines.join('\n');
}

function charts(rows: readonly SpecRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const mine = rows.filter((r) => r.model === model);
    const labels = [...new Set(mine.map(label))];
    out.set(`spec-decode-${model.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.svg`, barChart({
      title: `${model}: n-gram speculation, output tokens/s ÷ off (greedy)`, yLabel: 'tokens/s ÷ off',
      categories: labels,
      groups: [...new Set(mine.map((r) => r.batch))].flatMap((b) => {
        const at = (l: string) => mine.find((r) => r.batch === b && label(r) === l);
        return [{ name: `batch ${b}, wall`, values: labels.map((l) => at(l)?.ratioToOff ?? null) },
          { name: `batch ${b}, per CPU-s`, values: labels.map((l) => at(l)?.cpuRatioToOff ?? null) }];
      }),
    }));
  }
  return out;
}

const ints = (s: string, name: string): number[] => s.split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes positive integers, got ${s}`);
  return n;
});

export async function main(args: string[] = process.argv.slice(2)): Promise<SpecRow[]> {
  const { values } = parseArgs({ args, options: {
    models: { type: 'string', default: 'stories260k' }, ks: { type: 'string', default: '2,4,8' }, batches: { type: 'string', default: '1,8' },
    'output-tokens': { type: 'string', default: '128' }, rounds: { type: 'string', default: '3' }, 'batch1-prompts': { type: 'string', default: '8' },
    'per-batch-size': { type: 'string' }, threads: { type: 'string', default: '1' }, out: { type: 'string', default: join('bench', 'results', 'spec-decode') },
    device: { type: 'string', default: 'cpu' },
  } });
  const device = values.device as OrtDevice;
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda, got ${values.device}`);
  const opts: Options = { outputTokens: ints(values['output-tokens'], 'output-tokens')[0]!, rounds: ints(values.rounds, 'rounds')[0]!, batch1Prompts: ints(values['batch1-prompts'], 'batch1-prompts')[0]! };
  const ks = ints(values.ks, 'ks');
  const batches = ints(values.batches, 'batches');
  const settings: SpecSetting[] = ks.map((k) => ({ k, perBatchSize: null }));
  if (values['per-batch-size'] !== undefined) settings.push({ k: ks.at(-1)!, perBatchSize: perBatchSizeTable(values['per-batch-size'], ks.at(-1)!) });
  const rows: SpecRow[] = [];
  for (const key of values.models.split(',')) {
    const prompts = await encodePrompts(key);
    const model = await loadBenchModel(key);
    const seqLen = Math.max(...prompts.map((p) => p.length)) + opts.outputTokens + Math.max(...ks) + 1;
    const r = await createOrtModelRunner({ model, device, numBlocks: workloadNumBlocks(model.config, Math.max(...batches), seqLen),
      intraOpNumThreads: ints(values.threads, 'threads')[0]!, onProgress: (m) => console.log(m) });
    if (!r.ok) throw new Error(r.error.message);
    try {
      rows.push(...await measure(model.name, r.value, prompts, settings, batches, opts));
    } finally {
      await r.value.close();
    }
  }
  const table = markdownTable(rows);
  console.log(`\n${STORY_PROMPTS.length} TinyStories-style prompts, greedy, ${opts.outputTokens} output tokens (ignore_eos), best of ${opts.rounds} interleaved rounds; `
    + `batch 1 serves ${opts.batch1Prompts} prompts one at a time; lookup n-grams 1–4.\n\n${table}`);
  mkdirSync(values.out, { recursive: true });
  for (const [file, svg] of charts(rows)) writeFileSync(join(values.out, file), svg);
  writeFileSync(join(values.out, 'spec-decode.json'), JSON.stringify({ opts: { ...opts, ks, batches, perBatchSize: values['per-batch-size'] ?? null }, rows }, null, 2) + '\n');
  return rows;
}

/** --per-batch-size, validated by the served parser (the table applies over k, the last of --ks). */
function perBatchSizeTable(text: string, k: number): BatchSizeRange[] {
  const parsed = parseSpeculativeConfig(JSON.stringify({ method: 'ngram', num_speculative_tokens: k, num_speculative_tokens_per_batch_size: JSON.parse(text) }));
  if (!parsed.ok) throw new Error(`--per-batch-size: ${parsed.error}`);
  return [...parsed.value.numSpeculativeTokensPerBatchSize!];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
