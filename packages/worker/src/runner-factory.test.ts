// createRunner over the real stories260K folder: a context beyond the trained one is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { defaultModelDir } from '@mini-dynamo/model';
import { createRunner } from './runner-factory.js';

const STORIES = defaultModelDir();

test('an ORT runner refuses a max model len past the model\'s trained context (512 for stories260K)', { skip: !existsSync(STORIES) }, async () => {
  const runner = await createRunner({ workerId: 'w0', runner: 'ort', modelDir: STORIES, device: 'cpu', blockSize: 16, maxModelLen: 4096 }, () => {});
  assert.ok(!runner.ok);
  assert.equal(runner.error.code, 'invalid_options');
  assert.match(runner.error.message, /4096 exceeds stories260K's trained context of 512/);
});
