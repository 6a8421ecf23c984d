// Standalone bench scripts other packages' owners write under bench/src (each exports `main()`),
// run as subcommands. Imported by path at run time so the CLI builds whether or not they exist yet.

export const EXTERNAL_SCRIPTS = {
  'engine-microbench': 'BlockAllocator allocation p99 and Scheduler.schedule() p99 (engine)',
  'runner-throughput': 'continuous batching vs one-at-a-time on the real model (graph/runner)',
  'router-bench': 'indexer ingest, findMatches p99, routing overhead (router)',
  'telemetry-overhead': 'cost of spans and metrics per generated token (telemetry)',
  'prometheus-collector': 'KV efficiency, TTFT and ITL from a Prometheus server (seed 004 collector, infra)',
  'kv-placement': 'KV pool placement and per-step cost on the CPU EP (graph/runner)',
  'structured-output-cost': 'tokens/s of JSON-schema-constrained vs free requests, mask time per step (structured outputs)',
  'spec-decode': 'n-gram speculative decoding off vs k = 2, 4, 8: tokens/s ratio, acceptance, tokens per step (real model)',
} as const;

export type ExternalScript = keyof typeof EXTERNAL_SCRIPTS;

export function isExternalScript(name: string): name is ExternalScript {
  return Object.hasOwn(EXTERNAL_SCRIPTS, name);
}

/** Runs the script's main(args); a numeric result is its exit code, anything else means success. */
export async function runExternalScript(name: ExternalScript, args: string[]): Promise<number> {
  const specifier = new URL(`./${name}.js`, import.meta.url).href;
  let mod: { main?: (...a: unknown[]) => unknown };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (e) {
    throw new Error(`bench/src/${name}.ts is not built or not written yet (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof mod.main !== 'function') throw new Error(`bench/src/${name}.ts does not export main()`);
  const result = await mod.main(args);
  return typeof result === 'number' ? result : 0;
}
