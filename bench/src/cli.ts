#!/usr/bin/env node
// `npm run bench -- <subcommand> [flags]`: the mini-dynamo benchmark CLI. Dispatches to the load
// generator (run), the routing comparison, the scale simulation, trace generation, the report, and
// the other packages' standalone bench scripts. Usage mistakes exit 2 with a message, no stack.
// Subcommands load lazily, so one package's broken build only breaks the subcommands that use it.

import { writeFileSync } from 'node:fs';
import { parseFlags, num, UsageError } from './cli-options.js';
import { EXTERNAL_SCRIPTS, isExternalScript, runExternalScript } from './external-scripts.js';
import { syntheticTrace } from './synthetic-trace.js';
import { toMooncakeJsonl } from './mooncake-trace.js';

const USAGE = `usage: npm run bench -- <subcommand> [flags]

  run        load-test an OpenAI-compatible server (--url, loopback only unless --allow-remote)
             or an in-process stack (--serve mock|ort --workers N --router POLICY)
  routing    one workload under each policy (--policies kv,kv:4,round_robin,random,least_loaded)
             interleaved --rounds R times on one worker set (--serve mock|ort or --url)
  scale      in-process simulation: 64–256 mock workers behind one router, virtual time
  trace-gen  write a synthetic Mooncake-format JSONL trace (--out FILE)
  report     run every section and write bench/RESULTS.md + bench/results/ (--quick: smaller)
  gpu-report GPU section of RESULTS.md from infra/gpu/measure.sh output (--dir DIR [--write bench/RESULTS.md])
${Object.entries(EXTERNAL_SCRIPTS).map(([k, v]) => `  ${k.padEnd(21)}${v}`).join('\n')}

stack:     --serve mock|ort --workers N --num-blocks N --max-model-len N --mock-speedup F (mock step time ÷ F)
workload:  --workload random|shared-prefix|mooncake  --num-requests N  --input-len N --output-len N
           --range-ratio R  --groups N --prefix-len N --suffix-len N --turns N  --trace FILE
           --time-scale F --trace-block-tokens N --output-scale F  --seed N --vocab-size N
arrival:   --rate R[,R…] (Poisson) | --concurrency C[,C…] (closed loop) | trace replay (mooncake)
           --max-duration SECONDS  --warmup N (unmeasured requests first)  --slo ttft=2000,tpot=25[,e2e=MS]
prompts:   token ids on /v1/completions (default) | --prompt-format text | --api chat (text built to exact
           token counts with --tokenizer DIR, default the stack's model)
target:    --url URL --model NAME --api-key KEY (or MINI_DYNAMO_API_KEY: Bearer auth for a server run with --api-key)
           --header 'name: value' --allow-remote
output:    --out DIR --name NAME --records (keep per-request events in JSON) --no-progress
`;

async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub && isExternalScript(sub)) {
    return runExternalScript(sub, rest);
  }
  if (sub === 'gpu-report') {
    const { main: gpuReport } = await import('./gpu-report-command.js');
    return gpuReport(rest);
  }
  const { values: flags } = parseFlags(rest);
  if (!sub || flags.help || sub === 'help') {
    console.log(USAGE);
    return sub ? 0 : 2;
  }
  switch (sub) {
    case 'run': {
      const { runCommand } = await import('./run-command.js');
      console.log(await runCommand(flags));
      return 0;
    }
    case 'routing': {
      const { routingCommand } = await import('./routing-command.js');
      const outcome = await routingCommand(flags);
      console.log(`${outcome.markdown}\n\nwrote ${outcome.dir}`);
      return 0;
    }
    case 'scale': {
      const { scaleCommand } = await import('./scale-command.js');
      console.log(await scaleCommand(flags));
      return 0;
    }
    case 'trace-gen': {
      const entries = syntheticTrace({
        numRequests: num(flags, 'num-requests', { min: 1, integer: true }),
        ratePerSec: num(flags, 'rate', { min: 0.001 }),
        numGroups: num(flags, 'groups', { min: 1, integer: true }),
        prefixBlocks: Math.ceil(num(flags, 'prefix-len', { integer: true }) / 512),
        suffixBlocks: Math.max(1, Math.ceil(num(flags, 'suffix-len', { integer: true }) / 512)),
        outputLength: num(flags, 'output-len', { min: 1, integer: true }),
        zipf: 1,
        seed: num(flags, 'seed', { integer: true }),
      });
      const jsonl = toMooncakeJsonl(entries);
      if (flags.out) writeFileSync(flags.out, jsonl);
      else process.stdout.write(jsonl);
      return 0;
    }
    case 'report': {
      const { reportCommand } = await import('./report-command.js');
      console.log(await reportCommand(flags));
      return 0;
    }
    default:
      throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`bench: ${(e as Error).message}`);
      process.exitCode = 2;
    } else {
      console.error(e);
      process.exitCode = 1;
    }
  },
);
