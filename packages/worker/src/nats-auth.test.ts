// natsConnectOptions / redactNatsUrl: URL userinfo becomes nats.js options (which ignore it) and leaves logs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natsConnectOptions, redactNatsUrl } from './nats-auth.js';

test('URL userinfo moves into user/pass or token; an explicit cluster token wins', () => {
  assert.deepEqual(natsConnectOptions('nats://h:4222', undefined, 'n'), { servers: 'nats://h:4222', name: 'n' });
  assert.deepEqual(natsConnectOptions('nats://h:4222', 'T', 'n'), { servers: 'nats://h:4222', name: 'n', token: 'T' });
  assert.deepEqual(natsConnectOptions('nats://tok@h:4222', undefined, 'n'), { servers: 'nats://h:4222', name: 'n', token: 'tok' });
  assert.deepEqual(natsConnectOptions('nats://u:p%40ss@h:4222', undefined, 'n'), { servers: 'nats://h:4222', name: 'n', user: 'u', pass: 'p@ss' });
  assert.equal(natsConnectOptions('nats://tok@h:4222', 'T', 'n').token, 'T');
});

test('redactNatsUrl drops credentials and keeps everything else', () => {
  assert.equal(redactNatsUrl('nats://u:p@nats.svc:4222'), 'nats://nats.svc:4222');
  assert.equal(redactNatsUrl('nats://secret@127.0.0.1:4222'), 'nats://127.0.0.1:4222');
  assert.equal(redactNatsUrl('nats://127.0.0.1:4222'), 'nats://127.0.0.1:4222');
  assert.equal(redactNatsUrl('not a url'), 'not a url');
});
