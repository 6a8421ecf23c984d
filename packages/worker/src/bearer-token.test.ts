// createBearerCheck: the one constant-time bearer-token check (gateway --api-key, worker --cluster-token).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBearerCheck } from './bearer-token.js';

test('accepts the right token (scheme case-insensitive), refuses missing and wrong ones', () => {
  const check = createBearerCheck('s3cret');
  assert.equal(check('Bearer s3cret'), null);
  assert.equal(check('bearer  s3cret '), null);
  assert.equal(check(undefined), 'missing');
  assert.equal(check('Bearer '), 'missing');
  assert.equal(check('Basic s3cret'), 'missing');
  assert.equal(check('Bearer s3cre'), 'incorrect');
  assert.equal(check('Bearer s3cret-and-more'), 'incorrect');
  assert.throws(() => createBearerCheck(''), /must not be empty/);
});
