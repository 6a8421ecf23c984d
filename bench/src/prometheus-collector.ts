// Seed 004 collector: reads KV efficiency and TTFT / ITL p50/p95/p99 for a time range from a
// Prometheus server's HTTP API and prints the combined optimization score. Standalone script
// (`node bench/dist/prometheus-collector.js --prometheus-url … --window 10m`), `main()` for the CLI.
// Invariant: every value is computed over exactly [start, end] (increase over end-start at `end`).

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { FRONTEND_METRICS, WORKER_METRICS } from '@mini-dynamo/telemetry';
import { DEFAULT_SCORE_WEIGHTS, isComplete, optimizationScore, type CoreMetrics } from './prometheus-collector-score.js';

export interface CollectOptions {
  prometheusUrl: string;
  /** Epoch seconds. */
  start: number;
  end: number;
  /** Restrict to one served model (label `model`); all models when absent. */
  model?: string;
  timeoutMs?: number;
}

export interface CollectResult extends CoreMetrics {
  prometheusUrl: string;
  start: number;
  end: number;
  model: string | null;
  score: number | null;
  complete: boolean;
  queries: Record<string, string>;
}

type PromVector = { metric: Record<string, string>; value: [number, string] }[];

/** One instant query; null for no data or NaN/Inf. Throws on HTTP or API errors. */
export async function queryScalar(prometheusUrl: string, query: string, time: number, timeoutMs = 10_000): Promise<number | null> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(time));
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((e: Error) => {
    throw new Error(`cannot reach Prometheus at ${prometheusUrl}: ${(e.cause as Error | undefined)?.message ?? e.message}`);
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromVector } };
  if (!res.ok || body.status !== 'success') throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? 'unknown error'} — ${query}`);
  const first = body.data?.result[0];
  if (!first) return null;
  const value = Number(first.value[1]);
  return Number.isFinite(value) ? value : null;
}

/** The PromQL of every collected value, over window `[w]` ending at the evaluation time. */
export function collectorQueries(windowSeconds: number, model?: string): Record<string, string> {
  const w = `${Math.max(1, Math.ceil(windowSeconds * 1000))}ms`;
  const sel = model === undefined ? '' : `{model=${JSON.stringify(model)}}`;
  const f = FRONTEND_METRICS;
  const quantile = (q: number, name: string) => `histogram_quantile(${q}, sum by (le) (increase(${name}_bucket${sel}[${w}])))`;
  const ratio = (num: string, den: string) => `sum(increase(${num}${sel}[${w}])) / sum(increase(${den}${sel}[${w}]))`;
  return {
    kvEfficiency: ratio(`${f.cachedTokens.name}_sum`, `${f.inputSequenceTokens.name}_sum`),
    kvEfficiencyFallback: ratio(WORKER_METRICS.prefixCacheHits.name, WORKER_METRICS.prefixCacheQueries.name),
    ttftP50: quantile(0.5, f.timeToFirstToken.name),
    ttftP95: quantile(0.95, f.timeToFirstToken.name),
    ttftP99: quantile(0.99, f.timeToFirstToken.name),
    itlP50: quantile(0.5, f.interTokenLatency.name),
    itlP95: quantile(0.95, f.interTokenLatency.name),
    itlP99: quantile(0.99, f.interTokenLatency.name),
  };
}

export async function collectCoreMetrics(o: CollectOptions): Promise<CollectResult> {
  if (!(o.end > o.start)) throw new Error(`empty time range: start ${o.start} must be before end ${o.end}`);
  const queries = collectorQueries(o.end - o.start, o.model);
  const names = Object.keys(queries);
  const values = await Promise.all(names.map((k) => queryScalar(o.prometheusUrl, queries[k], o.end, o.timeoutMs)));
  const v = Object.fromEntries(names.map((k, i) => [k, values[i]])) as Record<string, number | null>;
  const kvFromFrontend = v.kvEfficiency !== null;
  const core: CoreMetrics = {
    kvEfficiency: kvFromFrontend ? v.kvEfficiency : v.kvEfficiencyFallback,
    kvEfficiencySource: kvFromFrontend ? 'frontend_cached_tokens' : v.kvEfficiencyFallback !== null ? 'worker_prefix_cache' : null,
    ttftP50: v.ttftP50, ttftP95: v.ttftP95, ttftP99: v.ttftP99,
    itlP50: v.itlP50, itlP95: v.itlP95, itlP99: v.itlP99,
  };
  return {
    ...core, prometheusUrl: o.prometheusUrl, start: o.start, end: o.end, model: o.model ?? null,
    score: optimizationScore(core), complete: isComplete(core), queries,
  };
}

/** "90s", "10m", "1h" → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`bad duration '${text}' (use e.g. 90s, 10m, 1h)`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** Epoch seconds or an ISO date → epoch seconds. */
export function parseTime(text: string): number {
  const n = Number(text);
  const t = Number.isFinite(n) ? n : Date.parse(text) / 1000;
  if (!Number.isFinite(t)) throw new Error(`bad time '${text}' (epoch seconds or ISO 8601)`);
  return t;
}

const fmt = (x: number | null, digits = 4) => (x === null ? 'n/a' : x.toFixed(digits));

export function formatReport(r: CollectResult): string {
  const w = DEFAULT_SCORE_WEIGHTS;
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return [
    `Prometheus ${r.prometheusUrl}  ${iso(r.start)} → ${iso(r.end)} (${Math.round(r.end - r.start)} s)  model: ${r.model ?? 'all'}`,
    `KV efficiency (cached/prompt)  ${fmt(r.kvEfficiency)}  [${r.kvEfficiencySource ?? 'no data'}]`,
    `TTFT p50 / p95 / p99 (s)       ${fmt(r.ttftP50)} / ${fmt(r.ttftP95)} / ${fmt(r.ttftP99)}`,
    `ITL  p50 / p95 / p99 (s)       ${fmt(r.itlP50)} / ${fmt(r.itlP95)} / ${fmt(r.itlP99)}`,
    `Optimization score             ${fmt(r.score, 3)}  (kv ${w.kvWeight}, ttft ${w.ttftWeight} @ ${w.ttftTargetSeconds}s p95, itl ${w.itlWeight} @ ${w.itlTargetSeconds}s p95)`
      + (r.complete ? '' : '  — incomplete: a core metric had no data in the range'),
  ].join('\n');
}

const USAGE = `usage: prometheus-collector [--prometheus-url http://127.0.0.1:9090] [--window 10m | --start T --end T]
                            [--model NAME] [--json]
T is epoch seconds or ISO 8601; --window means the range ending now.`;

/** CLI entry: prints the report (or JSON) and returns the result. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<CollectResult | null> {
  const { values } = parseArgs({ args: argv, strict: true, options: {
    'prometheus-url': { type: 'string', default: process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090' },
    window: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' },
    model: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
  } });
  if (values.help) {
    console.log(USAGE);
    return null;
  }
  const end = values.end === undefined ? Date.now() / 1000 : parseTime(values.end);
  const start = values.start === undefined ? end - parseDuration(values.window ?? '10m') : parseTime(values.start);
  const result = await collectCoreMetrics({
    prometheusUrl: values['prometheus-url']!, start, end, ...(values.model === undefined ? {} : { model: values.model }),
  });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatReport(result));
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`prometheus-collector: ${(e as Error).message}`);
    process.exit(1);
  });
}
