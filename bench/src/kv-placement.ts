// kv-placement: where the KV pool lives and what it costs per step on the CPU EP (numbers for ARCHITECTURE.md).
// 1) decode step time vs KV pool size (is the JS-owned pool really passed zero-copy?) next to what one copy of
//    the pool would cost in JS and over PCIe; 2) step time and past-KV Gather kernel time vs context length;
//    3) 'compact' KV transfer (what the CUDA EP path sends) vs the whole pool; 4) greedy argmax in the graph
//    (greedy_ids fetched) vs logits fetched + JS argmax, decode at batch 1/8/32; 5) temperature-1 sampling in the
//    graph (sampled_ids fetched) vs logits fetched + JS sampleToken, decode at batch 1/8/32; 6) the same with an
//    allowed-token mask (allowed_mask fed, picked in the graph) vs logits fetched + JS masking and sampling; 7) top-p /
//    top-k / min-p sampling in the graph (top_k_ids / top_p_ids: one bounded TopK per row) vs logits fetched + JS sampleToken.
// Run: node bench/dist/kv-placement.js [--models stories260k,smollm2-random] [--runs 30] [--sections pool,context,argmax,temperature,masked,topp]

import { parseArgs } from 'node:util';
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createOrtModelRunner, kvBytesPerToken, type GraphModel, type GreedyArgmax, type KvTransfer, type MaskedPicks, type OrtModelRunner, type TemperatureSampling, type TruncatedSampling } from '@mini-dynamo/model';
import { samplingParams, type SamplingParams, type StepBatch } from '@mini-dynamo/protocol';
import { loadBenchModel } from './bench-models.js';
import { median } from './percentiles.js';

const PCIE_GBPS = 25; // H2D from pageable host memory, PCIe Gen4/5 x16, GB/s (optimistic for pageable)
const MB = 2 ** 20;

function decodeBatch(numSeqs: number, context: number, blockSize: number, sampling: SamplingParams = samplingParams({ temperature: 0 })): StepBatch {
  const numBlocksPerSeq = Math.ceil((context + 1) / blockSize);
  return {
    numTokens: numSeqs,
    sequences: Array.from({ length: numSeqs }, (_, b) => ({
      seqId: b, tokenIds: [5], startPosition: context, sampling, outputTokenIds: [], numPromptTokens: context,
      blockTable: Array.from({ length: numBlocksPerSeq }, (_, i) => b * numBlocksPerSeq + i),
    })),
  };
}

/** Median of `runs` step times (ms). */
async function stepMs(runner: OrtModelRunner, batch: StepBatch, runs: number): Promise<number> {
  await runner.step(batch);
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await runner.step(batch); ts.push(performance.now() - t); }
  return median(ts)!;
}

async function withRunner<T>(
  model: GraphModel, numBlocks: number, kvTransfer: KvTransfer, fn: (r: OrtModelRunner) => Promise<T>,
  greedyArgmax: GreedyArgmax = 'graph', temperatureSampling: TemperatureSampling = 'graph', maskedPicks: MaskedPicks = 'graph',
  truncatedSampling: TruncatedSampling = 'graph',
): Promise<T> {
  const r = await createOrtModelRunner({ model, numBlocks, kvTransfer, intraOpNumThreads: 1, greedyArgmax, temperatureSampling, maskedPicks, truncatedSampling });
  if (!r.ok) throw new Error(r.error.message);
  try { return await fn(r.value); } finally { await r.value.close(); }
}

function copyMs(bytes: number): number {
  const src = new Float32Array(bytes / 4), dst = new Float32Array(bytes / 4);
  dst.set(src);
  const t = performance.now();
  dst.set(src);
  return performance.now() - t;
}

async function poolSizeSweep(model: GraphModel, runs: number): Promise<void> {
  const perBlock = kvBytesPerToken(model.config) * 16;
  console.log(`\n### ${model.name}: decode step (8 seqs, context 64) vs KV pool size\n`);
  console.log('| pool | step ms (median) | one JS copy of the pool, ms | pool over PCIe at 25 GB/s, ms |\n|---|---|---|---|');
  for (const poolMb of [4, 64, 256, 1024]) {
    const numBlocks = Math.max(40, Math.floor((poolMb * MB) / perBlock));
    const ms = await withRunner(model, numBlocks, 'pool', (r) => stepMs(r, decodeBatch(8, 64, 16), runs));
    const bytes = numBlocks * perBlock;
    console.log(`| ${(bytes / MB).toFixed(0)} MiB | ${ms.toFixed(2)} | ${copyMs(bytes).toFixed(2)} | ${((bytes / (PCIE_GBPS * 1e9)) * 1000).toFixed(2)} |`);
  }
}

/** Median kernel time (ms) of the Gathers that read kv_cache, from an ORT profile of `runs` runs. */
async function pastKvGatherMs(runner: OrtModelRunner, batch: StepBatch, runs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'md-prof-'));
  const session = await ort.InferenceSession.create(runner.graphPath, { enableProfiling: true, profileFilePrefix: join(dir, 'p'), intraOpNumThreads: 1 });
  const feeds = runner.feedsFor(batch);
  for (let i = 0; i < runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string; input_type_shape?: Record<string, number[]>[] } }[];
  rmSync(dir, { recursive: true, force: true });
  const rows = runner.pool.numRows / runner.pool.shape.blockSize; // kv_cache is fed as [block rows, blockSize, D]
  const per = new Map<string, number[]>();
  for (const e of events) {
    const first = e.args.input_type_shape?.[0];
    if (e.cat !== 'Node' || e.args.op_name !== 'Gather' || first === undefined || Object.values(first)[0]?.[0] !== rows) continue;
    per.set(e.name, [...(per.get(e.name) ?? []), e.dur]);
  }
  let total = 0;
  for (const durs of per.values()) total += median(durs)!;
  return total / 1000;
}

async function contextSweep(model: GraphModel, runs: number): Promise<void> {
  console.log(`\n### ${model.name}: 8 decoding seqs vs context (pool 'pool' and 'compact' transfer)\n`);
  console.log('| context | KV read/step | step ms (pool) | past-KV Gather ms | step ms (compact) | compact bytes/step | PCIe ms at 25 GB/s (compact) |\n|---|---|---|---|---|---|---|');
  const numBlocks = 8 * Math.ceil(513 / 16);
  const perToken = kvBytesPerToken(model.config);
  for (const context of [16, 64, 256, 448]) {
    const batch = decodeBatch(8, context, 16);
    const [poolMs, gatherMs] = await withRunner(model, numBlocks, 'pool', async (r) => [await stepMs(r, batch, runs), await pastKvGatherMs(r, batch, runs)]);
    const compactMs = await withRunner(model, numBlocks, 'compact', (r) => stepMs(r, batch, runs));
    const read = 8 * context * perToken;
    const compactBytes = 8 * (context + 1) * perToken; // distinct slots read (incl. the padding slot)
    console.log(`| ${context} | ${(read / MB).toFixed(2)} MiB | ${poolMs.toFixed(2)} | ${gatherMs.toFixed(3)} | ${compactMs.toFixed(2)} | ` +
      `${(compactBytes / MB).toFixed(2)} MiB | ${((compactBytes / (PCIE_GBPS * 1e9)) * 1000).toFixed(2)} |`);
  }
}

/** Median step ms of two runners over the same batch, timed alternately (host load hits both alike). */
async function pairedStepMs(a: OrtModelRunner, b: OrtModelRunner, batch: StepBatch, runs: number): Promise<[number, number]> {
  await a.step(batch); await b.step(batch);
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now(); await a.step(batch); ta.push(performance.now() - t);
    t = performance.now(); await b.step(batch); tb.push(performance.now() - t);
  }
  return [median(ta)!, median(tb)!];
}

async function argmaxSweep(model: GraphModel, runs: number): Promise<void> {
  console.log(`\n### ${model.name}: greedy decode step (context 64), ArgMax in the graph vs logits fetched + JS argmax\n`);
  console.log('| batch | step ms (logits) | step ms (in-graph) | in-graph ÷ logits | bytes not fetched/step |\n|---|---|---|---|---|');
  const vocab = model.config.vocabSize;
  for (const numSeqs of [1, 8, 32]) {
    const batch = decodeBatch(numSeqs, 64, 16);
    const numBlocks = numSeqs * Math.ceil(65 / 16);
    const [graphMs, logitsMs] = await withRunner(model, numBlocks, 'pool', (graph) => withRunner(model, numBlocks, 'pool', async (js) => {
      const ms = await pairedStepMs(graph, js, batch, runs);
      if (graph.numStepsByFetch.logits !== 0 || js.numStepsByFetch.argmax !== 0) throw new Error('a runner took the other fetch path');
      return ms;
    }, 'js'), 'graph');
    const saved = numSeqs * (vocab * 4 - 4); // logits [S, vocab] f32 replaced by greedy_ids [S] i32
    console.log(`| ${numSeqs} | ${logitsMs.toFixed(2)} | ${graphMs.toFixed(2)} | ${(graphMs / logitsMs).toFixed(3)} | ${saved >= 1e6 ? `${(saved / 1e6).toFixed(2)} MB` : `${(saved / 1e3).toFixed(1)} kB`} |`);
  }
}

/** Temperature-1 decode steps: sampled_ids from the graph vs logits fetched + JS sampleToken; also the greedy step. */
async function temperatureSweep(model: GraphModel, runs: number): Promise<void> {
  console.log(`\n### ${model.name}: temperature-1 decode step (context 64), sampled in the graph vs logits fetched + JS sampling\n`);
  console.log('| batch | step ms (logits + JS) | step ms (in-graph) | in-graph ÷ JS | greedy step ms (in-graph ArgMax) |\n|---|---|---|---|---|');
  const hot = samplingParams({ temperature: 1 });
  for (const numSeqs of [1, 8, 32]) {
    const batch = decodeBatch(numSeqs, 64, 16, hot);
    const numBlocks = numSeqs * Math.ceil(65 / 16);
    const [graphMs, jsMs, greedyMs] = await withRunner(model, numBlocks, 'pool', (graph) => withRunner(model, numBlocks, 'pool', async (js) => {
      const ms = await pairedStepMs(graph, js, batch, runs);
      if (graph.numStepsByFetch.logits !== 0 || js.numStepsByFetch.sampled !== 0) throw new Error('a runner took the other fetch path');
      return [...ms, await stepMs(graph, decodeBatch(numSeqs, 64, 16), runs)];
    }, 'graph', 'js'), 'graph', 'graph');
    console.log(`| ${numSeqs} | ${jsMs!.toFixed(2)} | ${graphMs!.toFixed(2)} | ${(graphMs! / jsMs!).toFixed(3)} | ${greedyMs!.toFixed(2)} |`);
  }
}

/** A mask allowing a fraction `density` of the vocabulary (every id whose hash falls below it). */
function maskOf(vocabSize: number, density: number): Uint32Array {
  const mask = new Uint32Array(Math.ceil(vocabSize / 32));
  for (let id = 0; id < vocabSize; id++) if (((Math.imul(id, 0x9e3779b1) >>> 0) / 2 ** 32) < density) mask[id >>> 5]! |= 1 << (id & 31);
  return mask;
}

/** Masked temperature-1 decode steps: picked in the graph over allowed_mask vs logits fetched + JS mask and sampling. */
async function maskedSweep(model: GraphModel, runs: number): Promise<void> {
  const vocab = model.config.vocabSize;
  console.log(`\n### ${model.name}: masked temperature-1 decode step (context 64), in the graph vs logits fetched + JS\n`);
  console.log('| batch | allowed | step ms (logits + JS) | step ms (in-graph) | in-graph ÷ JS | bytes in/out per step (in-graph vs logits) |\n|---|---|---|---|---|---|');
  for (const numSeqs of [1, 8, 32]) {
    for (const density of [0.01, 0.9]) {
      const batch = decodeBatch(numSeqs, 64, 16, samplingParams({ temperature: 1, seed: 7 }));
      batch.sequences.forEach((s) => { s.allowedTokenMask = maskOf(vocab, density); });
      const numBlocks = numSeqs * Math.ceil(65 / 16);
      const [graphMs, jsMs] = await withRunner(model, numBlocks, 'pool', (graph) => withRunner(model, numBlocks, 'pool', async (js) => {
        const ms = await pairedStepMs(graph, js, batch, runs);
        if (graph.numStepsByFetch.logits !== 0 || js.numStepsByFetch.sampled !== 0) throw new Error('a runner took the other fetch path');
        return ms;
      }, 'graph', 'graph', 'js'), 'graph', 'graph', 'graph');
      const kB = (n: number) => `${(n / 1e3).toFixed(1)} kB`;
      console.log(`| ${numSeqs} | ${density * 100}% | ${jsMs.toFixed(2)} | ${graphMs.toFixed(2)} | ${(graphMs / jsMs).toFixed(3)} | `
        + `${kB(numSeqs * 4 * Math.ceil(vocab / 32))} vs ${kB(numSeqs * 4 * vocab)} |`);
    }
  }
}

/** Typical client settings: top-p, top-k (vLLM's usual 50), both, and min-p alone (no sort: sampled_ids). */
const TRUNCATIONS: Partial<SamplingParams>[] = [{ topP: 0.9 }, { topK: 50 }, { topK: 50, topP: 0.95 }, { minP: 0.05 }];

/** Temperature-0.7 decode steps with top-p / top-k / min-p: picked in the graph vs logits fetched + JS sampleToken. */
async function truncatedSweep(model: GraphModel, runs: number): Promise<void> {
  console.log(`\n### ${model.name}: temperature-0.7 top-p / top-k / min-p decode step (context 64), in the graph vs logits fetched + JS\n`);
  console.log('| batch | setting | step ms (logits + JS) | step ms (in-graph) | in-graph ÷ JS |\n|---|---|---|---|---|');
  for (const numSeqs of [1, 8, 32]) {
    const numBlocks = numSeqs * Math.ceil(65 / 16);
    await withRunner(model, numBlocks, 'pool', (graph) => withRunner(model, numBlocks, 'pool', async (js) => {
      for (const extra of TRUNCATIONS) {
        const batch = decodeBatch(numSeqs, 64, 16, samplingParams({ temperature: 0.7, seed: 7, ...extra }));
        const [graphMs, jsMs] = await pairedStepMs(graph, js, batch, runs);
        if (graph.numStepsByFetch.logits !== 0 || js.numStepsByFetch.sampled !== 0) throw new Error('a runner took the other fetch path');
        console.log(`| ${numSeqs} | ${JSON.stringify(extra)} | ${jsMs.toFixed(2)} | ${graphMs.toFixed(2)} | ${(graphMs / jsMs).toFixed(3)} |`);
      }
    }, 'graph', 'graph', 'graph', 'js'));
  }
}

const SECTIONS = ['pool', 'context', 'argmax', 'temperature', 'masked', 'topp'] as const;

export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args, options: {
    models: { type: 'string', default: 'stories260k,smollm2-random' }, runs: { type: 'string', default: '30' },
    sections: { type: 'string', default: SECTIONS.join(',') },
  } });
  const runs = Number(values.runs);
  const sections = values.sections.split(',');
  const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--sections: unknown ${unknown.join(',')} (known: ${SECTIONS.join(',')})`);
  for (const name of values.models.split(',')) {
    const model = await loadBenchModel(name);
    if (sections.includes('pool')) await poolSizeSweep(model, runs);
    if (sections.includes('context')) await contextSweep(model, runs);
    if (sections.includes('argmax')) await argmaxSweep(model, runs);
    if (sections.includes('temperature')) await temperatureSweep(model, runs);
    if (sections.includes('masked')) await maskedSweep(model, runs);
    if (sections.includes('topp')) await truncatedSweep(model, runs);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
