import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, escapeXml, lineChart, niceTicks } from './svg-chart.js';

function assertWellFormed(svg: string) {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.ok(!/NaN|Infinity|undefined/.test(svg), 'no non-finite numbers leak into coordinates');
  // Every opened element is closed or self-closed (a cheap XML well-formedness check).
  const open = (svg.match(/<(svg|text)\b/g) ?? []).length;
  const close = (svg.match(/<\/(svg|text)>/g) ?? []).length;
  assert.equal(open, close);
  assert.ok(!/<[^>]*<[^/]/.test(svg.replace(/>[^<]*</g, '><')), 'no nested unclosed tags');
}

test('line chart draws one polyline per series with a legend and escaped labels', () => {
  const svg = lineChart({
    title: 'TTFT <CDF> & co',
    xLabel: 'ms',
    yLabel: 'fraction',
    series: [
      { name: 'kv', points: [[1, 0.1], [5, 0.5], [9, 1]] },
      { name: 'round_robin', points: [[10, 0.2], [50, 1]] },
      { name: 'empty', points: [] },
    ],
  });
  assertWellFormed(svg);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.ok(svg.includes('TTFT &lt;CDF&gt; &amp; co'));
  assert.ok(svg.includes('>round_robin</text>'));
});

test('bar chart has one rect per non-null value plus background and legend', () => {
  const svg = barChart({ title: 'TTFT by policy', yLabel: 'ms', categories: ['kv', 'random'], groups: [{ name: 'p50', values: [10, 40] }, { name: 'p99', values: [null, 90] }] });
  assertWellFormed(svg);
  assert.equal((svg.match(/<rect/g) ?? []).length, 1 + 3 + 2);
});

test('degenerate inputs still produce valid charts; ticks are nice and cover the range', () => {
  assertWellFormed(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'flat', points: [[0, 0]] }] }));
  assertWellFormed(barChart({ title: 't', yLabel: 'y', categories: [], groups: [] }));
  assert.deepEqual(niceTicks(0, 10), [0, 2, 4, 6, 8, 10]);
  const t = niceTicks(3, 997);
  assert.ok(t[0]! <= 3 && t[t.length - 1]! >= 997);
  assert.equal(escapeXml('"a"<b>'), '&quot;a&quot;&lt;b&gt;');
});
