// `bench run`: one workload against one OpenAI-compatible server (or an in-process stack with
// --serve), at one or more load levels (a concurrency sweep, Poisson rates, or trace replay).

import { performance } from 'node:perf_hooks';
import { headerMap, num, numList, UsageError, type Flags } from './cli-options.js';
import { describeMode, runLoad, type ArrivalMode } from './load-generator.js';
import { computeMetrics } from './metrics.js';
import { commandLine, metricsTable, type BenchDocument, type RunResult } from './run-result.js';
import { latencyCdfCharts, throughputVsLoadChart } from './run-charts.js';
import { parseSlo, formatSlo, type Slo } from './slo.js';
import { sendTurn } from './sse-client.js';
import { parseRunner, startStack, type Stack } from './stack.js';
import { checkTarget, discoverModel, type ApiKind, type Target } from './target.js';
import { loadTextRenderer, type TextPromptRenderer } from './text-prompts.js';
import { defaultModelDir } from '@mini-dynamo/model';
import { summarizeWorkload, type Session } from './workload.js';
import { tokenSpace, workloadFromFlags } from './workload-from-flags.js';
import { randomWorkload } from './random-workload.js';
import { defaultOutDir, writeOutputs } from './write-outputs.js';
import { policyVariant, type PolicyVariant } from './routing-policies.js';

export function sloFromFlags(flags: Flags): Slo {
  const parsed = parseSlo(flags.slo);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.slo;
}

/** Load levels to run: a list of concurrencies or rates, else trace replay (traces) or concurrency 4. */
export function arrivalModes(flags: Flags): { modes: ArrivalMode[]; loadLabel: string } {
  const seed = num(flags, 'seed', { integer: true });
  const rates = numList(flags, 'rate', { min: 0.001 });
  const concurrencies = numList(flags, 'concurrency', { min: 1, integer: true });
  if (rates && concurrencies) throw new UsageError('pass --rate or --concurrency, not both');
  if (rates) return { modes: rates.map((r) => ({ kind: 'poisson', ratePerSec: r, seed })), loadLabel: 'offered load (req/s)' };
  if (concurrencies) return { modes: concurrencies.map((c) => ({ kind: 'concurrency', concurrency: c })), loadLabel: 'concurrency' };
  if (flags.workload === 'mooncake') return { modes: [{ kind: 'trace' }], loadLabel: 'trace' };
  return { modes: [{ kind: 'concurrency', concurrency: 4 }], loadLabel: 'concurrency' };
}

export function loadOf(m: ArrivalMode): number | null {
  return m.kind === 'poisson' ? m.ratePerSec : m.kind === 'concurrency' ? m.concurrency : null;
}

export function apiKind(flags: Flags): ApiKind {
  if (flags.api === 'completions' || flags.api === 'chat') return flags.api;
  throw new UsageError(`--api must be completions or chat, got "${flags.api}"`);
}

/** Text prompts (built to exact token counts) for --prompt-format text or --api chat; else token ids. */
export async function promptRenderer(flags: Flags): Promise<TextPromptRenderer | null> {
  const format = flags['prompt-format'];
  if (format !== 'ids' && format !== 'text') throw new UsageError(`--prompt-format must be ids or text, got "${format}"`);
  if (format === 'ids' && apiKind(flags) === 'completions') return null;
  return loadTextRenderer(flags.tokenizer ?? defaultModelDir());
}

export function renderedWorkload(flags: Flags, renderer: TextPromptRenderer | null): Session[] {
  const sessions = workloadFromFlags(flags);
  return renderer ? renderer.renderSessions(sessions) : sessions;
}

export async function targetFromFlags(flags: Flags, url: string): Promise<Target> {
  const checked = checkTarget(url, flags['allow-remote'] ?? false);
  if (!checked.ok) throw new UsageError(checked.message);
  const target: Target = {
    baseUrl: checked.baseUrl, api: apiKind(flags), model: flags.model ?? null, apiKey: flags['api-key'] ?? null, headers: headerMap(flags),
  };
  return { ...target, model: target.model ?? (await discoverModel(target)) };
}

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

export async function runLevel(o: LoadLevelOptions): Promise<RunResult> {
  const records = await runLoad(
    o.sessions,
    (turn, id, signal) => sendTurn(o.target, o.target.model!, turn, { id, signal, headers: o.headers, now: () => performance.now() }),
    { mode: o.mode, maxDurationMs: o.maxDurationMs, progressLabel: o.label, showProgress: o.showProgress },
  );
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
  await runLoad(sessions, (turn, id, signal) => sendTurn(target, target.model!, turn, { id, signal, headers: {}, now: () => performance.now() }),
    { mode: { kind: 'concurrency', concurrency: 2 }, maxDurationMs: 60_000, progressLabel: 'warmup', showProgress: false });
}

export function showProgress(flags: Flags): boolean {
  return (flags.progress ?? true) && !flags['no-progress'];
}

export async function maybeStartStack(flags: Flags, variant: PolicyVariant): Promise<Stack | null> {
  if (!flags.serve) return null;
  const runner = parseRunner(flags.serve);
  if (!runner) throw new UsageError(`--serve must be mock or ort, got "${flags.serve}"`);
  return startStack({
    runner, router: variant.policy, overlapWeight: variant.overlapWeight,
    numWorkers: num(flags, 'workers', { min: 1, integer: true }),
    numBlocks: flags['num-blocks'] === undefined ? null : num(flags, 'num-blocks', { min: 1, integer: true }),
    mockSpeedup: num(flags, 'mock-speedup', { min: 0.001 }),
  });
}

export async function runCommand(flags: Flags): Promise<string> {
  const renderer = await promptRenderer(flags);
  const sessions = renderedWorkload(flags, renderer);
  const slo = sloFromFlags(flags);
  const { modes, loadLabel } = arrivalModes(flags);
  const stack = await maybeStartStack(flags, policyVariant(flags.router ?? 'kv'));
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
