// ChoiceLogprobs and the OpenAI logprobs shapes with the real stories260K tokenizer: token strings match
// the incremental detokenizer's text (alternatives decoded after the previous token agree with it),
// byte-fallback pieces, held-back text, stop cuts, code-point offsets, both API shapes.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir, loadTokenizer, type ModelTokenizer } from '@mini-dynamo/model';
import type { TokenLogprobs } from '@mini-dynamo/protocol';
import { ChoiceLogprobs, tokenTextAfter, type ReportedToken } from './choice-logprobs.js';
import { openAiLogprobs } from './openai-logprobs.js';

const lp = (logprob: number, topTokenIds: number[] = []): TokenLogprobs =>
  ({ logprob, topTokenIds, topLogprobs: topTokenIds.map((_, k) => -k - 0.5) });

describe('ChoiceLogprobs (stories260K tokenizer)', () => {
  let tokenizer: ModelTokenizer;
  const decode = (ids: number[]) => tokenizer.decode(ids);
  before(async () => {
    const loaded = await loadTokenizer(defaultModelDir());
    assert.ok(loaded.ok);
    tokenizer = loaded.value;
  });

  /** Feeds ids one by one as Generation does; returns the tracker, the pieces and the full text. */
  function feed(promptIds: number[], ids: number[], top: (i: number) => number[] = () => []) {
    const detokenizer = tokenizer.createDetokenizer(promptIds);
    const tracker = new ChoiceLogprobs(decode, promptIds);
    const pieces = ids.map((id, i) => {
      const piece = detokenizer.push([id]);
      tracker.add(id, lp(-i - 1, top(i)), piece);
      return piece;
    });
    return { tracker, pieces, text: pieces.join('') };
  }

  it('an alternative decoded after the previous token spells what the detokenizer emits for it', () => {
    const ids = tokenizer.encode('Once upon a time, there was a girl. She liked "red" apples!');
    const promptIds = ids.slice(0, 3);
    const { pieces } = feed(promptIds, ids.slice(3));
    pieces.forEach((piece, i) => {
      const prev = ids[2 + i]!;
      assert.equal(tokenTextAfter(decode, prev, decode([prev]), ids[3 + i]!), piece, `token ${i}`);
    });
    assert.equal(pieces.join(''), decode(ids).slice(decode(promptIds).length));
  });

  it('releases tokens as their text is emitted; top alternatives get strings; offsets count code points', () => {
    const ids = tokenizer.encode('a 😀 c é');
    const { tracker, pieces, text } = feed([1], ids.slice(1), (i) => [ids[1 + i]!, 261]);
    assert.ok(pieces.includes(''), 'byte-fallback pieces of the emoji are held as empty');
    assert.deepEqual(tracker.release(0), [], 'nothing emitted yet');
    const released = tracker.release(text.length);
    assert.equal(released.length, pieces.length);
    assert.equal(released.map((t) => t.token).join(''), text);
    assert.ok(released.some((t) => t.token.includes('😀')), 'the token completing the emoji carries it');
    let offset = 0;
    for (const t of released) {
      assert.equal(t.textOffset, offset);
      offset += [...t.token].length;
      assert.equal(t.top![0]!.token, t.token, 'the sampled id among the alternatives reuses its text');
      assert.equal(t.top![1]!.logprob, -1.5);
    }
  });

  it('a stream ending inside a character: the newest empty token is held until the flush gives it the U+FFFD', () => {
    const ids = tokenizer.encode('a 😀').slice(1);
    const cutIds = ids.slice(0, -1); // the emoji's last byte never comes
    const detokenizer = tokenizer.createDetokenizer([1]);
    const { tracker, pieces, text } = feed([1], cutIds);
    cutIds.forEach((id) => detokenizer.push([id]));
    assert.equal(pieces.at(-1), '', 'the last piece is a held partial character');
    const released = tracker.release(text.length);
    assert.equal(released.length, pieces.length - 1, 'the newest empty token is held');
    const flushed = detokenizer.flush();
    assert.ok(flushed.endsWith('\uFFFD'));
    tracker.addFlushed(flushed);
    const rest = tracker.release(text.length + flushed.length, true);
    assert.deepEqual(rest.map((t) => t.token), [flushed]);
    assert.equal([...released, ...rest].map((t) => t.token).join(''), text + flushed, 'the tokens spell the whole text');
  });

  it('a held token is released only once its whole text is out; a stop cut drops tokens from the cut on', () => {
    const ids = tokenizer.encode('Once upon a time').slice(1);
    const { tracker, pieces } = feed([1], ids);
    const firstLen = pieces[0]!.length;
    assert.deepEqual(tracker.release(firstLen - 1), [], 'a partly emitted token waits');
    assert.equal(tracker.release(firstLen).length, 1);
    const secondEnd = firstLen + pieces[1]!.length;
    const kept = tracker.cut(secondEnd + 1); // the cut falls one character into the third token
    assert.deepEqual(kept.map((t) => t.token), [pieces[1], pieces[2]], 'the straddling token stays, later ones go');
    assert.deepEqual(tracker.release(1000), []);
    const again = feed([1], ids).tracker;
    assert.equal(again.cut(firstLen).length, 1, 'a token starting exactly at the cut is dropped');
  });
});

describe('openAiLogprobs', () => {
  const tokens: ReportedToken[] = [
    { token: ' €', logprob: -0.25, top: [{ token: ' €', logprob: -0.25 }, { token: '__proto__', logprob: -2 }], textOffset: 0 },
    { token: 'x', logprob: -3, top: [{ token: 'y', logprob: -1 }], textOffset: 2 },
  ];

  it('chat: content entries with UTF-8 bytes and top_logprobs; null when not asked', () => {
    assert.equal(openAiLogprobs('chat', null), null);
    assert.deepEqual(openAiLogprobs('chat', tokens), {
      content: [
        { token: ' €', logprob: -0.25, bytes: [32, 0xe2, 0x82, 0xac], top_logprobs: [
          { token: ' €', logprob: -0.25, bytes: [32, 0xe2, 0x82, 0xac] },
          { token: '__proto__', logprob: -2, bytes: [...Buffer.from('__proto__')] }] },
        { token: 'x', logprob: -3, bytes: [120], top_logprobs: [{ token: 'y', logprob: -1, bytes: [121] }] },
      ],
      refusal: null,
    });
  });

  it('completions: parallel arrays; each top_logprobs dict also holds the sampled token', () => {
    const shape = JSON.parse(JSON.stringify(openAiLogprobs('completion', tokens)));
    assert.deepEqual(shape, {
      tokens: [' €', 'x'],
      token_logprobs: [-0.25, -3],
      top_logprobs: [{ ' €': -0.25, ['__proto__']: -2 }, { y: -1, x: -3 }],
      text_offset: [0, 2],
    });
    assert.ok(Object.hasOwn(shape.top_logprobs[0], '__proto__'), 'a token named __proto__ is a plain key');
  });
});
