// `npm run bundle -- --out <dir> [options]`: builds the offline bundle (bundle.ts) and prints the unpack-and-run line.
// --model may repeat (default stories260K; the first is served by run.sh).

import { parseArgs } from 'node:util';
import { defaultModelDir } from '@mini-dynamo/model';
import { createBundle } from './bundle.js';
import { MIB } from './bundle-archive.js';
import { DEFAULT_DEPLOY_CACHE, REPO_ROOT } from './repo-paths.js';

const USAGE = 'usage: npm run bundle -- [--model <dir>]… --out <dir> [--with-cuda] [--with-bench] [--part-size-mib 60] [--gzip-level 6] [--cache DIR]';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    model: { type: 'string', multiple: true, default: [defaultModelDir()] }, out: { type: 'string' }, 'with-cuda': { type: 'boolean', default: false }, 'with-bench': { type: 'boolean', default: false },
    'part-size-mib': { type: 'string', default: '60' }, 'gzip-level': { type: 'string', default: '6' },
    cache: { type: 'string', default: DEFAULT_DEPLOY_CACHE }, help: { type: 'boolean', default: false },
  } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const partMib = Number(values['part-size-mib']);
  const gzipLevel = Number(values['gzip-level']);
  if (!values.out || !(partMib > 0 && partMib <= 60) || !(Number.isInteger(gzipLevel) && gzipLevel >= 0 && gzipLevel <= 9)) {
    console.error(`${USAGE}\n(--part-size-mib in (0, 60], --gzip-level 0-9)`);
    return 2;
  }
  const started = Date.now();
  const result = await createBundle({
    repoRoot: REPO_ROOT, modelDirs: values.model, outDir: values.out, withCuda: values['with-cuda'], withBench: values['with-bench'], cacheDir: values.cache,
    partBytes: Math.floor(partMib * MIB), gzipLevel, log: (l) => console.error(l),
  });
  const mib = (result.archive.totalBytes / MIB).toFixed(1);
  console.log(`bundle: ${result.archive.parts.length} parts, ${mib} MiB, ${result.numPackages} packages, ${((Date.now() - started) / 1000).toFixed(1)} s → ${values.out}`);
  console.log(`unpack and run (in ${values.out}): ${result.unpack}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: Error) => { console.error(`bundle: ${e.message}\n${USAGE}`); process.exitCode = 1; });
