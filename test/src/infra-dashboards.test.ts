// Grafana checks: every panel query parses (promtool check rules on a throwaway rules file) and
// selects only metrics from the telemetry catalogue or the recording rules; the three dashboards
// keep the seed layouts; provisioning points Grafana at these files and the Prometheus uid.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  INFRA, catalogueSeriesNames, listFiles, promqlMetricNames, readYamlFile, recordedNames, unparseableExpressions,
} from './infra-support.js';

interface Target { expr: string; refId: string; datasource?: { uid: string } }
interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[]; datasource?: { uid: string } }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; definition: string }[] } }

const DASH_DIR = join(INFRA, 'grafana', 'dashboards');
const dashboards = new Map(listFiles(DASH_DIR, '.json').map((f) => [f.slice(DASH_DIR.length + 1, -5), JSON.parse(readFileSync(f, 'utf8')) as Dashboard]));
const queryPanels = (d: Dashboard) => d.panels.filter((p) => p.type !== 'row');
const allQueries = () => [...dashboards.values()].flatMap((d) => queryPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ d, p, t }))));

test('three dashboards: overview, worker detail, cache & routing, with unique uids', () => {
  assert.deepEqual([...dashboards.keys()].sort(), ['cache-routing', 'overview', 'worker-detail']);
  assert.equal(new Set([...dashboards.values()].map((d) => d.uid)).size, 3);
});

test('every panel has a query against the provisioned Prometheus and a sane, non-overlapping grid position', () => {
  for (const [name, d] of dashboards) {
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of d.panels) {
      assert.ok(!ids.has(p.id), `${name}: duplicate panel id ${p.id}`);
      ids.add(p.id);
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${name}/${p.title}: gridPos`);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `${name}/${p.title} overlaps another panel`);
        cells.add(`${i},${j}`);
      }
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${name}/${p.title}: no query`);
      assert.equal(p.datasource?.uid, 'prometheus', `${name}/${p.title}: datasource`);
    }
  }
});

test('every panel query parses as PromQL (promtool check rules)', () => {
  const exprs = allQueries().map((q) => q.t.expr);
  assert.ok(exprs.length >= 40, `only ${exprs.length} queries`);
  assert.deepEqual(unparseableExpressions(exprs), []);
});

test('the PromQL parse check rejects a broken query (it can fail)', () => {
  const bad = unparseableExpressions(['sum(rate(dynamo_frontend_requests_total[$__rate_interval])', 'up']);
  assert.equal(bad.length, 1);
  assert.match(bad[0].output, /parse error|unclosed|unexpected/i);
});

test('panels and template variables name only catalogue metrics (or recording rules)', () => {
  const known = catalogueSeriesNames();
  const recorded = recordedNames();
  for (const { d, p, t } of allQueries()) {
    for (const name of promqlMetricNames(t.expr)) {
      assert.ok(known.has(name) || recorded.has(name), `${d.title} / ${p.title}: ${name} is not in the metric catalogue`);
    }
  }
  for (const d of dashboards.values()) {
    for (const v of d.templating.list) {
      const metric = /label_values\((\w+),/.exec(v.definition)?.[1];
      assert.ok(metric && known.has(metric), `${d.title}: variable ${v.name} uses ${metric}`);
    }
  }
});

/** Panel titles of the row whose header matches `row`, left to right. */
function rowTitles(d: Dashboard, row: RegExp): string[] {
  const header = d.panels.find((p) => p.type === 'row' && row.test(p.title));
  assert.ok(header, `${d.title}: no row ${row}`);
  const y = header.gridPos.y + 1;
  return d.panels.filter((p) => p.type !== 'row' && p.gridPos.y === y).sort((a, b) => a.gridPos.x - b.gridPos.x).map((p) => p.title);
}

test('overview follows the seed 003 layout: key stats, latency, throughput & queues, memory, cache & speculation', () => {
  const d = dashboards.get('overview')!;
  const rows = d.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows, ['Key metrics', 'Latency', 'Throughput & queues', 'Memory & errors', 'Cache & speculation']);
  const [kvEfficiency, prefixHits, speculation] = rowTitles(d, /Cache & speculation/);
  assert.match(`${kvEfficiency} ${prefixHits}`, /KV efficiency .* Prefix cache hit rate/);
  assert.match(speculation, /^Speculative acceptance/);
  const stats = rowTitles(d, /Key metrics/);
  for (const s of ['TTFT p99', 'Output tokens/s', 'KV cache', 'Error %']) assert.ok(stats.some((t) => t.startsWith(s)), `stat ${s}`);
  assert.deepEqual(rowTitles(d, /^Latency/).map((t) => t.split(' (')[0]), ['Time to first token', 'Inter-token latency']);
  const [tokens, queues] = rowTitles(d, /Throughput/);
  assert.match(tokens, /prefill \/ decode/);
  assert.match(queues, /waiting \/ running \/ swapped/);
});

test('worker detail covers KV, queue, batch and preemptions; cache & routing covers hit rates, decisions, overhead', () => {
  const titles = (name: string) => queryPanels(dashboards.get(name)!).map((p) => p.title).join(' | ');
  const worker = titles('worker-detail');
  for (const s of [/KV utilization/, /Waiting \/ running \/ swapped/, /Running batch size/, /Preemptions\/s by reason/, /Worker up/]) assert.match(worker, s);
  const cache = titles('cache-routing');
  for (const s of [/KV efficiency/, /Prefix cache hit rate/, /Decisions\/s by policy/, /Routing overhead by phase/, /Event gaps/]) assert.match(cache, s);
  const overheadExprs = allQueries().filter((q) => /Routing overhead by phase/.test(q.p.title)).map((q) => q.t.expr).join(' ');
  for (const phase of ['block_hashing', 'indexer_find_matches', 'seq_hashing', 'scheduling']) assert.match(overheadExprs, new RegExp(`dynamo_router_overhead_${phase}_ms`));
});

test('provisioning: Prometheus datasource uid matches the panels and the provider path is the mounted folder', () => {
  const ds = readYamlFile(join(INFRA, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'));
  const prom = ds.datasources.find((d: any) => d.type === 'prometheus');
  assert.equal(prom.uid, 'prometheus');
  assert.equal(prom.url, 'http://prometheus:9090');
  const provider = readYamlFile(join(INFRA, 'grafana', 'provisioning', 'dashboards', 'mini-dynamo.yml')).providers[0];
  const compose = readYamlFile(join(INFRA, 'compose.yaml'));
  const mount = (compose.services.grafana.volumes as string[]).find((v) => v.endsWith(`:${provider.options.path}:ro`));
  assert.ok(mount, 'compose mounts the dashboards folder where the provider reads it');
  assert.ok(existsSync(join(INFRA, mount.split(':')[0])));
});
