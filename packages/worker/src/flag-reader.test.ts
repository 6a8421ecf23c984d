// FlagReader: flag over env var, env fallback, typed parsing, and error messages that name the flag,
// the env var when the value came from there, and never echo a secret.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { err, ok } from '@mini-dynamo/protocol';
import { flagEnvName, readFlags } from './flag-reader.js';

const SPEC = { port: 'string', ratio: 'string', mode: 'string', token: 'string', verbose: 'boolean', name: 'string' } as const;

test('env var names are MINI_DYNAMO_ + upper snake case', () => {
  assert.equal(flagEnvName('max-num-seqs'), 'MINI_DYNAMO_MAX_NUM_SEQS');
  assert.equal(flagEnvName('nats'), 'MINI_DYNAMO_NATS');
});

test('a flag wins over its env var; the env var fills in; neither is undefined', () => {
  const env = { MINI_DYNAMO_PORT: '9000', MINI_DYNAMO_MODE: 'b', MINI_DYNAMO_NAME: '' };
  const p = readFlags(SPEC, ['--port', '8000', '--ratio=0.5'], env);
  assert.equal(p.int('port', 0), 8000);
  assert.equal(p.fraction('ratio'), 0.5);
  assert.equal(p.oneOf('mode', ['a', 'b'] as const), 'b');
  assert.equal(p.string('name'), '', 'an empty env var is a value for string()');
  assert.equal(p.string('token'), undefined);
  assert.equal(readFlags(SPEC, [], {}).num('ratio'), undefined);
});

test('booleans: the flag, or the env var as 1/true/0/false; anything else names the env var', () => {
  assert.equal(readFlags(SPEC, ['--verbose'], {}).bool('verbose'), true);
  assert.equal(readFlags(SPEC, [], { MINI_DYNAMO_VERBOSE: 'true' }).bool('verbose'), true);
  assert.equal(readFlags(SPEC, [], { MINI_DYNAMO_VERBOSE: '0' }).bool('verbose'), false);
  assert.equal(readFlags(SPEC, [], { MINI_DYNAMO_VERBOSE: '' }).bool('verbose'), undefined);
  assert.throws(() => readFlags(SPEC, [], { MINI_DYNAMO_VERBOSE: 'yes' }).bool('verbose'),
    /^Error: MINI_DYNAMO_VERBOSE must be 1, true, 0 or false, got 'yes' \(env var for --verbose\)$/);
});

test('bad values name the flag, and the env var when the value came from there', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => readFlags(SPEC, ['--port', '1.5'], {}).int('port'), /^Error: --port must be an integer ≥ 1, got '1.5'$/],
    [() => readFlags(SPEC, [], { MINI_DYNAMO_PORT: 'x' }).int('port', 0), /^Error: --port must be an integer ≥ 0, got 'x' \(from MINI_DYNAMO_PORT\)$/],
    [() => readFlags(SPEC, [], { MINI_DYNAMO_PORT: ' ' }).num('port'), /--port must be a number ≥ 0, got ' ' \(from MINI_DYNAMO_PORT\)/],
    [() => readFlags(SPEC, ['--port', 'Infinity'], {}).num('port'), /--port must be a number ≥ 0/],
    [() => readFlags(SPEC, ['--port', '0.0001'], {}).num('port', 0.001), /--port must be a number ≥ 0.001, got '0.0001'$/],
    [() => readFlags(SPEC, ['--ratio', '0'], {}).fraction('ratio'), /--ratio must be a fraction in \(0, 1\], got '0'/],
    [() => readFlags(SPEC, [], { MINI_DYNAMO_MODE: 'c' }).oneOf('mode', ['a', 'b']), /^Error: --mode must be one of a, b, got 'c' \(from MINI_DYNAMO_MODE\)$/],
  ];
  for (const [read, message] of cases) assert.throws(read, message);
});

test('secret(): the value, or an error for an empty one that never echoes it', () => {
  assert.equal(readFlags(SPEC, [], { MINI_DYNAMO_TOKEN: 's3cr3t' }).secret('token'), 's3cr3t');
  assert.equal(readFlags(SPEC, ['--token', 'flag-key'], { MINI_DYNAMO_TOKEN: 'env-key' }).secret('token'), 'flag-key');
  assert.equal(readFlags(SPEC, [], {}).secret('token'), undefined);
  assert.throws(() => readFlags(SPEC, [], { MINI_DYNAMO_TOKEN: '' }).secret('token'), /^Error: --token must not be empty \(from MINI_DYNAMO_TOKEN\)$/);
  assert.throws(() => readFlags(SPEC, ['--token='], {}).secret('token'), /^Error: --token must not be empty$/);
});

test('argv is strict: unknown flags, positionals and values on booleans throw', () => {
  assert.throws(() => readFlags(SPEC, ['--bogus'], {}), /bogus/);
  assert.throws(() => readFlags(SPEC, ['stray'], {}), /stray/);
  assert.throws(() => readFlags(SPEC, ['--verbose=1'], {}), /verbose/);
});

test('parsed(): the parser\'s value, or its error after the flag name (and the env var it came from)', () => {
  const even = (text: string) => (Number(text) % 2 === 0 ? ok(Number(text)) : err(`must be even, got ${text}`));
  assert.equal(readFlags(SPEC, ['--name', '4'], {}).parsed('name', even), 4);
  assert.equal(readFlags(SPEC, [], {}).parsed('name', even), undefined);
  assert.throws(() => readFlags(SPEC, ['--name', '3'], {}).parsed('name', even), /^Error: --name: must be even, got 3$/);
  assert.throws(() => readFlags(SPEC, [], { MINI_DYNAMO_NAME: '5' }).parsed('name', even), /^Error: --name: must be even, got 5 \(from MINI_DYNAMO_NAME\)$/);
});
