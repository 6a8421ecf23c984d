// The CUDA 13 execution provider for onnxruntime-node: ORT 1.29.0's libonnxruntime_providers_{cuda,shared}.so
// from the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, installed next to the ORT binding.
// Invariant: the provider must match the core ORT version, so installing it also pins onnxruntime-node (and its
// onnxruntime-common) to 1.29.0 in the target node_modules.

import { existsSync, copyFileSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { extractPackage, npmPack, subdirs } from './npm-fetch.js';

export const CUDA_PROVIDER_PACKAGE = { name: 'com.github.asus4.onnxruntime.linux-x64-gpu', version: '0.4.9' } as const;
/** The ORT release the provider was built for; onnxruntime-node is pinned to it. */
export const CUDA_PROVIDER_ORT_VERSION = '1.29.0';
/** Where the .so files sit inside the provider tarball (a Unity package layout). */
export const CUDA_PROVIDER_DIR_IN_PACKAGE = 'Plugins/Linux/x64';
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
/** Shared libraries the provider needs from the host (cuDNN 9 is loaded at run time). */
export const CUDA_HOST_LIBS = ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10', 'libcudnn.so.9'] as const;

export interface OrtLocation {
  packageDir: string;
  version: string;
  /** bin/napi-v*\/linux/x64 (where libonnxruntime.so.1 and the binding live), or null if absent. */
  binDir: string | null;
}

/** onnxruntime-node inside a node_modules folder, or null when it is not installed there. */
export function findOrt(nodeModulesDir: string): OrtLocation | null {
  const packageDir = join(nodeModulesDir, 'onnxruntime-node');
  const pkgJson = join(packageDir, 'package.json');
  if (!existsSync(pkgJson)) return null;
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  const napi = subdirs(join(packageDir, 'bin')).filter((d) => d.startsWith('napi-v')).sort().reverse();
  const binDir = napi.map((d) => join(packageDir, 'bin', d, 'linux', 'x64')).find((d) => existsSync(d)) ?? null;
  return { packageDir, version, binDir };
}

export type ProviderCheck = { ok: true; binDir: string } | { ok: false; problem: string };

/** Is the CUDA provider installed next to a matching onnxruntime-node? */
export function checkCudaProvider(nodeModulesDir: string): ProviderCheck {
  const ort = findOrt(nodeModulesDir);
  if (ort === null) return { ok: false, problem: `onnxruntime-node is not installed in ${nodeModulesDir}` };
  if (ort.binDir === null) return { ok: false, problem: `onnxruntime-node ${ort.version} has no linux/x64 binary in ${ort.packageDir}/bin` };
  if (ort.version !== CUDA_PROVIDER_ORT_VERSION) {
    return { ok: false, problem: `onnxruntime-node is ${ort.version}; the CUDA 13 provider needs ${CUDA_PROVIDER_ORT_VERSION}` };
  }
  const missing = CUDA_PROVIDER_LIBS.filter((lib) => !existsSync(join(ort.binDir as string, lib)));
  if (missing.length > 0) return { ok: false, problem: `missing ${missing.join(', ')} in ${ort.binDir}` };
  return { ok: true, binDir: ort.binDir };
}

export interface InstallOptions {
  /** The node_modules folder to install into (the repo's, or a bundle's staging copy). */
  nodeModulesDir: string;
  /** Where downloaded tarballs are kept (re-runs are offline). */
  cacheDir: string;
  log?: (line: string) => void;
}

/** Pins onnxruntime-node (+ onnxruntime-common) to 1.29.0 and copies the CUDA provider next to its binding. */
export function installCudaProvider(opts: InstallOptions): string {
  const log = opts.log ?? (() => {});
  const current = findOrt(opts.nodeModulesDir);
  const ortDir = join(opts.nodeModulesDir, 'onnxruntime-node');
  if (current?.version !== CUDA_PROVIDER_ORT_VERSION) {
    log(`pinning onnxruntime-node ${current?.version ?? '(absent)'} → ${CUDA_PROVIDER_ORT_VERSION} in ${opts.nodeModulesDir}`);
    extractPackage(npmPack('onnxruntime-node', CUDA_PROVIDER_ORT_VERSION, opts.cacheDir, log), ortDir);
    // Nested, so the pinned binding gets its own common package and nothing else in node_modules changes.
    extractPackage(npmPack('onnxruntime-common', CUDA_PROVIDER_ORT_VERSION, opts.cacheDir, log), join(ortDir, 'node_modules', 'onnxruntime-common'));
  }
  const ort = findOrt(opts.nodeModulesDir);
  if (ort?.binDir == null) throw new Error(`onnxruntime-node ${CUDA_PROVIDER_ORT_VERSION} has no linux/x64 binary under ${ortDir}/bin`);
  const { name, version } = CUDA_PROVIDER_PACKAGE;
  const tgz = npmPack(name, version, opts.cacheDir, log);
  const unpacked = join(opts.cacheDir, `${name}-${version}`);
  if (!CUDA_PROVIDER_LIBS.every((lib) => existsSync(join(unpacked, CUDA_PROVIDER_DIR_IN_PACKAGE, lib)))) {
    extractPackage(tgz, unpacked, CUDA_PROVIDER_LIBS.map((lib) => `${CUDA_PROVIDER_DIR_IN_PACKAGE}/${lib}`));
  }
  mkdirSync(ort.binDir, { recursive: true });
  for (const lib of CUDA_PROVIDER_LIBS) {
    copyFileSync(join(unpacked, CUDA_PROVIDER_DIR_IN_PACKAGE, lib), join(ort.binDir, lib));
    log(`installed ${lib} → ${ort.binDir}`);
  }
  const check = checkCudaProvider(opts.nodeModulesDir);
  if (!check.ok) throw new Error(check.problem);
  return check.binDir;
}
