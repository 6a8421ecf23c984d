import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir, loadTokenizer, smollm2ShapeDir } from '@mini-dynamo/model';
import { TextPromptRenderer } from './text-prompts.js';
import { sharedPrefixWorkload } from './shared-prefix-workload.js';
import { requestBody } from './sse-client.js';
import { DEFAULT_TOKEN_SPACE } from './rng.js';

for (const [name, dir] of [['stories260K (SentencePiece BPE)', defaultModelDir()], ['SmolLM2 (byte-level BPE)', smollm2ShapeDir()]] as const) {
  test(`text prompts have exact token counts and keep shared prefixes: ${name}`, async () => {
    const tok = await loadTokenizer(dir);
    if (!tok.ok) throw new Error(tok.error.message);
    const renderer = new TextPromptRenderer(tok.value);
    const sessions = renderer.renderSessions(sharedPrefixWorkload({
      numSessions: 6, numGroups: 2, prefixLength: 100, suffixLength: 20, outputLength: 4, turnsPerSession: 2, seed: 9, tokenSpace: DEFAULT_TOKEN_SPACE,
    }));
    for (const s of sessions) {
      for (const t of s.turns) {
        const ids: number[] = tok.value.encode(t.promptText!, { addSpecialTokens: false });
        assert.equal(ids.length, t.promptTokenIds.length);
      }
      assert.ok(s.turns[1]!.promptText!.startsWith(s.turns[0]!.promptText!), 'a later turn extends the earlier one');
    }
    const byGroup = (g: string | null) => sessions.filter((s) => s.group === g);
    const sameGroup = [byGroup('g0'), byGroup('g1')].sort((x, y) => y.length - x.length)[0]!; // 6 sessions, 2 groups: one has ≥ 3
    assert.ok(sameGroup.length >= 3);
    const [a, b] = sameGroup.map((s) => tok.value.encode(s.turns[0]!.promptText!, { addSpecialTokens: false }));
    assert.deepEqual(a!.slice(0, 100), b!.slice(0, 100), 'the shared prefix is the same 100 tokens');
  });
}

test('request bodies: token ids for completions, text messages for chat, fixed output length', () => {
  const turn = { promptTokenIds: [5, 6], maxTokens: 3, promptText: 'a b' };
  assert.deepEqual(requestBody('m', { promptTokenIds: [5, 6], maxTokens: 3 }, 'completions').prompt, [5, 6]);
  assert.equal(requestBody('m', turn, 'completions').prompt, 'a b');
  const chat = requestBody('m', turn, 'chat');
  assert.deepEqual(chat.messages, [{ role: 'user', content: 'a b' }]);
  assert.equal(chat.prompt, undefined);
  assert.equal(chat.ignore_eos, true);
  assert.equal(chat.max_tokens, 3);
});
