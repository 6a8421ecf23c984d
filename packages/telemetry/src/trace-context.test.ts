import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { carrierFromHeaders, extractContext, injectContext } from './trace-context.js';

test('a valid traceparent round-trips; garbage and oversized values start a fresh trace', () => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const ctx = extractContext({ traceparent: tp, tracestate: 'vendor=1' });
  assert.equal(trace.getSpanContext(ctx)?.isRemote, true);
  assert.deepEqual(injectContext(ctx), { traceparent: tp, tracestate: 'vendor=1' });
  for (const bad of ['garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', '']) {
    assert.equal(extractContext({ traceparent: bad }), ROOT_CONTEXT, bad);
  }
  const headers: Record<string, string> = { traceparent: tp, tracestate: 'x'.repeat(600), other: 'y' };
  assert.deepEqual(carrierFromHeaders((h) => headers[h]), { traceparent: tp });
  assert.deepEqual(injectContext(ROOT_CONTEXT), {});
});
