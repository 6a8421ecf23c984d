// The one CLI flag reader of `mini-dynamo serve` and `mini-dynamo worker`: each flag --max-num-seqs falls
// back to its env var MINI_DYNAMO_MAX_NUM_SEQS. Invariants: a flag wins over its env var; a bad value
// throws one message naming the flag (and the env var when the value came from there); secret() never echoes.

import { parseArgs } from 'node:util';
import type { Result } from '@mini-dynamo/protocol';

export type FlagSpec = Record<string, 'string' | 'boolean'>;
export type Env = Record<string, string | undefined>;

/** A flag's raw value and where it came from (for error messages). */
interface Raw {
  value: string;
  flag: string;
  /** The env var it came from; null when given as a flag. */
  envVar: string | null;
}

/** --max-num-seqs → MINI_DYNAMO_MAX_NUM_SEQS. */
export function flagEnvName(name: string): string {
  return `MINI_DYNAMO_${name.toUpperCase().replaceAll('-', '_')}`;
}

/** Parses argv strictly against `spec` (unknown flags, positionals and `--bool=x` throw), env as fallback. */
export function readFlags<S extends FlagSpec>(spec: S, argv: string[], env: Env = process.env): FlagReader<keyof S & string> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }]));
  const { values } = parseArgs({ args: argv, options, strict: true });
  return new FlagReader(values as Record<string, string | boolean | undefined>, env);
}

export class FlagReader<N extends string = string> {
  constructor(private readonly values: Record<string, string | boolean | undefined>, private readonly env: Env) {}

  /** The flag's text, else its env var's (even ''), else undefined. */
  string(name: N): string | undefined {
    return this.raw(name)?.value;
  }

  /** Like string(), but '' is an error and no message ever contains the value (API keys, tokens). */
  secret(name: N): string | undefined {
    const raw = this.raw(name);
    if (raw !== undefined && raw.value === '') throw new Error(`${raw.flag} must not be empty${fromEnv(raw)}`);
    return raw?.value;
  }

  /** A boolean flag, or its env var as 1/true/0/false ('' = unset). */
  bool(name: N): boolean | undefined {
    if (this.values[name] === true) return true;
    const raw = this.env[flagEnvName(name)];
    if (raw === undefined || raw === '') return undefined;
    if (raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    throw new Error(`${flagEnvName(name)} must be 1, true, 0 or false, got '${raw}' (env var for --${name})`);
  }

  /** An integer ≥ min. */
  int(name: N, min = 1): number | undefined {
    return this.number(name, `an integer ≥ ${min}`, (n) => Number.isInteger(n) && n >= min);
  }

  /** A finite number ≥ min. */
  num(name: N, min = 0): number | undefined {
    return this.number(name, `a number ≥ ${min}`, (n) => Number.isFinite(n) && n >= min);
  }

  /** A fraction in (0, 1]. */
  fraction(name: N): number | undefined {
    return this.number(name, 'a fraction in (0, 1]', (n) => n > 0 && n <= 1);
  }

  /** A structured value (e.g. JSON) checked by `parse`; its error follows the flag's name. */
  parsed<T>(name: N, parse: (text: string) => Result<T, string>): T | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const result = parse(raw.value);
    if (!result.ok) throw new Error(`${raw.flag}: ${result.error}${fromEnv(raw)}`);
    return result.value;
  }

  oneOf<T extends string>(name: N, allowed: readonly T[]): T | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    if (!allowed.includes(raw.value as T)) throw invalid(raw, `one of ${allowed.join(', ')}`);
    return raw.value as T;
  }

  private number(name: N, what: string, ok: (n: number) => boolean): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const n = raw.value.trim() === '' ? NaN : Number(raw.value);
    if (!ok(n)) throw invalid(raw, what);
    return n;
  }

  private raw(name: N): Raw | undefined {
    const flag = this.values[name];
    if (typeof flag === 'string') return { value: flag, flag: `--${name}`, envVar: null };
    const envVar = flagEnvName(name);
    const value = this.env[envVar];
    return value === undefined ? undefined : { value, flag: `--${name}`, envVar };
  }
}

function invalid(raw: Raw, what: string): Error {
  return new Error(`${raw.flag} must be ${what}, got '${raw.value}'${fromEnv(raw)}`);
}

function fromEnv(raw: Raw): string {
  return raw.envVar === null ? '' : ` (from ${raw.envVar})`;
}
