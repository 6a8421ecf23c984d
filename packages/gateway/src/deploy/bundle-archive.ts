// Packs a staged folder into gzip'd tar parts of at most partBytes each, with sha256 sums (sha256sum -c format),
// a manifest and an unpack script. Invariant: concatenating the parts in name order gives the exact archive.

import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';

export const MIB = 1024 * 1024;
export const DEFAULT_PART_BYTES = 60 * MIB;

export interface ArchivePart { file: string; bytes: number; sha256: string }
export interface ArchiveResult { archiveName: string; parts: ArchivePart[]; totalBytes: number; sha256: string }

/** Writes a byte stream into numbered part files of at most partBytes, hashing each and the whole. */
class PartWriter {
  readonly parts: ArchivePart[] = [];
  private fd: number | null = null;
  private hash: Hash | null = null;
  private written = 0;
  private readonly whole = createHash('sha256');
  constructor(private readonly outDir: string, private readonly baseName: string, private readonly partBytes: number) {}

  write(chunk: Buffer): void {
    this.whole.update(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      if (this.fd === null || this.written === this.partBytes) this.open();
      const n = Math.min(chunk.length - offset, this.partBytes - this.written);
      const slice = chunk.subarray(offset, offset + n);
      writeSync(this.fd as number, slice);
      this.hash?.update(slice);
      this.written += n;
      this.parts[this.parts.length - 1].bytes += n;
      offset += n;
    }
  }

  private open(): void {
    this.closePart();
    const file = `${this.baseName}.part-${String(this.parts.length).padStart(3, '0')}`;
    this.fd = openSync(join(this.outDir, file), 'w');
    this.hash = createHash('sha256');
    this.written = 0;
    this.parts.push({ file, bytes: 0, sha256: '' });
  }

  private closePart(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.parts[this.parts.length - 1].sha256 = (this.hash as Hash).digest('hex');
    this.fd = null;
  }

  finish(): { parts: ArchivePart[]; sha256: string } {
    if (this.parts.length === 0) this.open(); // an empty stream still yields one (empty) part
    this.closePart();
    return { parts: this.parts, sha256: this.whole.digest('hex') };
  }
}

/** tar c -C stageDir topName | gzip -level | split → outDir/<archiveName>.part-NNN. */
export async function writeArchive(stageDir: string, topName: string, outDir: string, opts: { partBytes?: number; gzipLevel?: number } = {}): Promise<ArchiveResult> {
  const partBytes = opts.partBytes ?? DEFAULT_PART_BYTES;
  if (!Number.isInteger(partBytes) || partBytes < 1) throw new Error(`part size must be a positive number of bytes, got ${partBytes}`);
  const archiveName = `${topName}.tar.gz`;
  const writer = new PartWriter(outDir, archiveName, partBytes);
  const tar = spawn('tar', ['-cf', '-', '-C', stageDir, topName], { stdio: ['ignore', 'pipe', 'inherit'] });
  const gzip = createGzip({ level: opts.gzipLevel ?? 6 });
  const tarExit = new Promise<number | null>((res) => tar.on('close', res));
  tar.stdout.pipe(gzip);
  for await (const chunk of gzip) writer.write(chunk as Buffer);
  const code = await tarExit;
  if (code !== 0) throw new Error(`tar exited with ${code}`);
  const { parts, sha256 } = writer.finish();
  return { archiveName, parts, totalBytes: parts.reduce((s, p) => s + p.bytes, 0), sha256 };
}

/** The one line that verifies, unpacks and runs (from the folder holding the parts). */
export function unpackCommand(archive: ArchiveResult, topName: string): string {
  return `sha256sum -c SHA256SUMS && cat ${archive.archiveName}.part-* | tar xzf - && ./${topName}/run.sh`;
}

/** SHA256SUMS, manifest.json and unpack.sh beside the parts. */
export function writeArchiveMetadata(outDir: string, archive: ArchiveResult, topName: string, info: Record<string, unknown>): void {
  writeFileSync(join(outDir, 'SHA256SUMS'), archive.parts.map((p) => `${p.sha256}  ${p.file}\n`).join(''));
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify({ ...info, archive: archive.archiveName, sha256: archive.sha256,
    totalBytes: archive.totalBytes, parts: archive.parts, unpack: unpackCommand(archive, topName) }, null, 2)}\n`);
  const script = [
    '#!/bin/sh',
    '# Verifies every part, unpacks the bundle into the current folder (or $1), then starts it with any further args.',
    'set -eu',
    'here=$(cd "$(dirname "$0")" && pwd)',
    'dest=${1:-.}; [ $# -gt 0 ] && shift',
    '(cd "$here" && sha256sum -c --quiet SHA256SUMS)',
    `cat "$here"/${archive.archiveName}.part-* | tar xzf - -C "$dest"`,
    `exec "$dest/${topName}/run.sh" "$@"`,
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'unpack.sh'), script);
  chmodSync(join(outDir, 'unpack.sh'), 0o755);
}
