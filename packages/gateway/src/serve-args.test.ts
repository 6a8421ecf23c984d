// `serve` flag parsing: router flags (approximate mode, temperature, busy thresholds) from flags
// and env vars, flags winning over env, and clear errors for bad values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeArgs } from './serve-args.js';

test('router flags map to ServerOptions; unset flags stay unset', () => {
  const { server } = parseServeArgs([
    '--no-kv-events', '--router-temperature', '0.5', '--busy-kv-threshold', '0.9',
    '--busy-prefill-threshold', '4096', '--on-all-busy', 'least_loaded', '--workers', '3',
  ], {});
  assert.equal(server.useKvEvents, false);
  assert.equal(server.routerTemperature, 0.5);
  assert.deepEqual(server.busyThresholds, { kvUsage: 0.9, prefillTokens: 4096, onAllBusy: 'least_loaded' });
  assert.equal(server.numWorkers, 3);
  const none = parseServeArgs([], {}).server;
  assert.deepEqual(none, {});
});

test('router flags also come from MINI_DYNAMO_* env vars; a flag wins over its env var', () => {
  const env = {
    MINI_DYNAMO_NO_KV_EVENTS: '1', MINI_DYNAMO_ROUTER_TEMPERATURE: '0.25',
    MINI_DYNAMO_BUSY_KV_THRESHOLD: '0.8', MINI_DYNAMO_ON_ALL_BUSY: 'reject',
  };
  const { server } = parseServeArgs(['--router-temperature', '2'], env);
  assert.equal(server.useKvEvents, false);
  assert.equal(server.routerTemperature, 2);
  assert.deepEqual(server.busyThresholds, { kvUsage: 0.8, onAllBusy: 'reject' });
  assert.equal(parseServeArgs([], { MINI_DYNAMO_NO_KV_EVENTS: 'false' }).server.useKvEvents, undefined);
  assert.deepEqual(parseServeArgs([], { MINI_DYNAMO_BUSY_PREFILL_THRESHOLD: '512' }).server.busyThresholds, { prefillTokens: 512 });
});

test('bad router flag values throw a message naming the flag and the value', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--router-temperature=-1'], {}, /--router-temperature must be a number ≥ 0, got '-1'/],
    [['--router-temperature', 'hot'], {}, /--router-temperature must be a number ≥ 0, got 'hot'/],
    [['--busy-kv-threshold', '0'], {}, /--busy-kv-threshold must be a fraction in \(0, 1\], got '0'/],
    [['--busy-kv-threshold', '1.5'], {}, /--busy-kv-threshold must be a fraction in \(0, 1\], got '1.5'/],
    [['--busy-prefill-threshold', '10.5'], {}, /--busy-prefill-threshold must be an integer ≥ 1, got '10.5'/],
    [['--on-all-busy', 'queue'], {}, /--on-all-busy must be one of reject, least_loaded, got 'queue'/],
    [[], { MINI_DYNAMO_NO_KV_EVENTS: 'yes' }, /MINI_DYNAMO_NO_KV_EVENTS must be 1, true, 0 or false, got 'yes'/],
    [[], { MINI_DYNAMO_BUSY_KV_THRESHOLD: '' }, /--busy-kv-threshold must be a fraction/],
    [['--no-kv-events=1'], {}, /no-kv-events/],
  ];
  for (const [argv, env, message] of cases) assert.throws(() => parseServeArgs(argv, env), message, argv.join(' '));
});

test('existing flags keep their meaning and errors', () => {
  const { server, traceFile } = parseServeArgs(['--router', 'round_robin', '--overlap-weight', '2', '--port', '0', '--trace-file', 's.jsonl'], {});
  assert.deepEqual(server, { routerPolicy: 'round_robin', overlapWeight: 2, port: 0 });
  assert.equal(traceFile, 's.jsonl');
  assert.throws(() => parseServeArgs(['--router', 'fastest'], {}), /--router must be one of kv, round_robin, random, least_loaded/);
  assert.throws(() => parseServeArgs(['--workers', '0'], {}), /--workers must be an integer ≥ 1/);
  assert.equal(parseServeArgs(['--workers', '0', '--nats', 'nats://127.0.0.1:4222'], {}).server.numWorkers, 0);
});

test('--api-key / MINI_DYNAMO_API_KEY: the flag wins; an empty key is an error that echoes nothing', () => {
  assert.equal(parseServeArgs(['--api-key', 'sk-flag'], { MINI_DYNAMO_API_KEY: 'sk-env' }).server.apiKey, 'sk-flag');
  assert.equal(parseServeArgs([], { MINI_DYNAMO_API_KEY: 'sk-env' }).server.apiKey, 'sk-env');
  assert.equal(parseServeArgs([], {}).server.apiKey, undefined);
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_API_KEY: '' }), /^Error: --api-key must not be empty \(from MINI_DYNAMO_API_KEY\)$/);
  assert.throws(() => parseServeArgs(['--api-key='], {}), /^Error: --api-key must not be empty$/);
});

test('--cluster-token / MINI_DYNAMO_CLUSTER_TOKEN: the flag wins; an empty token is an error that echoes nothing', () => {
  assert.equal(parseServeArgs(['--cluster-token', 'ct-flag'], { MINI_DYNAMO_CLUSTER_TOKEN: 'ct-env' }).server.clusterToken, 'ct-flag');
  assert.equal(parseServeArgs([], { MINI_DYNAMO_CLUSTER_TOKEN: 'ct-env' }).server.clusterToken, 'ct-env');
  assert.equal(parseServeArgs([], {}).server.clusterToken, undefined);
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_CLUSTER_TOKEN: '' }), /^Error: --cluster-token must not be empty \(from MINI_DYNAMO_CLUSTER_TOKEN\)$/);
});

test('an env var\'s bad value names the flag and the env var', () => {
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_WORKERS: 'two' }), /^Error: --workers must be an integer ≥ 1, got 'two' \(from MINI_DYNAMO_WORKERS\)$/);
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_ROUTER: 'fastest' }), /--router must be one of kv, round_robin, random, least_loaded, got 'fastest' \(from MINI_DYNAMO_ROUTER\)/);
});

test('--enable-auto-tool-choice with --tool-call-parser (or their env vars); one without the other is a startup error', () => {
  assert.deepEqual(parseServeArgs(['--enable-auto-tool-choice', '--tool-call-parser', 'hermes'], {}).server,
    { enableAutoToolChoice: true, toolCallParser: 'hermes' });
  assert.deepEqual(parseServeArgs([], { MINI_DYNAMO_ENABLE_AUTO_TOOL_CHOICE: '1', MINI_DYNAMO_TOOL_CALL_PARSER: 'llama3_json' }).server,
    { enableAutoToolChoice: true, toolCallParser: 'llama3_json' });
  assert.throws(() => parseServeArgs(['--enable-auto-tool-choice'], {}), /^Error: --enable-auto-tool-choice requires --tool-call-parser \(one of hermes, llama3_json\)$/);
  assert.throws(() => parseServeArgs(['--tool-call-parser', 'hermes'], {}), /--tool-call-parser hermes requires --enable-auto-tool-choice/);
  assert.throws(() => parseServeArgs(['--enable-auto-tool-choice', '--tool-call-parser', 'mistral'], {}),
    /--tool-call-parser must be one of hermes, llama3_json, got 'mistral'/);
});

test('--enable-tokenizer-info-endpoint (or MINI_DYNAMO_ENABLE_TOKENIZER_INFO_ENDPOINT=1) turns on GET /tokenizer_info', () => {
  assert.equal(parseServeArgs(['--enable-tokenizer-info-endpoint'], {}).server.enableTokenizerInfoEndpoint, true);
  assert.equal(parseServeArgs([], { MINI_DYNAMO_ENABLE_TOKENIZER_INFO_ENDPOINT: '1' }).server.enableTokenizerInfoEndpoint, true);
  assert.equal(parseServeArgs([], {}).server.enableTokenizerInfoEndpoint, undefined);
});

test('--speculative-config (or MINI_DYNAMO_SPECULATIVE_CONFIG) parses vLLM n-gram JSON into every worker\'s options', () => {
  const json = '{"method":"ngram","num_speculative_tokens":5,"prompt_lookup_max":4,"prompt_lookup_min":2}';
  const expected = { method: 'ngram', numSpeculativeTokens: 5, promptLookupMax: 4, promptLookupMin: 2 };
  assert.deepEqual(parseServeArgs(['--speculative-config', json], {}).server.speculative, expected);
  assert.deepEqual(parseServeArgs([], { MINI_DYNAMO_SPECULATIVE_CONFIG: json }).server.speculative, expected);
  const flagWins = parseServeArgs(['--speculative-config', '{"method":"ngram","num_speculative_tokens":2}'], { MINI_DYNAMO_SPECULATIVE_CONFIG: json });
  assert.equal(flagWins.server.speculative?.numSpeculativeTokens, 2);
  assert.equal(parseServeArgs([], {}).server.speculative, undefined);
});

test('a bad --speculative-config stops `serve` with one line naming the flag and the field', () => {
  assert.throws(() => parseServeArgs(['--speculative-config', '{"method":"ngram","num_speculative_tokens":0}'], {}),
    /^Error: --speculative-config: num_speculative_tokens must be an integer in \[1, 16\], got 0$/);
  assert.throws(() => parseServeArgs(['--speculative-config', '{"method":"eagle","num_speculative_tokens":2}'], {}),
    /--speculative-config: method must be "ngram"/);
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_SPECULATIVE_CONFIG: 'ngram' }),
    /^Error: --speculative-config: is not JSON: "ngram" \(from MINI_DYNAMO_SPECULATIVE_CONFIG\)$/);
});

test('canary health check flags (Dynamo DYN_HEALTH_CHECK_ENABLED, DYN_CANARY_WAIT_TIME, DYN_HEALTH_CHECK_REQUEST_TIMEOUT): off by default, seconds → ms', () => {
  assert.equal(parseServeArgs([], {}).server.healthCheck, undefined);
  assert.deepEqual(parseServeArgs(['--health-check-enabled'], {}).server.healthCheck, { waitMs: 10_000, timeoutMs: 3000 });
  assert.deepEqual(parseServeArgs(['--health-check-enabled', '--canary-wait-time', '5', '--health-check-request-timeout', '0.5'], {}).server.healthCheck,
    { waitMs: 5000, timeoutMs: 500 });
  const env = { MINI_DYNAMO_HEALTH_CHECK_ENABLED: 'true', MINI_DYNAMO_CANARY_WAIT_TIME: '30', MINI_DYNAMO_HEALTH_CHECK_REQUEST_TIMEOUT: '10' };
  assert.deepEqual(parseServeArgs([], env).server.healthCheck, { waitMs: 30_000, timeoutMs: 10_000 });
  assert.deepEqual(parseServeArgs(['--canary-wait-time', '2'], env).server.healthCheck, { waitMs: 2000, timeoutMs: 10_000 }, 'a flag wins over its env var');
  assert.equal(parseServeArgs([], { ...env, MINI_DYNAMO_HEALTH_CHECK_ENABLED: '0' }).server.healthCheck, undefined, 'explicitly off: the tuning is ignored');
});

test('bad canary health check values throw a message naming the flag', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--health-check-enabled', '--canary-wait-time', '0'], {}, /--canary-wait-time must be a number ≥ 0.001, got '0'/],
    [['--health-check-enabled', '--health-check-request-timeout', 'soon'], {}, /--health-check-request-timeout must be a number ≥ 0.001, got 'soon'/],
    [[], { MINI_DYNAMO_HEALTH_CHECK_ENABLED: 'yes' }, /MINI_DYNAMO_HEALTH_CHECK_ENABLED must be 1, true, 0 or false, got 'yes'/],
    [['--canary-wait-time', '5'], {}, /--canary-wait-time \/ --health-check-request-timeout need --health-check-enabled/],
  ];
  for (const [argv, env, message] of cases) assert.throws(() => parseServeArgs(argv, env), message, argv.join(' '));
});

test('--scheduling-policy (or MINI_DYNAMO_SCHEDULING_POLICY) is fcfs|priority and reaches the server options', () => {
  assert.equal(parseServeArgs(['--scheduling-policy', 'priority'], {}).server.schedulingPolicy, 'priority');
  assert.equal(parseServeArgs([], { MINI_DYNAMO_SCHEDULING_POLICY: 'priority' }).server.schedulingPolicy, 'priority');
  assert.equal(parseServeArgs(['--scheduling-policy', 'fcfs'], { MINI_DYNAMO_SCHEDULING_POLICY: 'priority' }).server.schedulingPolicy, 'fcfs');
  assert.equal(parseServeArgs([], {}).server.schedulingPolicy, undefined);
  assert.throws(() => parseServeArgs(['--scheduling-policy', 'sjf'], {}), /--scheduling-policy.*fcfs, priority/);
});
