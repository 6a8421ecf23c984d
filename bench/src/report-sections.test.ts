import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionalNum, parseFlags, sloFromFlags } from './cli-options.js';
import { isExternalScript } from './external-scripts.js';
import { reportSections } from './report-sections.js';
import { policyList } from './routing-policies.js';
import { arrivalModes } from './run-setup.js';
import { workloadFromFlags } from './workload-from-flags.js';

test('every report section is a valid CLI invocation whose workload fits the model context', () => {
  for (const quick of [false, true]) {
    const sections = reportSections(quick);
    assert.equal(new Set(sections.map((s) => s.id)).size, sections.length, 'section ids are unique');
    for (const s of sections) {
      const [sub, ...rest] = s.argv;
      if (isExternalScript(sub!)) continue;
      assert.ok(['run', 'routing', 'scale'].includes(sub!), `${s.id}: ${sub}`);
      const { values } = parseFlags(rest);
      sloFromFlags(values);
      policyList(values.policies!);
      if (sub === 'scale') continue;
      assert.ok(arrivalModes(values).modes.length >= 1);
      const maxLen = Math.max(...workloadFromFlags(values).flatMap((x) => x.turns.map((t) => t.promptTokenIds.length + t.maxTokens)));
      // The mock runner simulates any context (--max-model-len); the real stories260K has 512 tokens.
      assert.ok(values.serve === 'mock' || values['max-model-len'] === undefined, `${s.id}: --max-model-len only with the mock runner`);
      const context = optionalNum(values, 'max-model-len', { min: 1, integer: true }) ?? 512;
      assert.ok(maxLen <= context, `${s.id}: prompt + output ${maxLen} fits the ${context}-token context`);
    }
  }
});
