// End to end on CPU: bundle stories260K, unpack with the documented one-liner's steps into a temp folder, start the
// server from the bundle with its own node binary on a loopback port, get a greedy completion, stop it (~15 s).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@mini-dynamo/model';
import { once } from 'node:events';
import { createBundle, BUNDLE_TOP } from './bundle.js';
import { DEFAULT_DEPLOY_CACHE, REPO_ROOT } from './repo-paths.js';

const MODEL = defaultModelDir();

test('offline bundle: pack, verify, unpack, serve stories260K from the unpacked bundle', { timeout: 120_000 }, async (t) => {
  if (process.env.MINI_DYNAMO_SKIP_BUNDLE_E2E === '1') return t.skip('MINI_DYNAMO_SKIP_BUNDLE_E2E=1');
  if (!existsSync(MODEL)) return t.skip(`stories260K not found at ${MODEL}`);
  const root = mkdtempSync(join(tmpdir(), 'bundle-e2e-'));
  try {
    const out = join(root, 'out');
    const result = await createBundle({ repoRoot: REPO_ROOT, modelDirs: [MODEL], outDir: out, cacheDir: DEFAULT_DEPLOY_CACHE, gzipLevel: 1 });
    assert.ok(result.archive.parts.length >= 2, 'a >60 MiB bundle is split');
    for (const p of result.archive.parts) assert.ok(p.bytes <= 60 * 1024 * 1024);
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: out });
    const dest = join(root, 'dest');
    execFileSync('sh', ['-c', `mkdir -p '${dest}' && cat mini-dynamo.tar.gz.part-* | tar xzf - -C '${dest}'`], { cwd: out });
    const top = join(dest, BUNDLE_TOP);
    assert.deepEqual(readdirSync(join(top, 'app/node_modules/onnxruntime-node/bin/napi-v6')), ['linux']);
    assert.ok(!existsSync(join(top, 'app/node_modules/typescript')), 'dev dependencies are not bundled');
    assert.equal(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).cuda, false);

    const server = spawn(join(top, 'run.sh'), ['--port', '0', '--host', '127.0.0.1', '--workers', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: '/usr/bin:/bin' }, detached: false,
    });
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      let stdout = '';
      const url = await new Promise<string>((res, rej) => {
        server.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m) res(m[1]);
        });
        server.on('exit', (code) => rej(new Error(`bundle server exited ${code}: ${stderr}`)));
      });
      assert.match(stderr, new RegExp(`${top}/app/`), 'the graph cache lives inside the unpacked bundle');
      const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stories260K', prompt: 'Once upon a time', max_tokens: 12, temperature: 0 }) });
      assert.equal(res.status, 200);
      const body = await res.json() as { choices: { text: string }[] };
      assert.match(body.choices[0].text, /^, there was a little girl named Lily/);
    } finally {
      server.kill('SIGTERM');
      if (server.exitCode === null) await once(server, 'exit');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
