// runner-throughput: output tokens/s of Engine + OrtModelRunner with 1, 8 and 32 concurrent requests vs the
// same runner serving requests one at a time, as ratios from the same run. Models: stories260K (real weights)
// and the SmolLM2-135M shape with random weights. Output lengths are fixed (ignoreEos).
// Run: node bench/dist/cli.js runner-throughput [--models stories260k,smollm2-random] [--concurrency 1,8,32]
//      [--prompt-tokens 32] [--output-tokens 32] [--baseline-max 8] [--rounds 5] [--threads N] [--json out.json]
//      [--device cpu|cuda] [--kv-transfer pool|compact] (CUDA: compact, the default there, uploads only the blocks a step reads)
//      [--greedy-argmax graph|js] (graph, the default: greedy steps fetch the graph's ArgMax ids; js: logits + JS argmax)
//      [--logprobs N] (every request asks for the sampled token's logprob + N alternatives: what logprobs cost)
//      [--temperature T] (default 0, greedy) [--temperature-sampling graph|js] (graph, the default: temperature-only
//      requests take the graph's sampled_ids; js: logits fetched + JS sampleToken) [--top-p P] [--top-k K] [--min-p M]
//      [--truncated-sampling graph|js] (graph, the default: top-p / top-k / min-p requests are picked in the graph)
// Each figure is the best of `rounds` interleaved rounds (batched, then one-at-a-time); the one-at-a-time
// baseline serves min(c, baseline-max) of the requests sequentially (its tokens/s does not depend on c). The KV pool
// holds every sequence of the largest c at full length (workloadNumBlocks): a batched run never preempts.
// Also reported per CPU-second of this process (meaningful with --threads 1): stable on a loaded shared host.

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Engine } from '@mini-dynamo/engine';
import { createOrtModelRunner, defaultNumBlocks, type GreedyArgmax, type KvTransfer, type LlamaConfig, type OrtDevice, type OrtModelRunner, type TemperatureSampling, type TruncatedSampling } from '@mini-dynamo/model';
import { samplingParams, type GenerateRequest } from '@mini-dynamo/protocol';
import { loadBenchModel } from './bench-models.js';

export interface ThroughputRow {
  model: string;
  concurrency: number;
  batchedTokensPerSecond: number;
  sequentialTokensPerSecond: number;
  ratio: number;
  /** Tokens per CPU-second of this process (user+sys): immune to waiting for a core on a loaded host. */
  batchedTokensPerCpuSecond: number;
  sequentialTokensPerCpuSecond: number;
  cpuRatio: number;
  meanStepMs: number;
}

interface Options { promptTokens: number; outputTokens: number; baselineMax: number; rounds: number; numLogprobs: number | null; temperature: number; topP: number; topK: number | null; minP: number }

function makeRequests(n: number, opts: Options, vocabSize: number, tag: string): GenerateRequest[] {
  return Array.from({ length: n }, (_, r) => ({
    requestId: `${tag}-${r}`,
    promptTokenIds: [1, ...Array.from({ length: opts.promptTokens - 1 }, (_, i) => 3 + ((r * 7919 + i * 104729) % (vocabSize - 3)))],
    sampling: samplingParams({ temperature: opts.temperature, topP: opts.topP, topK: opts.topK, minP: opts.minP, maxTokens: opts.outputTokens, ignoreEos: true, numLogprobs: opts.numLogprobs }),
    cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
  }));
}

/** OrtModelRunner's default block size: runner-throughput sets none (gpu-report.test.ts checks it against a real runner). */
export const RUNNER_BLOCK_SIZE = 16;

/**
 * KV blocks for the runner: its default pool, grown when that cannot hold `maxConcurrency` whole sequences of
 * `seqLen` tokens at once (SmolLM2's 256 MiB default holds 364 blocks of 16, c = 64 × 96 tokens needs 384), so the
 * batched run never preempts and each step really carries c sequences, as the PyTorch baseline's batch does.
 */
export function workloadNumBlocks(config: LlamaConfig, maxConcurrency: number, seqLen: number, blockSize = RUNNER_BLOCK_SIZE): number {
  const shape = { numLayers: config.numLayers, blockSize, numKvHeads: config.numKvHeads, headDim: config.headDim };
  const runnerDefault = defaultNumBlocks(shape, Math.min(config.maxPositionEmbeddings, 32768)); // as createOrtModelRunner
  return Math.max(runnerDefault, maxConcurrency * Math.ceil(seqLen / blockSize));
}

/** Serves `requests` (all added at once) to completion; returns seconds, output tokens and steps. */
async function serve(runner: OrtModelRunner, requests: GenerateRequest[]): Promise<{ seconds: number; cpuSeconds: number; numTokens: number; numSteps: number }> {
  const engine = new Engine(runner, { workerId: 'bench', enablePrefixCaching: false, maxNumSeqs: Math.max(32, requests.length) });
  let numTokens = 0, numSteps = 0;
  engine.onEvent((e) => {
    if (e.kind === 'tokens') numTokens += e.tokenIds.length;
    if (e.kind === 'failed') throw new Error(`${e.requestId} failed: ${e.error.message}`);
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const r of requests) {
    const added = engine.add(r);
    if (!added.ok) throw new Error(added.error.message);
  }
  while (engine.hasWork()) { await engine.step(); numSteps++; }
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, numTokens, numSteps };
}

/** Best (highest) tokens/s over `rounds` interleaved rounds: robust to load from other processes on the host. */
async function measureModel(name: string, runner: OrtModelRunner, concurrency: number[], opts: Options): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const vocab = runner.info.vocabSize;
  for (let w = 0; w < 3; w++) await serve(runner, makeRequests(4, { ...opts, outputTokens: 8 }, vocab, `warmup${w}`));
  for (const c of concurrency) {
    let batchedTps = 0, seqTps = 0, batchedCpu = 0, seqCpu = 0, meanStepMs = Infinity;
    for (let round = 0; round < opts.rounds; round++) {
      const batched = await serve(runner, makeRequests(c, opts, vocab, `b${c}-${round}`));
      let seqSeconds = 0, seqCpuSeconds = 0, seqTokens = 0;
      for (const r of makeRequests(Math.min(c, opts.baselineMax), opts, vocab, `s${c}-${round}`)) {
        const one = await serve(runner, [r]);
        seqSeconds += one.seconds; seqCpuSeconds += one.cpuSeconds; seqTokens += one.numTokens;
      }
      batchedTps = Math.max(batchedTps, batched.numTokens / batched.seconds);
      seqTps = Math.max(seqTps, seqTokens / seqSeconds);
      batchedCpu = Math.max(batchedCpu, batched.numTokens / batched.cpuSeconds);
      seqCpu = Math.max(seqCpu, seqTokens / seqCpuSeconds);
      meanStepMs = Math.min(meanStepMs, (1000 * batched.seconds) / batched.numSteps);
    }
    const row: ThroughputRow = {
      model: name, concurrency: c, batchedTokensPerSecond: batchedTps, sequentialTokensPerSecond: seqTps, ratio: batchedTps / seqTps,
      batchedTokensPerCpuSecond: batchedCpu, sequentialTokensPerCpuSecond: seqCpu, cpuRatio: batchedCpu / seqCpu, meanStepMs,
    };
    rows.push(row);
    console.log(`${name} c=${c}: batched ${batchedTps.toFixed(1)} tok/s (${meanStepMs.toFixed(2)} ms/step), ` +
      `one-at-a-time ${seqTps.toFixed(1)} tok/s, ratio ${row.ratio.toFixed(2)}x (per CPU-second ${row.cpuRatio.toFixed(2)}x)`);
  }
  return rows;
}

export async function main(args: string[] = process.argv.slice(2)): Promise<ThroughputRow[]> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: 'string', default: 'stories260k,smollm2-random' },
      concurrency: { type: 'string', default: '1,8,32' },
      'prompt-tokens': { type: 'string', default: '32' },
      logprobs: { type: 'string' },
      'output-tokens': { type: 'string', default: '32' },
      'baseline-max': { type: 'string', default: '8' },
      rounds: { type: 'string', default: '5' },
      threads: { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      'kv-transfer': { type: 'string' },
      'greedy-argmax': { type: 'string', default: 'graph' },
      temperature: { type: 'string', default: '0' },
      'temperature-sampling': { type: 'string', default: 'graph' },
      'top-p': { type: 'string', default: '1' },
      'top-k': { type: 'string' },
      'min-p': { type: 'string', default: '0' },
      'truncated-sampling': { type: 'string', default: 'graph' },
      json: { type: 'string' },
    },
  });
  const opts: Options = { promptTokens: Number(values['prompt-tokens']), outputTokens: Number(values['output-tokens']), baselineMax: Number(values['baseline-max']), rounds: Number(values.rounds),
    numLogprobs: values.logprobs === undefined ? null : Number(values.logprobs), temperature: Number(values.temperature),
    topP: Number(values['top-p']), topK: values['top-k'] === undefined ? null : Number(values['top-k']), minP: Number(values['min-p']) };
  if (!(opts.topP > 0 && opts.topP <= 1)) throw new Error(`--top-p must be in (0, 1], got ${values['top-p']}`);
  if (opts.topK !== null && !(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new Error(`--top-k must be a positive integer, got ${values['top-k']}`);
  if (!(opts.minP >= 0 && opts.minP <= 1)) throw new Error(`--min-p must be 0–1, got ${values['min-p']}`);
  const truncatedSampling = values['truncated-sampling'] as TruncatedSampling;
  if (truncatedSampling !== 'graph' && truncatedSampling !== 'js') throw new Error(`--truncated-sampling must be graph or js, got ${truncatedSampling}`);
  if (!(opts.temperature >= 0 && opts.temperature <= 2)) throw new Error(`--temperature must be 0–2, got ${values.temperature}`);
  const temperatureSampling = values['temperature-sampling'] as TemperatureSampling;
  if (temperatureSampling !== 'graph' && temperatureSampling !== 'js') throw new Error(`--temperature-sampling must be graph or js, got ${temperatureSampling}`);
  if (opts.numLogprobs !== null && !(Number.isInteger(opts.numLogprobs) && opts.numLogprobs >= 0 && opts.numLogprobs <= 20)) {
    throw new Error(`--logprobs must be an integer 0–20, got ${values.logprobs}`);
  }
  const concurrency = values.concurrency.split(',').map(Number);
  const device = values.device as OrtDevice;
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda, got ${values.device}`);
  const kvTransfer = values['kv-transfer'] as KvTransfer | undefined;
  if (kvTransfer !== undefined && kvTransfer !== 'pool' && kvTransfer !== 'compact') throw new Error(`--kv-transfer must be pool or compact, got ${kvTransfer}`);
  const greedyArgmax = values['greedy-argmax'] as GreedyArgmax;
  if (greedyArgmax !== 'graph' && greedyArgmax !== 'js') throw new Error(`--greedy-argmax must be graph or js, got ${greedyArgmax}`);
  const rows: ThroughputRow[] = [];
  for (const name of values.models.split(',')) {
    const model = await loadBenchModel(name);
    const r = await createOrtModelRunner({
      model, device, greedyArgmax, temperatureSampling, truncatedSampling, onProgress: (m) => console.log(m),
      numBlocks: workloadNumBlocks(model.config, Math.max(...concurrency), opts.promptTokens + opts.outputTokens),
      ...(kvTransfer === undefined ? {} : { kvTransfer }),
      ...(values.threads === undefined ? {} : { intraOpNumThreads: Number(values.threads) }),
    });
    if (!r.ok) throw new Error(r.error.message);
    try {
      rows.push(...await measureModel(model.name, r.value, concurrency, opts));
    } finally {
      await r.value.close();
    }
  }
  console.log(`\ndevice ${device}${kvTransfer === undefined ? '' : `, kv transfer ${kvTransfer}`}, greedy argmax in ${greedyArgmax}, temperature ${opts.temperature} sampled in ${temperatureSampling}, `
    + `top-p ${opts.topP} top-k ${opts.topK ?? 'off'} min-p ${opts.minP} sampled in ${truncatedSampling}`);
  console.log('\n| model | concurrent | batched tok/s | one-at-a-time tok/s | ratio | ratio per CPU-s | ms/step |\n|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(`| ${row.model} | ${row.concurrency} | ${row.batchedTokensPerSecond.toFixed(1)} | ${row.sequentialTokensPerSecond.toFixed(1)} | ` +
      `${row.ratio.toFixed(2)}x | ${row.cpuRatio.toFixed(2)}x | ${row.meanStepMs.toFixed(2)} |`);
  }
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ opts: { ...opts, greedyArgmax, temperatureSampling, truncatedSampling }, rows }, null, 2));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
