// `bench routing`: one workload against the same worker set under each routing policy. With
// --serve mock|ort a fresh in-process stack starts per policy (cold caches, same workers); against
// --url the policy rides the x-mini-dynamo-router header and each policy gets its own prefixes
// (seed + i) so one policy never inherits another's warm cache.

import { num, type Flags } from './cli-options.js';
import { describeMode } from './load-generator.js';
import { metricsTable, commandLine, type BenchDocument, type RunResult } from './run-result.js';
import { latencyCdfCharts, ttftByLabelChart } from './run-charts.js';
import { formatSlo } from './slo.js';
import { summarizeWorkload } from './workload.js';
import { workloadFromFlags } from './workload-from-flags.js';
import { defaultOutDir, writeOutputs } from './write-outputs.js';
import { policyList, variantHeaders } from './routing-policies.js';
import { ratioTable } from './policy-comparison.js';
import { arrivalModes, maybeStartStack, runLevel, showProgress, sloFromFlags, targetFromFlags } from './run-command.js';

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
  const runs: RunResult[] = [];
  let targetUrl = flags.url!;
  for (const [i, variant] of policies.entries()) {
    const stack = await maybeStartStack(flags, variant);
    try {
      const target = await targetFromFlags(flags, stack?.url ?? flags.url!);
      targetUrl = target.baseUrl;
      const sessions = workloadFromFlags(stack ? flags : { ...flags, seed: String(seed + i) });
      const run = await runLevel({
        target, sessions, mode, label: variant.label, slo, headers: variantHeaders(variant),
        maxDurationMs: num(flags, 'max-duration', { min: 1 }) * 1000, showProgress: showProgress(flags),
      });
      runs.push(run);
    } finally {
      await stack?.close();
    }
  }
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
