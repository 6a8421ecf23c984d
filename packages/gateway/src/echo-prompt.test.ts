// echoPrompt with the real stories260K tokenizer: the echoed text is the decoded prompt, its tokens spell
// it (byte-fallback pieces of an emoji are '' until the token completing it), offsets count code points,
// the first token has null logprob and alternatives, and the completions shape carries those nulls.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir, loadTokenizer, type ModelTokenizer } from '@mini-dynamo/model';
import type { TokenLogprobs } from '@mini-dynamo/protocol';
import { echoPrompt } from './echo-prompt.js';
import { openAiLogprobs } from './openai-logprobs.js';

describe('echoPrompt (stories260K tokenizer)', () => {
  let tokenizer: ModelTokenizer;
  before(async () => {
    const loaded = await loadTokenizer(defaultModelDir());
    assert.ok(loaded.ok);
    tokenizer = loaded.value;
  });

  it('text only without logprobs: the decoded prompt', () => {
    const ids = tokenizer.encode('Once upon a time, a 😀 cat.');
    assert.deepEqual(echoPrompt(tokenizer, ids, null), { text: tokenizer.decode(ids), tokens: null });
  });

  it('with logprobs: tokens spell the text, code-point offsets, [0] null, alternatives decoded after the previous token', () => {
    const ids = tokenizer.encode('a 😀 c é');
    const logprobs: (TokenLogprobs | null)[] = ids.map((id, i) => (i === 0 ? null : { logprob: -i, topTokenIds: [id, 261], topLogprobs: [-0.5, -1.5] }));
    const { text, tokens } = echoPrompt(tokenizer, ids, logprobs);
    assert.equal(text, tokenizer.decode(ids));
    assert.equal(tokens!.map((t) => t.token).join(''), text);
    assert.ok(tokens!.some((t) => t.token === '') && tokens!.some((t) => t.token.includes('😀')), 'the emoji is carried by its last byte');
    let offset = 0;
    tokens!.forEach((t, i) => {
      assert.equal(t.textOffset, offset);
      offset += [...t.token].length;
      if (i === 0) return assert.deepEqual([t.logprob, t.top], [null, null]);
      assert.equal(t.logprob, -i);
      assert.equal(t.top![0]!.token, t.token, 'the prompt token among the alternatives reuses its text');
      assert.equal(t.top![1]!.logprob, -1.5);
    });
    const shape = openAiLogprobs('completion', tokens) as { token_logprobs: (number | null)[]; top_logprobs: (Record<string, number> | null)[] };
    assert.equal(shape.token_logprobs[0], null);
    assert.equal(shape.top_logprobs[0], null);
    assert.equal(shape.token_logprobs[1], -1);
  });
});
