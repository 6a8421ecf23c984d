// spec-decode smoke run on the real stories260K: off, k = 2 and k = 2 under a batch-size table emit the same tokens
// (the script aborts otherwise), rows carry ratios to off, acceptance and tokens per step, the table drafts at batch 1
// and not at batch 4, and the chart + JSON land in --out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@mini-dynamo/model';
import { main, markdownTable } from './spec-decode.js';

test('spec-decode: off vs k = 2 vs a dynamic table on stories260K, same tokens, acceptance and chart written', { skip: !existsSync(defaultModelDir()) }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'spec-decode-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const rows = await main(['--ks', '2', '--batches', '1,4', '--output-tokens', '48', '--rounds', '1', '--batch1-prompts', '2', '--per-batch-size', '[[1,1,2],[2,64,0]]', '--out', out]);
  assert.deepEqual(rows.map((r) => [r.batch, r.k, r.perBatchSize]), [[1, null, null], [1, 2, null], [1, 2, [[1, 1, 2], [2, 64, 0]]], [4, null, null], [4, 2, null], [4, 2, [[1, 1, 2], [2, 64, 0]]]]);
  const [, fixed1, table1, , , table4] = rows;
  assert.deepEqual([table1!.acceptanceRate, table1!.meanTokensPerStep], [fixed1!.acceptanceRate, fixed1!.meanTokensPerStep], 'batch 1: the table keeps k = 2');
  assert.deepEqual([table4!.acceptanceRate, table4!.meanTokensPerStep, table4!.meanAcceptedPerDraftRow], [null, 1, null], 'batch 4: no drafts');
  for (const r of rows.filter((x) => x !== table4)) {
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
  assert.equal(JSON.parse(readFileSync(join(out, 'spec-decode.json'), 'utf8')).rows.length, 6);
  assert.match(markdownTable(rows), /\| stories260K \| 4 \| k=2 \| [\d.]+ \| [\d.]+x \| [\d.]+x \| [\d.]+% \| [\d.]+ \| [\d.]+ \|/);
  assert.match(markdownTable(rows), /\| stories260K \| 4 \| k=2 \[\[1,1,2\],\[2,64,0\]\] \| [\d.]+ \| [\d.]+x \| [\d.]+x \| — \| 1\.00 \| — \|/);
});
