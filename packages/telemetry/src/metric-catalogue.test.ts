import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allMetricSpecs, CATALOGUE, ROUTER_OVERHEAD_BUCKETS_MS, HIT_RATE_BUCKETS } from './metric-catalogue.js';
import { renderMetricsDoc } from './metrics-doc.js';

const UNBOUNDED = /(^|_)(id|prompt|user|text|messages|trace|span|session|content)($|_)/;

test('names are unique, snake_case, dynamo_-prefixed; counters and only counters end _total', () => {
  const names = allMetricSpecs().map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const m of allMetricSpecs()) {
    assert.match(m.name, /^dynamo_[a-z0-9_]+$/, m.name);
    assert.equal(m.name.endsWith('_total'), m.type === 'counter', `${m.name} (${m.type})`);
    assert.ok(m.help.length > 10, `${m.name} has help`);
  }
});

test('base units: seconds everywhere except the seed-002 router overhead histograms', () => {
  for (const m of allMetricSpecs()) {
    if (m.unit === 'milliseconds') assert.match(m.name, /^dynamo_router_overhead_[a-z_]+_ms$/, m.name);
    if (m.unit === 'seconds') assert.match(m.name, /_seconds$/, m.name);
  }
});

test('labels are bounded: configured model/worker_id, or an enum with listed values', () => {
  for (const m of allMetricSpecs()) {
    const values = (m.labelValues ?? {}) as Record<string, readonly string[]>;
    for (const label of m.labels) {
      if (label === 'model' || label === 'worker_id') continue;
      assert.doesNotMatch(label, UNBOUNDED, `${m.name}: ${label}`);
      assert.ok(values[label] && values[label].length > 0, `${m.name}: enum label ${label} lists its values`);
    }
    for (const key of Object.keys(values)) assert.ok((m.labels as string[]).includes(key), `${m.name}: values for unused label ${key}`);
  }
});

test('histograms have strictly increasing buckets; other types have none', () => {
  for (const m of allMetricSpecs()) {
    if (m.type !== 'histogram') { assert.equal(m.buckets, undefined, m.name); continue; }
    assert.ok(m.buckets && m.buckets.length > 2, m.name);
    for (let i = 1; i < m.buckets.length; i++) assert.ok(m.buckets[i]! > m.buckets[i - 1]!, `${m.name} bucket ${i}`);
  }
});

test('seed 002: router overhead names and buckets exactly as Dynamo', () => {
  const phases = ['block_hashing', 'indexer_find_matches', 'seq_hashing', 'scheduling', 'total'];
  const names = allMetricSpecs().filter((m) => m.name.startsWith('dynamo_router_overhead_')).map((m) => m.name);
  assert.deepEqual(names, phases.map((p) => `dynamo_router_overhead_${p}_ms`));
  assert.equal(ROUTER_OVERHEAD_BUCKETS_MS.length, 18);
  assert.equal(ROUTER_OVERHEAD_BUCKETS_MS[0], 0.0001);
  assert.equal(ROUTER_OVERHEAD_BUCKETS_MS[17], 13.1072);
  assert.equal(HIT_RATE_BUCKETS.length, 21);
  assert.equal(HIT_RATE_BUCKETS[20], 1);
  assert.equal(CATALOGUE.kvHitRate.buckets, HIT_RATE_BUCKETS);
});

test('SLO thresholds are exact bucket bounds (TTFT 0.2/0.5/2/5 s, ITL 0.05/0.1/0.15 s)', () => {
  for (const b of [0.2, 0.5, 2, 5]) assert.ok(CATALOGUE.timeToFirstToken.buckets!.includes(b), `ttft ${b}`);
  for (const b of [0.03, 0.05, 0.08, 0.1, 0.15]) assert.ok(CATALOGUE.interTokenLatency.buckets!.includes(b), `itl ${b}`);
});

test('METRICS.md is generated from the catalogue (run `npm run docs -w @mini-dynamo/telemetry` if this fails)', () => {
  const onDisk = readFileSync(new URL('../METRICS.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderMetricsDoc());
  for (const m of allMetricSpecs()) assert.ok(onDisk.includes(`\`${m.name}\``), m.name);
});
