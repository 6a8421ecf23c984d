// CI gate for infra/prometheus: `promtool check config`, `check rules` and `test rules` (Debian
// prometheus package), plus the contracts around them: every alert is fired AND left quiet by a
// unit test, carries severity/summary/description/runbook_url, and selects only catalogue metrics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  ALERT_RULES, PROM_DIR, RECORDING_RULES, REPO_ROOT, catalogueSeriesNames, listFiles, loadRules,
  promqlMetricNames, promtool, readYamlFile, recordedNames,
} from './infra-support.js';

const TEST_FILES = listFiles(join(PROM_DIR, 'tests'), '.test.yml');
const alerts = loadRules(ALERT_RULES);

test('promtool check config accepts infra/prometheus/prometheus.yml and its rule files', () => {
  const run = promtool(['check', 'config', 'prometheus.yml']);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /2 rule files found/);
});

test('promtool check rules accepts the recording and alert rules', () => {
  const run = promtool(['check', 'rules', RECORDING_RULES, ALERT_RULES]);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('promtool test rules passes every unit test file', () => {
  assert.ok(TEST_FILES.length >= 4, 'expected the rule unit tests under infra/prometheus/tests');
  const run = promtool(['test', 'rules', ...TEST_FILES]);
  assert.equal(run.status, 0, run.output);
  assert.equal(run.output.match(/SUCCESS/g)?.length, TEST_FILES.length, run.output);
});

test('the unit tests fail when an alert threshold regresses (they can fail)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'infra-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'rules'));
  mkdirSync(join(dir, 'tests'));
  copyFileSync(RECORDING_RULES, join(dir, 'rules', 'recording.yml'));
  const loosened = readFileSync(ALERT_RULES, 'utf8')
    .replace('model:dynamo_frontend_time_to_first_token_seconds:p99_rate5m > 0.5', 'model:dynamo_frontend_time_to_first_token_seconds:p99_rate5m > 5');
  writeFileSync(join(dir, 'rules', 'alerts.yml'), loosened);
  const latency = join(PROM_DIR, 'tests', 'latency-alerts.test.yml');
  copyFileSync(latency, join(dir, 'tests', basename(latency)));
  const run = promtool(['test', 'rules', join(dir, 'tests', basename(latency))], dir);
  assert.notEqual(run.status, 0, 'a loosened TTFT threshold must break the unit tests');
  assert.match(run.output, /DynamoTTFTP99High/);
});

test('every alert has a severity, summary, description and an existing runbook naming it', () => {
  assert.ok(alerts.length >= 15);
  for (const a of alerts) {
    assert.ok(['info', 'warning', 'critical'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
    for (const key of ['summary', 'description', 'runbook_url']) assert.ok(a.annotations?.[key], `${a.alert}: ${key}`);
    const runbook = a.annotations!.runbook_url;
    assert.match(runbook, /^infra\/runbooks\/[a-z0-9-]+\.md$/, `${a.alert}: runbook_url`);
    const page = join(REPO_ROOT, runbook);
    assert.ok(existsSync(page), `${a.alert}: ${runbook} missing`);
    assert.match(readFileSync(page, 'utf8'), new RegExp(`\\b${a.alert}\\b`), `${runbook} must name ${a.alert}`);
  }
});

test('every runbook has the playbook sections, the trace analyzer command and only catalogue metric names', () => {
  const known = catalogueSeriesNames();
  const recorded = recordedNames();
  for (const runbook of new Set(alerts.map((a) => a.annotations!.runbook_url))) {
    const text = readFileSync(join(REPO_ROOT, runbook), 'utf8');
    for (const section of ['Symptoms', 'Likely causes', 'Diagnostic steps', 'Fix', 'Escalation']) assert.match(text, new RegExp(`^## ${section}$`, 'm'), `${runbook}: ${section}`);
    assert.match(text, /node packages\/telemetry\/dist\/trace-analyzer-cli\.js <traces\.jsonl>/, `${runbook}: trace analyzer`);
    const names = text.match(/\b(?:[a-z_]+:)?dynamo_[a-z0-9_]+(?::[a-z0-9_]+)?/g) ?? [];
    assert.ok(names.length >= 2, `${runbook} names no metrics`);
    for (const n of names) assert.ok(known.has(n) || recorded.has(n), `${runbook}: ${n} is not in the metric catalogue`);
  }
});

test('the issue 7 alert families are all present', () => {
  const names = alerts.map((a) => a.alert!).join(' ');
  for (const family of ['TTFTP99High', 'TTFTP99Critical', 'ITLP99', 'QueueDepth', 'Preemption', 'KVCacheNearFull',
    'ErrorRate', 'PrefixCacheHitRateLow', 'SchedulerStall', 'WorkerDown', 'KvEventGap', 'SpeculationIneffective']) {
    assert.match(names, new RegExp(`Dynamo${family}`), family);
  }
});

interface AlertCase { alertname: string; exp_alerts?: unknown[] }
interface UnitTestFile { tests: { alert_rule_test?: AlertCase[] }[] }

test('every alert is fired by some unit test and left quiet by another', () => {
  const fired = new Set<string>();
  const quiet = new Set<string>();
  for (const file of TEST_FILES) {
    for (const t of readYamlFile<UnitTestFile>(file).tests) {
      for (const c of t.alert_rule_test ?? []) ((c.exp_alerts?.length ?? 0) > 0 ? fired : quiet).add(c.alertname);
    }
  }
  for (const a of alerts) {
    assert.ok(fired.has(a.alert!), `${a.alert} is never fired by a unit test`);
    assert.ok(quiet.has(a.alert!), `${a.alert} has no does-not-fire unit test`);
  }
});

test('rules select only metrics from the telemetry catalogue (or recording rules)', () => {
  const known = catalogueSeriesNames();
  const recorded = recordedNames();
  for (const r of [...loadRules(RECORDING_RULES), ...alerts]) {
    for (const name of promqlMetricNames(r.expr)) {
      assert.ok(known.has(name) || recorded.has(name), `${r.alert ?? r.record}: ${name} is not in the metric catalogue`);
    }
  }
});

test('promqlMetricNames finds selectors and ignores functions, labels, strings and keywords', () => {
  const expr = 'histogram_quantile(0.99, sum by (model, le) (rate(a_bucket{model=~"$model", le!="x"}[$__rate_interval])))'
    + ' / on(model) group_left b:rec unless ignoring(le) label_replace(c_total, "d", "$1", "e", "(.*)") > bool 0.5 offset 5m';
  assert.deepEqual(promqlMetricNames(expr).sort(), ['a_bucket', 'b:rec', 'c_total']);
});
