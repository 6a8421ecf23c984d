// The production dependency closure of this repo's workspace packages, as paths relative to the repo root,
// for copying into an offline bundle. Invariant: devDependencies are never followed; packages whose `os`/`cpu`
// exclude linux-x64 are skipped, and onnxruntime-node keeps only its linux/x64 binaries.

import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

interface PackageJson {
  name: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

export interface BundledPackage {
  name: string;
  /** Folder relative to the repo root (node_modules/… or packages/…). */
  path: string;
  /** True for the repo's own workspace packages (copy package.json + dist only). */
  workspace: boolean;
}

const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** Does a package's os/cpu field allow linux-x64? (absent fields allow everything; '!x' entries exclude) */
export function supportsLinuxX64(pkg: Pick<PackageJson, 'os' | 'cpu'>): boolean {
  const allows = (list: string[] | undefined, value: string): boolean => {
    if (!list || list.length === 0) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((v) => !v.startsWith('!'));
    return positive.length === 0 || positive.includes(value);
  };
  return allows(pkg.os, 'linux') && allows(pkg.cpu, 'x64');
}

/** Node's lookup: fromDir/node_modules/name, then each parent's, up to the root. */
function resolvePackageDir(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/** Workspace package folders listed in the root package.json's `workspaces` as `dir/*` globs (bench / test are not). */
export function workspaceDirs(root: string): string[] {
  const globs = (readJson(join(root, 'package.json')) as PackageJson & { workspaces?: string[] }).workspaces ?? [];
  return globs.filter((g) => g.endsWith('/*')).flatMap((g) => {
    const base = join(root, g.slice(0, -2));
    if (!existsSync(base)) return [];
    return readdirSync(base, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(base, e.name, 'package.json')))
      .map((e) => join(base, e.name)).sort();
  });
}

/** Every package the workspace packages (plus extra folders such as 'bench') need at run time, each once. */
export function productionClosure(root: string, extraWorkspaces: readonly string[] = []): BundledPackage[] {
  const seen = new Map<string, BundledPackage>();
  const queue: string[] = [...workspaceDirs(root), ...extraWorkspaces.map((w) => join(root, w))];
  while (queue.length > 0) {
    const dir = realpathSync(queue.shift() as string);
    const path = relative(root, dir);
    if (seen.has(path)) continue;
    const pkg = readJson(join(dir, 'package.json'));
    if (!supportsLinuxX64(pkg)) continue;
    const workspace = !path.split(sep).includes('node_modules');
    seen.set(path, { name: pkg.name, path, workspace });
    const required = { ...pkg.dependencies, ...pkg.optionalDependencies };
    const peers = Object.keys(pkg.peerDependencies ?? {});
    for (const dep of [...Object.keys(required), ...peers]) {
      const found = resolvePackageDir(dep, dir, root);
      if (found !== null) queue.push(found);
      else if (dep in required && !(dep in (pkg.optionalDependencies ?? {}))) throw new Error(`${pkg.name} needs ${dep}, not installed`);
    }
  }
  return [...seen.values()];
}

/** Paths (relative to a package folder) the bundle leaves out: other platforms' ORT binaries. */
export function isPrunedPath(pkgName: string, relPath: string): boolean {
  if (pkgName !== 'onnxruntime-node') return false;
  const m = /^bin\/napi-v\d+\/([^/]+)(?:\/([^/]+))?/.exec(relPath.split(sep).join('/'));
  if (m === null) return false;
  if (m[1] !== 'linux') return true;
  return m[2] !== undefined && m[2] !== 'x64';
}
