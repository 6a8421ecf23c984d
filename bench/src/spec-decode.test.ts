// spec-decode smoke run on the real stories260K: off and k = 2 emit the same tokens (the script aborts otherwise),
// rows carry ratios to off, acceptance and tokens per step, and the chart + JSON land in --out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@mini-dynamo/model';
import { main, markdownTable } from './spec-decode.js';

test('spec-decode: off vs k = 2 on stories260K, same tokens, acceptance and chart written', { skip: !existsSync(defaultModelDir()) }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'spec-decode-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const rows = await main(['--ks', '2', '--batches', '1,4', '--output-tokens', '48', '--rounds', '1', '--batch1-prompts', '2', '--out', out]);
  assert.deepEqual(rows.map((r) => [r.batch, r.k]), [[1, null], [1, 2], [4, null], [4, 2]]);
  for (const r of rows) {
    assert.ok(r.tokensPerSecond > 0 && r.ratioToOff > 0 && r.cpuRatioToOff > 0);
    if (r.k === null) {
      assert.equal(r.ratioToOff, 1);
      assert.equal(r.acceptanceRate, null);
      assert.equal(r.meanTokensPerStep, 1);
    } else {
      assert.ok(r.acceptanceRate !== null && r.acceptanceRate >= 0 && r.acceptanceRate <= 1);
      assert.ok(r.meanTokensPerStep >= 1 && r.meanTokensPerStep <= 3);
    }
  }
  assert.match(readFileSync(join(out, 'spec-decode-stories260k.svg'), 'utf8'), /^<svg[\s\S]*batch 4[\s\S]*<\/svg>\s*$/);
  assert.equal(JSON.parse(readFileSync(join(out, 'spec-decode.json'), 'utf8')).rows.length, 4);
  assert.match(markdownTable(rows), /\| stories260K \| 4 \| k=2 \| [\d.]+ \| [\d.]+x \| [\d.]+x \| [\d.]+% \| [\d.]+ \|/);
});
