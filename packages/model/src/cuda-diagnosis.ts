// Why the CUDA execution provider did not load, in words an operator can act on. ORT's exception
// only says the provider failed; the dlopen detail (which library is missing) goes to stderr, so we
// ask the dynamic loader ourselves (`ldd` on the provider) and name every library it cannot find.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Folder of onnxruntime-node's native binding, where the CUDA provider must sit; null if not installed. */
export function ortBinDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** Library names `ldd` reports as "not found" (its output format: `libx.so.9 => not found`). */
export function parseLddNotFound(lddOutput: string): string[] {
  const missing = new Set<string>();
  for (const m of lddOutput.matchAll(/^\s*(\S+)\s*=>\s*not found/gm)) missing.add(m[1]!);
  return [...missing];
}

/** Shared libraries the loader cannot resolve for `path` (with the current LD_LIBRARY_PATH); null if ldd can't tell. */
export function missingSharedLibraries(path: string): string[] | null {
  try {
    return parseLddNotFound(execFileSync('ldd', [path], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    const out = (e as { stdout?: unknown }).stdout;
    return typeof out === 'string' && out.length > 0 ? parseLddNotFound(out) : null;
  }
}

const INSTALL_HINT =
  'CUDA 13 hosts: `npm run cuda:install`; CUDA 12 hosts with network: onnxruntime-node-install=cuda12 then `npm rebuild onnxruntime-node`. ' +
  'Make the CUDA runtime, cuBLAS and cuDNN 9 visible via LD_LIBRARY_PATH (infra/gpu/README.md).';

/** The message for a failed CUDA session: what is missing, where we looked, how to fix it, and ORT's own words. */
export function cudaError(cause: unknown): string {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const binDir = ortBinDir();
  const provider = binDir === null ? null : join(binDir, 'libonnxruntime_providers_cuda.so');
  let missing: string;
  if (provider === null || !existsSync(provider)) {
    missing = 'libonnxruntime_providers_cuda.so (the CUDA provider is not installed)';
  } else {
    const libs = missingSharedLibraries(provider) ?? [];
    const fromDetail = /lib[\w.+-]+\.so[\w.]*/.exec(detail)?.[0];
    missing = libs.length > 0 ? libs.join(', ') : (fromDetail ?? 'no library (ldd resolves all of the provider\'s dependencies; see ORT\'s message)');
  }
  return `CUDA execution provider unavailable: missing ${missing} (looked in ${binDir ?? '(onnxruntime-node not found)'}). ${INSTALL_HINT} ORT said: ${detail}`;
}
