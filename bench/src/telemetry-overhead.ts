// Telemetry overhead per generated token (seed 000 "Observability Overhead" table), measured in one
// process on the same workload: an Engine over a zero-time MockRunner (so telemetry is not hidden
// behind model time) plus the gateway's per-request/per-token telemetry, at six levels — off,
// metrics only, request-level spans, per-step spans, and each span level + OTLP/HTTP export to a
// local sink process (spans always include metrics). Levels are interleaved per round; medians are
// compared with `off` of the same run. CPU time (this process, export included) is the main figure:
// wall time also counts waiting for the sink's HTTP reply, which serving does in the background.
// Standalone: `node bench/dist/telemetry-overhead.js [--rounds N] [--requests N] [--tokens N] [--ort [--model DIR]]`.

import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Engine, MockRunner, type EngineObserver } from '@mini-dynamo/engine';
import { defaultModelDir } from '@mini-dynamo/model';
import { GatewayTelemetry } from '@mini-dynamo/gateway';
import { samplingParams, type EngineEvent, type RoutingDecision } from '@mini-dynamo/protocol';
import { DiscardSpanExporter, createTracing, type Tracing } from '@mini-dynamo/telemetry';
import { createEngineTelemetry, createWorkerEngine } from '@mini-dynamo/worker';
import { median } from './percentiles.js';

export type Level = 'off' | 'metrics' | 'request_spans' | 'per_step_spans' | 'request_spans_otlp' | 'spans_otlp';
export const LEVELS: readonly Level[] = ['off', 'metrics', 'request_spans', 'per_step_spans', 'request_spans_otlp', 'spans_otlp'];

export interface OverheadOptions {
  rounds: number;
  numRequests: number;
  numOutputTokens: number;
  promptLength: number;
  /** 'mock': zero-time MockRunner (telemetry cost alone); 'ort': the real model on ONNX Runtime CPU. */
  runner: 'mock' | 'ort';
  modelDir?: string;
}

export interface LevelResult {
  level: Level;
  numTokens: number;
  medianWallMs: number;
  medianCpuMs: number;
  /** CPU µs per generated token, and above `off`. */
  cpuMicrosPerToken: number;
  overheadMicrosPerToken: number;
  cpuRatio: number;
  wallRatio: number;
}

const DECISION: RoutingDecision = { workerId: 'w0', policy: 'kv', reason: 'load', numPromptBlocks: 4, overlapBlocks: 0, bestOverlapBlocks: 0, predictedCachedTokens: 0 };

function tracingFor(level: Level, sinkUrl: string | null): Tracing | null {
  if (level === 'off' || level === 'metrics') return null;
  const perStepSpans = level === 'per_step_spans' || level === 'spans_otlp';
  const common = { serviceName: 'bench', perStepSpans, sampleRatio: 1, otlp: false as const };
  if (level.endsWith('_otlp')) return createTracing({ ...common, otlp: { url: `${sinkUrl}/v1/traces` } });
  return createTracing({ ...common, exporters: [new DiscardSpanExporter()] });
}

/** One workload run at a level: wall and CPU ms including the final span flush. */
async function runOnce(level: Level, o: OverheadOptions, sinkUrl: string | null): Promise<{ wallMs: number; cpuMs: number; numTokens: number }> {
  const tracing = tracingFor(level, sinkUrl);
  const gateway = level === 'off' ? null : new GatewayTelemetry({ model: 'bench', tracing, collectProcessMetrics: false });
  const worker = level === 'off' ? null : createEngineTelemetry({ model: 'bench', workerId: 'w0', tracing });
  const { engine: raw, vocabSize, close } = await buildEngine(o, worker?.observer ?? {});
  const engine = worker ? worker.instrument(raw) : raw;
  const labels = new Map<string, { label: { requestId: string; index: number; numPromptTokens: number; arrivalTimeMs: number }; end: () => void }>();
  let numTokens = 0;
  engine.onEvent((e: EngineEvent) => {
    const entry = labels.get(e.requestId);
    if (e.kind === 'tokens') {
      numTokens += e.tokenIds.length;
      if (entry) gateway!.observer.onTokens(entry.label, e.tokenIds.length);
    } else if (entry && e.kind === 'finished') {
      gateway!.observer.onEnd(entry.label, { kind: 'finished', finishReason: 'length', usage: e.usage });
      entry.end();
    }
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < o.numRequests; i++) {
    const requestId = `r${i}-0`;
    const prompt = Array.from({ length: o.promptLength }, (_, k) => 3 + ((i * 131 + k * 17) % (vocabSize - 3)));
    const handle = gateway?.startRequest('completions', {}) ?? null;
    const label = { requestId, index: 0, numPromptTokens: prompt.length, arrivalTimeMs: Date.now() };
    if (handle) {
      handle.run(() => gateway!.observer.onStart(label, DECISION));
      labels.set(requestId, { label, end: () => handle.end('stream') });
    }
    engine.add({
      requestId, promptTokenIds: prompt, cacheSalt: null, traceContext: handle?.carrier() ?? {}, arrivalTimeMs: Date.now(),
      sampling: samplingParams({ temperature: 0, maxTokens: o.numOutputTokens, ignoreEos: true }),
    });
  }
  while (raw.hasWork()) await raw.step();
  await tracing?.forceFlush();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await tracing?.shutdown();
  await close();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, numTokens };
}

async function buildEngine(o: OverheadOptions, observer: EngineObserver): Promise<{ engine: Engine; vocabSize: number; close: () => Promise<void> }> {
  const numBlocks = Math.ceil((o.promptLength + o.numOutputTokens) / 16 + 1) * o.numRequests;
  if (o.runner === 'mock') {
    const runner = new MockRunner({ info: { numBlocks, blockSize: 16, maxModelLen: 4096 } });
    return { engine: new Engine(runner, { workerId: 'w0', maxNumSeqs: o.numRequests }, observer), vocabSize: runner.info.vocabSize, close: () => runner.close() };
  }
  const built = await createWorkerEngine({
    workerId: 'w0', runner: 'ort', modelDir: o.modelDir ?? defaultModelDir(), device: 'cpu', blockSize: 16, numBlocks,
    maxNumSeqs: o.numRequests, intraOpNumThreads: 1,
  }, () => {}, observer);
  if (!built.ok) throw new Error(`${built.error.code}: ${built.error.message}`);
  return { engine: built.value.engine, vocabSize: built.value.info.vocabSize, close: () => built.value.runner.close() };
}

/** A local OTLP/HTTP sink in a child process: answers 200 to every POST, counts bytes. */
async function startSink(): Promise<{ url: string; child: ChildProcess }> {
  const code = `const s=require('http').createServer((q,r)=>{q.on('data',()=>{});q.on('end',()=>{r.writeHead(200,{'content-type':'application/json'});r.end('{}')})});` +
    `s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, child };
}

export async function measureOverhead(o: OverheadOptions): Promise<LevelResult[]> {
  const sink = await startSink();
  try {
    const wall = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
    const cpu = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
    let numTokens = 0;
    await runOnce('metrics', { ...o, numRequests: 8 }, sink.url); // warm-up (JIT, module init)
    for (let r = 0; r < o.rounds; r++) {
      for (const level of LEVELS) {
        const run = await runOnce(level, o, sink.url);
        wall.get(level)!.push(run.wallMs);
        cpu.get(level)!.push(run.cpuMs);
        numTokens = run.numTokens;
      }
    }
    const offCpu = median(cpu.get('off')!)!;
    const offWall = median(wall.get('off')!)!;
    return LEVELS.map((level) => {
      const c = median(cpu.get(level)!)!;
      const w = median(wall.get(level)!)!;
      return {
        level, numTokens, medianWallMs: w, medianCpuMs: c, cpuMicrosPerToken: (c / numTokens) * 1000,
        overheadMicrosPerToken: ((c - offCpu) / numTokens) * 1000, cpuRatio: c / offCpu, wallRatio: w / offWall,
      };
    });
  } finally {
    sink.child.kill();
  }
}

export function formatOverhead(results: readonly LevelResult[], o: OverheadOptions): string {
  const lines = [
    `telemetry overhead: ${o.numRequests} requests × ${o.numOutputTokens} output tokens (prompt ${o.promptLength}), ${o.runner === 'mock' ? 'zero-time MockRunner' : `ORT CPU runner (${o.modelDir ?? 'default model'})`}, median of ${o.rounds} interleaved rounds`,
    '| level | CPU per token (µs) | overhead per token (µs CPU) | CPU ratio to off | wall ratio to off | median CPU / wall (ms) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.level} | ${r.cpuMicrosPerToken.toFixed(2)} | ${r.overheadMicrosPerToken.toFixed(2)} | ${r.cpuRatio.toFixed(2)} | ${r.wallRatio.toFixed(2)} | ${r.medianCpuMs.toFixed(1)} / ${r.medianWallMs.toFixed(1)} |`),
  ];
  return lines.join('\n');
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o: OverheadOptions = {
    rounds: flag(argv, '--rounds', 5), numRequests: flag(argv, '--requests', 64),
    numOutputTokens: flag(argv, '--tokens', 256), promptLength: flag(argv, '--prompt', 64),
    runner: argv.includes('--ort') ? 'ort' : 'mock',
    ...(argv.includes('--model') ? { modelDir: argv[argv.indexOf('--model') + 1]! } : {}),
  };
  const results = await measureOverhead(o);
  console.log(formatOverhead(results, o));
  if (argv.includes('--json')) console.log(JSON.stringify({ options: o, results }, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
