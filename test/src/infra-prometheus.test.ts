// End to end: a real Prometheus scrapes a running stack (gateway + 2 mock-runner workers) and
// evaluates infra's rules; streamed traffic from the official openai client shows up as TTFT
// histogram_quantile through the HTTP API, and the seed 004 collector (bench) reads KV efficiency
// equal to what the clients saw in `usage`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FRONTEND_METRICS, TTFT_BUCKETS } from '@mini-dynamo/telemetry';
import { MODEL, client, mockServer } from './gateway-support.js';
import { ALERT_RULES, RECORDING_RULES, REPO_ROOT, loadRules } from './infra-support.js';
import { startPrometheus, waitFor } from './infra-prometheus-server.js';

const TTFT = FRONTEND_METRICS.timeToFirstToken.name;
const SYSTEM = 'Once upon a time there was a little girl named Lily who loved to play outside in the park with her friends. ';

interface Seen { ttftSeconds: number; promptTokens: number; cachedTokens: number }
type Usage = { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };

/** One streamed completion; TTFT as the client measures it, token counts from `usage`. */
async function streamed(openai: ReturnType<typeof client>, prompt: string): Promise<Seen> {
  const t0 = performance.now();
  let ttft: number | null = null;
  let usage = null as Usage | null;
  const stream = await openai.completions.create({ model: MODEL, prompt, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    if (ttft === null && chunk.choices?.[0]?.text) ttft = (performance.now() - t0) / 1000;
    if (chunk.usage) usage = chunk.usage as Usage;
  }
  assert.ok(ttft !== null && usage !== null, 'a streamed token and a usage chunk');
  const u: Usage = usage;
  return { ttftSeconds: ttft, promptTokens: u.prompt_tokens, cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0 };
}

test('Prometheus scrapes the stack: TTFT quantiles via the HTTP API, KV efficiency via the collector', { timeout: 120_000 }, async (t) => {
  const server = await mockServer();
  t.after(() => server.close());
  const prometheus = await startPrometheus({ 'mini-dynamo-gateway': [new URL(server.url).host] }, [RECORDING_RULES, ALERT_RULES]);
  t.after(() => prometheus.close());
  const openai = client(server);
  // A scrape that fails under load marks every series stale, so an instant query at "now" can come
  // back empty: anchor every read at the timestamp of a successful scrape instead (one that started
  // after `afterMs`, with margin for Prometheus' 2 ms timestamp alignment).
  const scrapeAfter = async (what: string, minCount: number, afterMs: number) => waitFor(what, async () => {
    const r = await prometheus.query(`max(timestamp(${TTFT}_count)) > ${(afterMs + 5) / 1000} and on() sum(${TTFT}_count) >= ${minCount}`);
    return r.length === 1 ? Number(r[0].value[1]) : null;
  });
  // Labelled histograms exist from their first observation: two warm-up requests (the second hits
  // the cache), scraped, give the window a baseline sample with every counter above zero, so
  // increase() extrapolates numerator and denominator alike over [start, end].
  const warmUp: Seen[] = [];
  for (const suffix of ['warm-up', 'warm-up again']) warmUp.push(await streamed(openai, `${SYSTEM}${suffix}`));
  // The baseline: a scrape taken after the warm-ups ended. The window opens 10 ms before it, so
  // increase() sees it and barely extrapolates towards the start (where Prometheus caps each
  // series at its own zero point).
  const baselineTs = await scrapeAfter('the warm-up requests in a scrape', 2, Date.now());
  const start = baselineTs - 0.01;

  const seen: Seen[] = [];
  for (let i = 0; i < 12; i++) seen.push(await streamed(openai, `${SYSTEM}Story ${i % 3}: and then`));
  const numRequests = seen.length;
  const cached = seen.reduce((a, s) => a + s.cachedTokens, 0);
  const prompt = seen.reduce((a, s) => a + s.promptTokens, 0);
  assert.ok(cached > 0, 'repeated prefixes must hit the prefix cache');
  // The window closes on a scrape that started after the last response ended: final counts.
  const end = await scrapeAfter('every request in a later scrape', numRequests + 2, Date.now());
  const window = `${Math.ceil((end - start) * 1000)}ms`;

  // Every server TTFT lies inside its client's (same clock, arrival → first token ⊆ call → first
  // text chunk), so a histogram over some requests sits at or below the bucket bound above the
  // slowest of those requests as the client saw it.
  const bucketAbove = (seconds: number) => TTFT_BUCKETS.find((b) => b >= seconds) ?? Infinity;
  const one = async (what: string, expr: string) => {
    const r = await prometheus.query(expr, end);
    assert.equal(r.length, 1, `${what} has one series: ${expr}`);
    return Number(r[0].value[1]);
  };
  // Exactly the 12 measured requests: the scraped counters at `end` minus the baseline sample
  // (taken before they started), no extrapolation.
  const delta = (series: string) => `(sum by (le) (${series}) - sum by (le) (${series} @ ${baselineTs}))`;
  assert.equal(await one('TTFT count', `sum(${TTFT}_count) - sum(${TTFT}_count @ ${baselineTs})`), numRequests, 'each request observed once');
  const serverSum = await one('TTFT sum', `sum(${TTFT}_sum) - sum(${TTFT}_sum @ ${baselineTs})`);
  const clientSum = seen.reduce((a, s) => a + s.ttftSeconds, 0);
  assert.ok(serverSum > 0 && serverSum <= clientSum + 1e-6, `server TTFT total ${serverSum} s vs clients' ${clientSum} s`);
  const maxClientTtft = Math.max(...seen.map((s) => s.ttftSeconds));
  const bound = bucketAbove(maxClientTtft);
  const [p50, p99] = [await one('TTFT p50', `histogram_quantile(0.5, ${delta(`${TTFT}_bucket`)})`), await one('TTFT p99', `histogram_quantile(0.99, ${delta(`${TTFT}_bucket`)})`)];
  assert.ok(p50 > 0 && p50 <= p99, `p50 ${p50} p99 ${p99}`);
  assert.ok(p99 <= bound, `server TTFT p99 ${p99} must not exceed the bucket bound ${bound} above the slowest client TTFT ${maxClientTtft}`);
  // The dashboard form (increase over the window) extrapolates each bucket series on its own, so a
  // warm-up observation can leak in: bound it by the slowest of every request the server saw.
  const boundAll = bucketAbove(Math.max(maxClientTtft, ...warmUp.map((s) => s.ttftSeconds)));
  const windowP99 = await one('windowed TTFT p99', `histogram_quantile(0.99, sum by (le) (increase(${TTFT}_bucket[${window}])))`);
  assert.ok(windowP99 > 0 && windowP99 <= boundAll, `increase() TTFT p99 ${windowP99} vs bound ${boundAll} over all requests`);

  // The seed 004 collector, run as its standalone script against this Prometheus.
  const script = join(REPO_ROOT, 'bench', 'dist', 'prometheus-collector.js');
  const run = spawnSync(process.execPath, [script, '--prometheus-url', prometheus.url, '--start', String(start), '--end', String(end), '--json'],
    { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const collected = JSON.parse(run.stdout) as { kvEfficiency: number; kvEfficiencySource: string; ttftP95: number; itlP95: number; score: number; complete: boolean };
  assert.equal(collected.kvEfficiencySource, 'frontend_cached_tokens');
  assert.ok(Math.abs(collected.kvEfficiency - cached / prompt) < 0.01, `collector KVE ${collected.kvEfficiency} vs clients' ${cached}/${prompt}`);
  assert.ok(collected.complete && collected.score > 0 && collected.score <= 1, JSON.stringify(collected));
  assert.ok(collected.ttftP95 > 0 && collected.ttftP95 <= boundAll, `collector TTFT p95 ${collected.ttftP95} vs ${boundAll}`);

  // The same rules promtool tests are loaded and evaluate without errors in the real server.
  const rules = await (await fetch(`${prometheus.url}/api/v1/rules`)).json() as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  assert.equal(loaded.length, loadRules(RECORDING_RULES).length + loadRules(ALERT_RULES).length);
  const unhealthy = loaded.filter((r) => r.health === 'err');
  assert.deepEqual(unhealthy, [], 'every rule evaluates');
  // rate() extrapolates each series born inside the 5m window on its own and drops part of their
  // first samples, so the recorded KV efficiency sits near (not at) the all-time ratio; 0.1 still
  // catches a wrong metric, unit or swapped ratio.
  const kve = await waitFor('the KV efficiency recording rule', async () => {
    const r = await prometheus.query('model:dynamo_frontend_kv_efficiency:ratio_rate5m');
    return r.length > 0 && Number.isFinite(Number(r[0].value[1])) ? Number(r[0].value[1]) : null;
  });
  const totals = await prometheus.query('sum(dynamo_frontend_cached_tokens_sum) / sum(dynamo_frontend_input_sequence_tokens_sum)', end);
  assert.ok(Math.abs(kve - Number(totals[0].value[1])) < 0.1, `recorded KVE ${kve} vs all-time ${totals[0].value[1]}`);
});
