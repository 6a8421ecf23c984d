// Assembles an offline bundle for air-gapped linux-x64 hosts: this node binary, the built app (dist of every
// workspace package), its production dependencies (linux-x64 only), optionally the CUDA 13 provider and bench/,
// model folders (as shared/models/<name>, where the app's default paths look) and run.sh; then packs it with
// bundle-archive.ts. Invariant: the repo's own node_modules is only read (the CUDA pin happens in the staging copy).

import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { installCudaProvider, findOrt } from './cuda-provider.js';
import { isPrunedPath, productionClosure, type BundledPackage } from './prod-deps.js';
import { writeArchive, writeArchiveMetadata, unpackCommand, type ArchiveResult } from './bundle-archive.js';

export const BUNDLE_TOP = 'mini-dynamo';

export interface BundleOptions {
  repoRoot: string;
  /** Model folders; the first is the one run.sh serves. They land in shared/models/ (where defaultModelDir() looks). */
  modelDirs: readonly string[];
  outDir: string;
  withCuda?: boolean;
  /** Also ship bench/ (its dist + production deps, plus BENCH_EXTRA_DIRS: bench/gpu/*.py) so benchmarks run from the bundle. */
  withBench?: boolean;
  cacheDir: string;
  partBytes?: number;
  gzipLevel?: number;
  /** The node binary to ship (default: the running one). */
  nodeBinary?: string;
  log?: (line: string) => void;
}

export interface BundleResult { archive: ArchiveResult; unpack: string; numPackages: number }

const skipBuildFile = (p: string): boolean => /\.test\.(js|d\.ts)(\.map)?$|\.tsbuildinfo$/.test(p);

function copyPackage(repoRoot: string, appDir: string, pkg: BundledPackage): void {
  const src = join(repoRoot, pkg.path);
  const dest = join(appDir, pkg.path);
  if (pkg.workspace) {
    if (!existsSync(join(src, 'dist'))) throw new Error(`${pkg.name} is not built (${pkg.path}/dist missing): run npm run build`);
    mkdirSync(dest, { recursive: true });
    copyFileSync(join(src, 'package.json'), join(dest, 'package.json'));
    cpSync(join(src, 'dist'), join(dest, 'dist'), { recursive: true, filter: (f) => !skipBuildFile(f) });
    const link = join(appDir, 'node_modules', pkg.name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), dest), link);
    return;
  }
  cpSync(src, dest, { recursive: true, dereference: true, filter: (f) => {
    const rel = relative(src, f);
    return !rel.split('/').includes('node_modules') && !isPrunedPath(pkg.name, rel);
  } });
}

/** Folders of bench/ that are not part of its dist but ship with `--with-bench` (the PyTorch GPU scripts). */
export const BENCH_EXTRA_DIRS = ['bench/gpu'] as const;

/** Copies the BENCH_EXTRA_DIRS that exist (skipping __pycache__) into the bundle's app/; returns those copied. */
export function copyBenchExtras(repoRoot: string, appDir: string): string[] {
  const copied = BENCH_EXTRA_DIRS.filter((d) => existsSync(join(repoRoot, d)));
  for (const d of copied) {
    cpSync(join(repoRoot, d), join(appDir, d), { recursive: true, filter: (f) => !f.split('/').includes('__pycache__') });
  }
  return copied;
}

/** Removes other platforms' binaries from onnxruntime-node (needed again after the CUDA pin re-extracts it). */
function pruneOrt(nodeModulesDir: string): void {
  const ort = findOrt(nodeModulesDir);
  if (ort === null) return;
  for (const napi of readdirSync(join(ort.packageDir, 'bin'))) {
    for (const platform of readdirSync(join(ort.packageDir, 'bin', napi))) {
      const rel = join('bin', napi, platform);
      if (isPrunedPath('onnxruntime-node', rel)) { rmSync(join(ort.packageDir, rel), { recursive: true }); continue; }
      for (const arch of readdirSync(join(ort.packageDir, rel))) {
        if (isPrunedPath('onnxruntime-node', join(rel, arch))) rmSync(join(ort.packageDir, rel, arch), { recursive: true });
      }
    }
  }
}

export function runScript(modelName: string, withCuda: boolean): string {
  return [
    '#!/bin/sh',
    '# Starts mini-dynamo from this bundle with its own node binary; extra args go to `serve` (e.g. --port 8000).',
    'here=$(cd "$(dirname "$0")" && pwd)',
    ...(withCuda ? ['export MINI_DYNAMO_DEVICE="${MINI_DYNAMO_DEVICE:-cuda}"'] : []),
    `exec "$here/node/bin/node" "$here/app/packages/gateway/dist/cli.js" serve --model "$here/shared/models/${modelName}" "$@"`,
    '',
  ].join('\n');
}

export async function createBundle(opts: BundleOptions): Promise<BundleResult> {
  const log = opts.log ?? (() => {});
  const modelDirs = opts.modelDirs.map((d) => resolve(d));
  if (modelDirs.length === 0) throw new Error('no model folder given');
  for (const d of modelDirs) if (!existsSync(d)) throw new Error(`model folder ${d} does not exist`);
  mkdirSync(opts.outDir, { recursive: true });
  const stage = join(opts.outDir, '.stage');
  rmSync(stage, { recursive: true, force: true });
  const top = join(stage, BUNDLE_TOP);
  const appDir = join(top, 'app');
  mkdirSync(join(top, 'node', 'bin'), { recursive: true });
  copyFileSync(opts.nodeBinary ?? process.execPath, join(top, 'node', 'bin', 'node'));
  chmodSync(join(top, 'node', 'bin', 'node'), 0o755);
  const packages = productionClosure(opts.repoRoot, opts.withBench ? ['bench'] : []);
  log(`copying ${packages.length} packages (production dependencies, linux-x64)`);
  mkdirSync(appDir, { recursive: true });
  copyFileSync(join(opts.repoRoot, 'package.json'), join(appDir, 'package.json'));
  for (const pkg of packages) copyPackage(opts.repoRoot, appDir, pkg);
  if (opts.withBench) log(`bench extras: ${copyBenchExtras(opts.repoRoot, appDir).join(', ') || 'none'}`);
  if (opts.withCuda) installCudaProvider({ nodeModulesDir: join(appDir, 'node_modules'), cacheDir: opts.cacheDir, log });
  pruneOrt(join(appDir, 'node_modules'));
  for (const d of modelDirs) cpSync(d, join(top, 'shared', 'models', basename(d)), { recursive: true, dereference: true });
  const modelName = basename(modelDirs[0]);
  writeFileSync(join(top, 'run.sh'), runScript(modelName, opts.withCuda ?? false));
  chmodSync(join(top, 'run.sh'), 0o755);
  log('packing');
  for (const f of readdirSync(opts.outDir)) if (f.startsWith(`${BUNDLE_TOP}.tar.gz.part-`)) rmSync(join(opts.outDir, f));
  const archive = await writeArchive(stage, BUNDLE_TOP, opts.outDir, { partBytes: opts.partBytes, gzipLevel: opts.gzipLevel });
  writeArchiveMetadata(opts.outDir, archive, BUNDLE_TOP, {
    createdAt: new Date().toISOString(), node: process.version, platform: 'linux-x64', models: modelDirs.map((d) => basename(d)),
    onnxruntimeNode: findOrt(join(appDir, 'node_modules'))?.version ?? null, cuda: opts.withCuda ?? false, bench: opts.withBench ?? false,
  });
  rmSync(stage, { recursive: true, force: true });
  return { archive, unpack: unpackCommand(archive, BUNDLE_TOP), numPackages: packages.length };
}
