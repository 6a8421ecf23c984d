// `bench routing`: one workload shape against the same worker set under each routing policy. The
// policy rides the x-mini-dynamo-router header (kv:W adds x-mini-dynamo-overlap-weight), against
// --url or an in-process stack (--serve mock|ort). Each (round, policy) run has its own prompts
// (seed offset), so no policy inherits another's warm prefixes; --rounds R interleaves the policies
// R times and pools each policy's requests, so machine noise hits every policy alike.

import { num, sloFromFlags, type Flags } from './cli-options.js';
import { describeMode } from './load-generator.js';
import { metricsTable, commandLine, type BenchDocument, type RunResult } from './run-result.js';
import { latencyCdfCharts, ttftByLabelChart } from './run-charts.js';
import { formatSlo } from './slo.js';
import { summarizeWorkload } from './workload.js';
import { workloadFromFlags } from './workload-from-flags.js';
import { defaultOutDir, writeOutputs } from './write-outputs.js';
import { policyList, policyVariant, variantHeaders } from './routing-policies.js';
import { computeMetrics } from './metrics.js';
import type { RequestRecord } from './event-log.js';
import { ratioTable } from './policy-comparison.js';
import { arrivalModes, maybeStartStack, promptRenderer, renderedWorkload, showProgress, targetFromFlags } from './run-setup.js';
import { runLevel, warmUp } from './run-command.js';

export interface RoutingOutcome {
  doc: BenchDocument;
  markdown: string;
  dir: string;
}

export async function routingCommand(flags: Flags): Promise<RoutingOutcome> {
  const slo = sloFromFlags(flags);
  const mode = arrivalModes(flags).modes[0]!;
  const policies = policyList(flags.policies!);
  const seed = num(flags, 'seed', { integer: true });
  const numRounds = num(flags, 'rounds', { min: 1, integer: true });
  const pooled = policies.map(() => ({ records: [] as RequestRecord[], durationMs: 0 }));
  const renderer = await promptRenderer(flags);
  const stack = await maybeStartStack(flags, policyVariant('kv'));
  let targetUrl = flags.url!;
  try {
    const target = await targetFromFlags(flags, stack?.url ?? flags.url!);
    targetUrl = target.baseUrl;
    await warmUp(flags, target, renderer);
    for (let round = 0; round < numRounds; round++) {
      for (const [i, variant] of policies.entries()) {
        // Own prompts per (round, policy): no run inherits another's warm prefixes.
        const sessions = renderedWorkload({ ...flags, seed: String(seed + round * policies.length + i) }, renderer);
        const run = await runLevel({
          target, sessions, mode, slo, headers: variantHeaders(variant),
          label: numRounds > 1 ? `${variant.label} ${round + 1}/${numRounds}` : variant.label,
          maxDurationMs: num(flags, 'max-duration', { min: 1 }) * 1000, showProgress: showProgress(flags),
        });
        pooled[i]!.records.push(...run.records);
        pooled[i]!.durationMs += run.metrics.durationMs;
      }
    }
  } finally {
    await stack?.close();
  }
  const runs: RunResult[] = policies.map((v, i) => ({
    label: v.label, load: null, records: pooled[i]!.records,
    metrics: computeMetrics(pooled[i]!.records, slo, pooled[i]!.durationMs),
  }));
  const doc: BenchDocument = {
    tool: '@mini-dynamo/bench', command: commandLine(), startedAt: new Date().toISOString(),
    config: { ...flags, slo: formatSlo(slo), target: targetUrl, arrival: describeMode(mode) },
    workload: summarizeWorkload(workloadFromFlags(flags)), runs,
  };
  const charts = latencyCdfCharts(runs, '');
  charts.set('ttft-by-policy.svg', ttftByLabelChart(runs, 'TTFT by routing policy'));
  const out = writeOutputs(flags.out ?? defaultOutDir('routing'), flags.name ?? 'routing', doc, charts, flags.records ?? false);
  const markdown = `${ratioTable(runs)}\n\n${metricsTable(runs)}`;
  return { doc, markdown, dir: out.dir };
}
