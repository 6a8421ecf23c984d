// Command-line flags shared by the load-generating subcommands, parsed with node:util parseArgs.
// Numeric flags are validated here; a bad value is a clear message, never a NaN downstream.

import { parseArgs } from 'node:util';
import { parseSlo, type Slo } from './slo.js';

export const OPTIONS = {
  // target
  url: { type: 'string', default: 'http://127.0.0.1:8000' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  header: { type: 'string', multiple: true },
  api: { type: 'string', default: 'completions' },
  'prompt-format': { type: 'string', default: 'ids' },
  tokenizer: { type: 'string' },
  'allow-remote': { type: 'boolean', default: false },
  serve: { type: 'string' },
  runner: { type: 'string' },
  workers: { type: 'string', default: '8' },
  router: { type: 'string', default: 'kv' },
  'num-blocks': { type: 'string' },
  'max-model-len': { type: 'string' },
  'mock-speedup': { type: 'string', default: '1' },
  policies: { type: 'string', default: 'kv,round_robin,random,least_loaded' },
  // workload
  workload: { type: 'string', default: 'shared-prefix' },
  'num-requests': { type: 'string', default: '200' },
  'input-len': { type: 'string', default: '128' },
  'output-len': { type: 'string', default: '16' },
  'range-ratio': { type: 'string', default: '0' },
  groups: { type: 'string', default: '8' },
  'prefix-len': { type: 'string', default: '256' },
  'suffix-len': { type: 'string', default: '32' },
  turns: { type: 'string', default: '1' },
  trace: { type: 'string' },
  'time-scale': { type: 'string', default: '1' },
  'trace-block-tokens': { type: 'string', default: '512' },
  'output-scale': { type: 'string', default: '1' },
  seed: { type: 'string', default: '42' },
  'vocab-size': { type: 'string', default: '512' },
  // arrival + bounds
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  rounds: { type: 'string', default: '1' },
  warmup: { type: 'string', default: '8' },
  'max-duration': { type: 'string', default: '120' },
  slo: { type: 'string', default: 'ttft=2000,tpot=25' },
  // scale simulation
  'num-workers': { type: 'string', default: '64,128,256' },
  // output
  out: { type: 'string' },
  name: { type: 'string' },
  sections: { type: 'string' },
  records: { type: 'boolean', default: false },
  progress: { type: 'boolean', default: true },
  'no-progress': { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type Flags = ReturnType<typeof parseFlags>['values'];

export function parseFlags(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

export function num(flags: Flags, key: keyof Flags, { min = 0, integer = false } = {}): number {
  const raw = flags[key];
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${String(key)} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${String(raw)}"`);
  }
  return value;
}

/** num() for a flag with no default: null when it is absent. */
export function optionalNum(flags: Flags, key: keyof Flags, bounds: { min?: number; integer?: boolean } = {}): number | null {
  return flags[key] === undefined ? null : num(flags, key, bounds);
}

export function numList(flags: Flags, key: keyof Flags, { min = 0, integer = false } = {}): number[] | null {
  const raw = flags[key];
  if (raw === undefined) return null;
  return String(raw).split(',').map((part) => num({ ...flags, [key]: part.trim() } as Flags, key, { min, integer }));
}

export function headerMap(flags: Flags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const cut = h.indexOf(':');
    if (cut <= 0) throw new UsageError(`--header must be "name: value", got "${h}"`);
    out[h.slice(0, cut).trim().toLowerCase()] = h.slice(cut + 1).trim();
  }
  return out;
}

/** A mistake in how the tool was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export function sloFromFlags(flags: Flags): Slo {
  const parsed = parseSlo(flags.slo);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.slo;
}
