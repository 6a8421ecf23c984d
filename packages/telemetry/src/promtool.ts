// Runs `promtool check metrics` (Debian prometheus package) on an exposition text, for tests of
// every /metrics endpoint. Invariant: the only accepted finding is "abbreviated units" on the
// seed-002 router overhead histograms, whose `_ms` names are kept exactly as Dynamo's.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface PromtoolFinding {
  metric: string;
  message: string;
}

export type PromtoolResult =
  | { available: false; reason: string }
  | { available: true; /** null: killed (timeout or signal). */ exitCode: number | null; findings: PromtoolFinding[]; unexpected: PromtoolFinding[]; output: string };

const CANDIDATES = [process.env.PROMTOOL ?? '', '/usr/bin/promtool', '/usr/local/bin/promtool'].filter(Boolean);

export function findPromtool(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** The Dynamo-compatible names promtool flags by design (see METRICS.md). */
export function isAcceptedFinding(f: PromtoolFinding): boolean {
  return /^dynamo_router_overhead_[a-z_]+_ms$/.test(f.metric) && /abbreviated units/.test(f.message);
}

function parseFindings(output: string): PromtoolFinding[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const space = l.indexOf(' ');
      return space < 0 ? { metric: '', message: l } : { metric: l.slice(0, space), message: l.slice(space + 1) };
    });
}

export function promtoolCheckMetrics(text: string): PromtoolResult {
  const bin = findPromtool();
  if (bin === null) return { available: false, reason: 'promtool not found (install Debian package `prometheus`)' };
  const run = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const findings = parseFindings(output);
  const unexpected = findings.filter((f) => !isAcceptedFinding(f));
  return { available: true, exitCode: run.status, findings, unexpected, output };
}
