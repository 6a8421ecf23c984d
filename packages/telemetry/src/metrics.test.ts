import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { createMetrics, observeMs } from './metrics.js';
import { mergeExpositions } from './metrics-merge.js';
import { promtoolCheckMetrics, findPromtool } from './promtool.js';
import { FRONTEND_METRICS, ROUTER_METRICS, WORKER_METRICS } from './metric-catalogue.js';
import type { MetricSpec } from './metric-spec.js';

/** Touch every metric once with labels drawn from the catalogue (first enum value, fixed ids). */
function exercise(built: Record<string, unknown>, specs: Record<string, MetricSpec>, withIdentity: boolean): void {
  for (const [key, spec] of Object.entries(specs)) {
    const labels: Record<string, string> = {};
    const values = (spec.labelValues ?? {}) as Record<string, readonly string[]>;
    for (const l of spec.labels) {
      if (l === 'model' || l === 'worker_id') { if (withIdentity) labels[l] = l === 'model' ? 'stories260K' : 'w0'; }
      else labels[l] = values[l]![0]!;
    }
    const m = built[key] as Counter<string> & Gauge<string> & Histogram<string>;
    if (spec.type === 'counter') m.inc(labels, 2);
    else if (spec.type === 'gauge') m.set(labels, 3);
    else m.observe(labels, spec.buckets![1]!);
  }
}

test('gateway registry holds exactly the frontend + router catalogue', async () => {
  const reg = new Registry();
  const m = createMetrics(reg, 'gateway');
  exercise(m as any, { ...FRONTEND_METRICS, ...ROUTER_METRICS }, true);
  const names = (await reg.getMetricsAsJSON()).map((x) => x.name).sort();
  assert.deepEqual(names, Object.values({ ...FRONTEND_METRICS, ...ROUTER_METRICS }).map((s) => s.name).sort());
  const text = await reg.metrics();
  assert.match(text, /dynamo_frontend_requests_total\{model="stories260K",endpoint="chat_completions",request_type="stream",status="success"\} 2/);
});

test('worker registry stamps model and worker_id on every series', async () => {
  const reg = new Registry();
  const m = createMetrics(reg, 'worker', { model: 'stories260K', workerId: 'w7' });
  exercise(m as any, WORKER_METRICS, false);
  const text = await reg.metrics();
  const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(samples.length > 20);
  for (const s of samples) assert.match(s, /model="stories260K"/, s);
  for (const s of samples) assert.match(s, /worker_id="w7"/, s);
  assert.match(text, /dynamo_scheduler_preemptions_total\{reason="memory_pressure",model="stories260K",worker_id="w7"\} 2/);
});

test('observeMs converts milliseconds to the seconds base unit and ignores NaN/negative', async () => {
  const reg = new Registry();
  const m = createMetrics(reg, 'gateway');
  observeMs(m.timeToFirstToken, 250, { model: 'x' });
  observeMs(m.timeToFirstToken, Number.NaN, { model: 'x' });
  observeMs(m.timeToFirstToken, -1, { model: 'x' });
  const text = await reg.metrics();
  assert.match(text, /dynamo_frontend_time_to_first_token_seconds_sum\{model="x"\} 0.25\n/);
  assert.match(text, /dynamo_frontend_time_to_first_token_seconds_count\{model="x"\} 1\n/);
});

test('mergeExpositions joins worker registries under one HELP/TYPE per family', async () => {
  const texts: string[] = [];
  for (const id of ['w0', 'w1']) {
    const reg = new Registry();
    exercise(createMetrics(reg, 'worker', { model: 'm', workerId: id }) as any, WORKER_METRICS, false);
    texts.push(await reg.metrics());
  }
  const merged = mergeExpositions(texts);
  assert.equal(merged.match(/^# TYPE dynamo_scheduler_waiting_queue_size gauge$/gm)?.length, 1);
  assert.match(merged, /dynamo_scheduler_waiting_queue_size\{model="m",worker_id="w0"\} 3/);
  assert.match(merged, /dynamo_scheduler_waiting_queue_size\{model="m",worker_id="w1"\} 3/);
});

test('promtool check metrics passes on gateway, worker and merged expositions', async (t) => {
  if (findPromtool() === null) { t.skip('promtool not installed (Debian package `prometheus`): lint not run'); return; }
  const gw = new Registry();
  exercise(createMetrics(gw, 'gateway', { collectProcessMetrics: true }) as any, { ...FRONTEND_METRICS, ...ROUTER_METRICS }, true);
  const workers: string[] = [];
  for (const id of ['w0', 'w1']) {
    const reg = new Registry();
    exercise(createMetrics(reg, 'worker', { model: 'm', workerId: id }) as any, WORKER_METRICS, false);
    workers.push(await reg.metrics());
  }
  for (const [what, text] of [['gateway', await gw.metrics()], ['worker', workers[0]!], ['merged', mergeExpositions([await gw.metrics(), ...workers])]] as const) {
    const r = promtoolCheckMetrics(text);
    assert.ok(r.available);
    assert.deepEqual(r.unexpected, [], `${what}: ${r.available ? r.output : ''}`);
  }
  const gwResult = promtoolCheckMetrics(await gw.metrics());
  assert.ok(gwResult.available && gwResult.findings.length === 5, 'exactly the five seed-002 _ms names are flagged');
});

test('promtool rejects what the catalogue forbids (the check can fail)', (t) => {
  if (findPromtool() === null) { t.skip('promtool not installed'); return; }
  const r = promtoolCheckMetrics('# HELP bad_gauge_total x\n# TYPE bad_gauge_total gauge\nbad_gauge_total 1\n');
  assert.ok(r.available && r.unexpected.some((f) => /_total" suffix/.test(f.message)), r.available ? r.output : '');
});
