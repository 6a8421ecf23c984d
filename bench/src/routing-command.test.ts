// End to end through the real gateway: an in-process stack of 2 mock workers, the routing
// comparison over the official HTTP API with token-id prompts and the per-request policy header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './cli-options.js';
import { routingCommand } from './routing-command.js';
import { policyRatios, workerSpread } from './policy-comparison.js';
import { policyList } from './routing-policies.js';

test('bench routing against 2 mock workers: every request streams, kv reuses prefixes, outputs are written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-routing-'));
  const { values } = parseFlags([
    '--serve', 'mock', '--workers', '2', '--mock-speedup', '4', '--groups', '2', '--prefix-len', '64', '--suffix-len', '8',
    '--output-len', '4', '--num-requests', '12', '--concurrency', '2', '--policies', 'kv,round_robin', '--out', out, '--no-progress', '--records',
  ]);
  const { doc, markdown } = await routingCommand(values);
  assert.deepEqual(doc.runs.map((r) => r.label), ['kv', 'round_robin']);
  for (const run of doc.runs) {
    assert.equal(run.metrics.numRequests, 12);
    assert.equal(run.metrics.errorRate, 0, JSON.stringify(run.metrics.errors));
    for (const r of run.records) {
      assert.equal(r.usage?.completionTokens, 4, 'ignore_eos + max_tokens fix the output length');
      assert.equal(r.usage?.promptTokens, 72, 'token-id prompts map to exact prompt lengths');
    }
    assert.equal(workerSpread(run).reduce((a, b) => a + b, 0), 12, 'every response named its worker');
  }
  const kv = doc.runs[0]!.metrics;
  assert.ok(kv.kvEfficiency! > 0.5, `kv reuses the 2 shared prefixes (KVE ${kv.kvEfficiency})`);
  assert.ok(markdown.includes('| round_robin |'));
  for (const f of ['routing.json', 'routing.md', 'ttft-by-policy.svg', 'ttft-cdf.svg']) assert.ok(existsSync(join(out, f)), f);
  const json = JSON.parse(readFileSync(join(out, 'routing.json'), 'utf8'));
  assert.ok(json.command.startsWith('npm run bench --'));
  assert.equal(json.config.policies, 'kv,round_robin');
});

test('policy ratios are relative to kv; policy variants parse', () => {
  const run = (label: string, p50: number, p99: number) => ({
    label, load: null, records: [],
    metrics: { ttftMs: { p50, p99 }, e2eMs: { p50: p50 * 2 }, kvEfficiency: 0.5, errorRate: 0 } as any,
  });
  const ratios = policyRatios([run('kv', 10, 100), run('random', 50, 150)]);
  assert.deepEqual(ratios.map((r) => [r.policy, r.ttftP50Ratio, r.ttftP99Ratio, r.e2eP50Ratio]), [['kv', 1, 1, 1], ['random', 5, 1.5, 5]]);
  assert.deepEqual(policyList('kv,kv:4,least_loaded').map((v) => [v.label, v.overlapWeight]), [['kv', null], ['kv w=4', 4], ['least_loaded', null]]);
  assert.throws(() => policyList('round_robin:2'));
  assert.throws(() => policyList('fastest'));
});
