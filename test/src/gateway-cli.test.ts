// `mini-dynamo serve` as `npm start` runs it: prints progress and the URL, serves, exits on SIGTERM
// after letting a stream in flight finish (graceful shutdown); bad flags fail fast with a message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './infra-support.js';

const CLI = join(REPO_ROOT, 'packages', 'gateway', 'dist', 'cli.js');

test('serve prints startup progress and the URL, answers /ready and stops on SIGTERM once its stream is done', { timeout: 60_000 }, async (t) => {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', '1', '--runner', 'mock', '--mock-speedup', '1'], {
    env: { ...process.env, MINI_DYNAMO_MAX_NUM_SEQS: '8' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }); // a failed assertion leaves no server behind
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.match(stderr, /loading tokenizer/);
  assert.match(stderr, /\[worker-0\] ready/);
  const ready = await fetch(`${url}/ready`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { num_ready_workers: number }).num_ready_workers, 1);
  // ~8 ms per mock step: 150 tokens are still streaming when SIGTERM arrives.
  const stream = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stories260K', prompt: 'once upon a time', max_tokens: 150, ignore_eos: true, stream: true }),
  });
  const reader = stream.body!.getReader();
  let body = new TextDecoder().decode((await reader.read()).value);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const decoder = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) body += decoder.decode(r.value, { stream: true });
  assert.match(body, /"finish_reason":"length"[\s\S]*data: \[DONE\]\n\n$/, 'the stream in flight ran to its end');
  assert.equal(await exited, 0);
  assert.match(stderr, /SIGTERM: shutting down/);
});

test('serve rejects a bad flag value with a clear message', () => {
  const r = spawnSync(process.execPath, [CLI, 'serve', '--router', 'fastest'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--router must be one of kv, round_robin, random, least_loaded/);
});

test('serve rejects bad router flag values (flag or env var) with a clear message', () => {
  const flag = spawnSync(process.execPath, [CLI, 'serve', '--busy-kv-threshold', '2'], { encoding: 'utf8' });
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /--busy-kv-threshold must be a fraction in \(0, 1\], got '2'/);
  const env = spawnSync(process.execPath, [CLI, 'serve'], { encoding: 'utf8', env: { ...process.env, MINI_DYNAMO_ON_ALL_BUSY: 'queue' } });
  assert.equal(env.status, 1);
  assert.match(env.stderr, /--on-all-busy must be one of reject, least_loaded, got 'queue'/);
});
