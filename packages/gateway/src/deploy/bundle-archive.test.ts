import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive, writeArchiveMetadata } from './bundle-archive.js';

function stageFixture(root: string): Buffer {
  const top = join(root, 'stage', 'app');
  mkdirSync(join(top, 'sub'), { recursive: true });
  const payload = randomBytes(20_000); // incompressible, so it spans several 4 KiB parts
  writeFileSync(join(top, 'sub', 'payload.bin'), payload);
  writeFileSync(join(top, 'run.sh'), '#!/bin/sh\necho "ran with: $*"\n');
  chmodSync(join(top, 'run.sh'), 0o755);
  return payload;
}

test('parts are at most partBytes, sum-checked, and concatenate back to the staged tree', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bundle-archive-'));
  try {
    const payload = stageFixture(root);
    const out = join(root, 'out');
    mkdirSync(out);
    const archive = await writeArchive(join(root, 'stage'), 'app', out, { partBytes: 4096, gzipLevel: 1 });
    writeArchiveMetadata(out, archive, 'app', { model: 'fixture' });
    assert.ok(archive.parts.length >= 5, `expected several parts, got ${archive.parts.length}`);
    for (const p of archive.parts) assert.ok(statSync(join(out, p.file)).size === p.bytes && p.bytes <= 4096);
    assert.deepEqual(archive.parts.map((p) => p.file), [...archive.parts.map((p) => p.file)].sort(), 'glob order = part order');
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: out });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.parts.length, archive.parts.length);
    assert.equal(manifest.model, 'fixture');
    // The one-line unpack-and-run, as documented.
    const dest = join(root, 'dest');
    mkdirSync(dest);
    const run = spawnSync(join(out, 'unpack.sh'), [dest, '--port', '0'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /ran with: --port 0/);
    assert.deepEqual(readFileSync(join(dest, 'app', 'sub', 'payload.bin')), payload);
    // A corrupted part is refused before anything is unpacked.
    const victim = join(out, archive.parts[1].file);
    const bytes = readFileSync(victim);
    bytes[10] ^= 0xff;
    writeFileSync(victim, bytes);
    const dest2 = join(root, 'dest2');
    mkdirSync(dest2);
    const bad = spawnSync(join(out, 'unpack.sh'), [dest2], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.deepEqual(readdirSync(dest2), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an invalid part size is rejected', async () => {
  await assert.rejects(writeArchive(tmpdir(), 'x', tmpdir(), { partBytes: 0 }), /part size/);
});
