// Locations inside this checkout, derived from where the compiled file sits (packages/gateway/dist/deploy/).

import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const REPO_NODE_MODULES = join(REPO_ROOT, 'node_modules');
/** Downloaded provider / ORT tarballs (.cache/ is git-ignored). */
export const DEFAULT_DEPLOY_CACHE = join(REPO_ROOT, '.cache', 'deploy');
