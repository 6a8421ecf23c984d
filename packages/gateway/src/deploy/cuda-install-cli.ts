// `npm run cuda:install [-- --node-modules DIR --cache DIR --check]`: installs the CUDA 13 execution provider
// (see cuda-provider.ts) into the repo's node_modules, then reports which CUDA host libraries the loader can see.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CUDA_HOST_LIBS, checkCudaProvider, installCudaProvider } from './cuda-provider.js';
import { DEFAULT_DEPLOY_CACHE, REPO_NODE_MODULES } from './repo-paths.js';

/** Host CUDA libraries that neither ldconfig's cache nor LD_LIBRARY_PATH provides. */
export function missingHostLibs(): string[] {
  let cache = '';
  try { cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }); } catch { /* no ldconfig: rely on LD_LIBRARY_PATH */ }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return CUDA_HOST_LIBS.filter((lib) => !cache.includes(lib) && !dirs.some((d) => existsSync(join(d, lib))));
}

function main(): number {
  const { values } = parseArgs({ options: {
    'node-modules': { type: 'string', default: REPO_NODE_MODULES },
    cache: { type: 'string', default: DEFAULT_DEPLOY_CACHE },
    check: { type: 'boolean', default: false },
  } });
  const nodeModulesDir = values['node-modules'];
  if (values.check) {
    const check = checkCudaProvider(nodeModulesDir);
    console.log(check.ok ? `CUDA provider installed in ${check.binDir}` : `CUDA provider not installed: ${check.problem}`);
    if (!check.ok) return 1;
  } else {
    const binDir = installCudaProvider({ nodeModulesDir, cacheDir: values.cache, log: (l) => console.error(l) });
    console.log(`CUDA 13 provider ready in ${binDir} (onnxruntime-node pinned to 1.29.0; \`npm ci\` restores the lockfile's version)`);
  }
  const missing = missingHostLibs();
  if (missing.length > 0) {
    console.log(`not visible to the loader yet: ${missing.join(', ')} — add their folders to LD_LIBRARY_PATH (see infra/gpu/README.md)`);
  }
  return 0;
}

process.exitCode = main();
