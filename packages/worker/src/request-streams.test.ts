// The standalone worker's NDJSON event stream, read back as the gateway reads it: every field of a
// tokens event (logprobs included) survives; the terminal event closes the stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockLogprobs } from '@mini-dynamo/engine';
import type { EngineEvent } from '@mini-dynamo/protocol';
import { RequestStreams } from './request-streams.js';
import { NdjsonDecoder } from './wire-format.js';

test('tokens events with logprobs round-trip through RequestStreams and NdjsonDecoder', async () => {
  const streams = new RequestStreams();
  const stream = streams.create('r1', () => {});
  const sent: EngineEvent[] = [
    { kind: 'tokens', requestId: 'r1', tokenIds: [17], logprobs: [mockLogprobs(17, 5, 512)] },
    { kind: 'tokens', requestId: 'r1', tokenIds: [3] },
    { kind: 'finished', requestId: 'r1', finishReason: 'length', usage: { numPromptTokens: 4, numCompletionTokens: 2, numCachedTokens: 0 } },
  ];
  for (const event of sent) streams.push(event);
  const decoder = new NdjsonDecoder();
  const received: unknown[] = [];
  for await (const chunk of stream) received.push(...decoder.push(chunk));
  assert.deepEqual(received, sent);
  assert.equal(streams.size, 0);
});
