// `bench run`: one workload against one OpenAI-compatible server (or an in-process stack with
// --serve), at one or more load levels (a concurrency sweep, Poisson rates, or trace replay).

import { performance } from 'node:perf_hooks';
import { num, sloFromFlags, type Flags } from './cli-options.js';
import { describeMode, runLoad, type ArrivalMode, type TurnSender } from './load-generator.js';
import {
  arrivalModes, loadOf, maybeStartStack, promptRenderer, renderedWorkload, routerVariant, showProgress, targetFromFlags,
} from './run-setup.js';
import { computeMetrics } from './metrics.js';
import { commandLine, metricsTable, type BenchDocument, type RunResult } from './run-result.js';
import { latencyCdfCharts, throughputVsLoadChart } from './run-charts.js';
import { formatSlo, type Slo } from './slo.js';
import { sendTurn } from './sse-client.js';
import { summarizeWorkload, type Session } from './workload.js';
import { tokenSpace } from './workload-from-flags.js';
import type { Target } from './target.js';
import type { TextPromptRenderer } from './text-prompts.js';
import { randomWorkload } from './random-workload.js';
import { defaultOutDir, writeOutputs } from './write-outputs.js';

export interface LoadLevelOptions {
  target: Target;
  sessions: Session[];
  mode: ArrivalMode;
  label: string;
  slo: Slo;
  maxDurationMs: number;
  showProgress: boolean;
  headers: Record<string, string>;
}

/** Streams each turn to the target over HTTP, timed on this process's performance.now() clock. */
function httpSender(target: Target, headers: Record<string, string>): TurnSender {
  return (turn, id, signal) => sendTurn(target, target.model!, turn, { id, signal, headers, now: () => performance.now() });
}

export async function runLevel(o: LoadLevelOptions): Promise<RunResult> {
  const records = await runLoad(o.sessions, httpSender(o.target, o.headers),
    { mode: o.mode, maxDurationMs: o.maxDurationMs, progressLabel: o.label, showProgress: o.showProgress });
  return { label: o.label, load: loadOf(o.mode), metrics: computeMetrics(records, o.slo), records };
}

/** Unmeasured requests before a measured run (JIT, ORT sessions, sockets), with their own prompts. */
export async function warmUp(flags: Flags, target: Target, renderer: TextPromptRenderer | null): Promise<void> {
  const numWarmup = num(flags, 'warmup', { integer: true });
  if (numWarmup === 0) return;
  const random = randomWorkload({
    numRequests: numWarmup, inputLength: 32, outputLength: 4, rangeRatio: 0,
    seed: 0x5eed, tokenSpace: tokenSpace(flags),
  });
  const sessions = renderer ? renderer.renderSessions(random) : random;
  await runLoad(sessions, httpSender(target, {}),
    { mode: { kind: 'concurrency', concurrency: 2 }, maxDurationMs: 60_000, progressLabel: 'warmup', showProgress: false });
}

export async function runCommand(flags: Flags): Promise<string> {
  const renderer = await promptRenderer(flags);
  const sessions = renderedWorkload(flags, renderer);
  const slo = sloFromFlags(flags);
  const { modes, loadLabel } = arrivalModes(flags);
  const stack = await maybeStartStack(flags, routerVariant(flags));
  try {
    const target = await targetFromFlags(flags, stack?.url ?? flags.url!);
    await warmUp(flags, target, renderer);
    const runs: RunResult[] = [];
    const seed = num(flags, 'seed', { integer: true });
    for (const [i, mode] of modes.entries()) {
      // Each level gets its own prompts (same shape, seed + i): no level inherits a warm cache.
      runs.push(await runLevel({
        target, sessions: i === 0 ? sessions : renderedWorkload({ ...flags, seed: String(seed + i) }, renderer), mode, label: describeMode(mode), slo, headers: {},
        maxDurationMs: num(flags, 'max-duration', { min: 1 }) * 1000, showProgress: showProgress(flags),
      }));
    }
    const doc: BenchDocument = {
      tool: '@mini-dynamo/bench', command: commandLine(), startedAt: new Date().toISOString(),
      config: { ...flags, slo: formatSlo(slo), target: target.baseUrl, model: target.model }, workload: summarizeWorkload(sessions), runs,
    };
    const charts = latencyCdfCharts(runs, '');
    if (runs.length > 1) charts.set('throughput-vs-load.svg', throughputVsLoadChart(runs, loadLabel));
    const out = writeOutputs(flags.out ?? defaultOutDir('run'), flags.name ?? 'run', doc, charts, flags.records ?? false);
    return `${metricsTable(runs)}\n\nwrote ${out.files.length} files to ${out.dir}`;
  } finally {
    await stack?.close();
  }
}
