// Fetches npm tarballs with the ordinary client (`npm pack`) into a cache folder and unpacks them.
// Invariant: a tarball already in the cache is reused (offline re-runs); nothing here edits package.json or the lock.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** `name@version` → the file name `npm pack` writes (scope '@a/b' becomes 'a-b'). */
export function packFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** The cached tarball of name@version, downloading it with `npm pack` when absent. */
export function npmPack(name: string, version: string, cacheDir: string, log: (line: string) => void = () => {}): string {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, packFileName(name, version));
  if (existsSync(file)) {
    log(`using cached ${file}`);
    return file;
  }
  log(`npm pack ${name}@${version} → ${cacheDir}`);
  execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', cacheDir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(file)) throw new Error(`npm pack did not produce ${file}`);
  return file;
}

/** Unpacks an npm tarball's `package/` folder into dest (replacing dest), optionally only some members. */
export function extractPackage(tgz: string, dest: string, members: readonly string[] = []): void {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1', ...members.map((m) => `package/${m}`)], { stdio: 'inherit' });
}

/** Sub-folders of dir (empty when dir is absent). */
export function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
}
