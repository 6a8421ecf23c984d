// Shared helpers for the infra tests: repo paths, promtool runs, and the metric names a PromQL
// expression selects. Invariant: an expression's names are exactly its vector selectors' names
// (functions, keywords, label lists, label matchers, ranges and strings are stripped first).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { allMetricSpecs, findPromtool } from '@mini-dynamo/telemetry';

/** test/dist/x.js → repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const INFRA = join(REPO_ROOT, 'infra');
export const PROM_DIR = join(INFRA, 'prometheus');

export interface CommandResult {
  status: number | null;
  output: string;
}

/** Runs promtool (Debian `prometheus` package); throws if it is not installed, so CI cannot skip it. */
export function promtool(args: string[], cwd = PROM_DIR): CommandResult {
  const bin = findPromtool();
  if (bin === null) throw new Error('promtool not found: install the Debian package `prometheus`');
  const run = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}

export function readYamlFile<T = any>(path: string): T {
  return parseYaml(readFileSync(path, 'utf8'), { merge: true }) as T;
}

export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
}

export interface RuleEntry {
  group: string;
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(file: string): RuleEntry[] {
  const doc = readYamlFile<{ groups: { name: string; rules: Omit<RuleEntry, 'group'>[] }[] }>(file);
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
}

export const ALERT_RULES = join(PROM_DIR, 'rules', 'alerts.yml');
export const RECORDING_RULES = join(PROM_DIR, 'rules', 'recording.yml');

/** Names recording rules define: dashboards may select them besides catalogue metrics. */
export function recordedNames(): Set<string> {
  return new Set(loadRules(RECORDING_RULES).map((r) => r.record!));
}

/** Catalogue names, histograms with their _bucket/_sum/_count series, plus Prometheus' own `up`. */
export function catalogueSeriesNames(): Set<string> {
  const names = new Set<string>(['up']);
  for (const m of allMetricSpecs()) {
    names.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

/** Metric names selected by a PromQL expression (Grafana `$vars` allowed anywhere). */
export function promqlMetricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  s = s.replace(/[A-Za-z_:][A-Za-z0-9_:]*\s*\(/g, ' (');
  const tokens = s.match(/[A-Za-z0-9_:.]+/g) ?? [];
  const names = tokens.filter((w) => /^[A-Za-z_:][A-Za-z0-9_:]*$/.test(w) && !KEYWORDS.has(w));
  return [...new Set(names)];
}

/** Replaces Grafana template variables with values PromQL accepts. */
export function substituteGrafanaVars(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{?(\w+)\}?/g, 'x');
}

/**
 * Parses every expression with `promtool check rules` (one throwaway recording rule each).
 * Returns the expressions promtool rejects, with its message; empty when all parse.
 */
export function unparseableExpressions(exprs: readonly string[]): { expr: string; output: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'infra-promql-'));
  const check = (list: readonly string[]): CommandResult => {
    const file = join(dir, 'exprs.yml');
    const rules = list.map((expr, i) => ({ record: `panel_query_${i}`, expr: substituteGrafanaVars(expr) }));
    writeFileSync(file, stringifyYaml({ groups: [{ name: 'panels', rules }] }));
    return promtool(['check', 'rules', file], dir);
  };
  try {
    if (check(exprs).status === 0) return [];
    return exprs.map((expr) => ({ expr, run: check([expr]) }))
      .filter((r) => r.run.status !== 0)
      .map((r) => ({ expr: r.expr, output: r.run.output }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
