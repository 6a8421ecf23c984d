// Turns a subcommand's flags into what a load run needs: the target (loopback-checked, model
// discovered), the prompt form (token ids or text), load levels, and an optional in-process stack.

import { defaultModelDir } from '@mini-dynamo/model';
import { headerMap, num, numList, optionalNum, UsageError, type Flags } from './cli-options.js';
import type { ArrivalMode } from './load-generator.js';
import { policyVariant, type PolicyVariant } from './routing-policies.js';
import { parseRunner, startStack, type Stack } from './stack.js';
import { apiKeyFrom, checkTarget, discoverModel, type ApiKind, type Target } from './target.js';
import { loadTextRenderer, type TextPromptRenderer } from './text-prompts.js';
import type { Session } from './workload.js';
import { workloadFromFlags } from './workload-from-flags.js';

/** Load levels to run: a list of concurrencies or rates, else trace replay (traces) or concurrency 4. */
export function arrivalModes(flags: Flags): { modes: ArrivalMode[]; loadLabel: string } {
  const seed = num(flags, 'seed', { integer: true });
  const rates = numList(flags, 'rate', { min: 0.001 });
  const concurrencies = numList(flags, 'concurrency', { min: 1, integer: true });
  if (rates && concurrencies) throw new UsageError('pass --rate or --concurrency, not both');
  if (rates) return { modes: rates.map((r) => ({ kind: 'poisson', ratePerSec: r, seed })), loadLabel: 'offered load (req/s)' };
  if (concurrencies) return { modes: concurrencies.map((c) => ({ kind: 'concurrency', concurrency: c })), loadLabel: 'concurrency' };
  if (flags.workload === 'mooncake') return { modes: [{ kind: 'trace' }], loadLabel: 'trace' };
  return { modes: [{ kind: 'concurrency', concurrency: 4 }], loadLabel: 'concurrency' };
}

export function loadOf(m: ArrivalMode): number | null {
  return m.kind === 'poisson' ? m.ratePerSec : m.kind === 'concurrency' ? m.concurrency : null;
}

export function apiKind(flags: Flags): ApiKind {
  if (flags.api === 'completions' || flags.api === 'chat') return flags.api;
  throw new UsageError(`--api must be completions or chat, got "${flags.api}"`);
}

/** Text prompts (built to exact token counts) for --prompt-format text or --api chat; else token ids. */
export async function promptRenderer(flags: Flags): Promise<TextPromptRenderer | null> {
  const format = flags['prompt-format'];
  if (format !== 'ids' && format !== 'text') throw new UsageError(`--prompt-format must be ids or text, got "${format}"`);
  if (format === 'ids' && apiKind(flags) === 'completions') return null;
  return loadTextRenderer(flags.tokenizer ?? defaultModelDir());
}

export function renderedWorkload(flags: Flags, renderer: TextPromptRenderer | null): Session[] {
  const sessions = workloadFromFlags(flags);
  return renderer ? renderer.renderSessions(sessions) : sessions;
}

export async function targetFromFlags(flags: Flags, url: string): Promise<Target> {
  const checked = checkTarget(url, flags['allow-remote'] ?? false);
  if (!checked.ok) throw new UsageError(checked.message);
  const target: Target = {
    baseUrl: checked.baseUrl, api: apiKind(flags), model: flags.model ?? null, apiKey: apiKeyFrom(flags['api-key']), headers: headerMap(flags),
  };
  if (target.model !== null) return target;
  try {
    return { ...target, model: await discoverModel(target) };
  } catch (e) {
    throw new UsageError(`cannot list models at ${target.baseUrl} (${(e as Error).message}); is the server up? (or pass --model)`);
  }
}

export function showProgress(flags: Flags): boolean {
  return (flags.progress ?? true) && !flags['no-progress'];
}

export async function maybeStartStack(flags: Flags, variant: PolicyVariant): Promise<Stack | null> {
  const serve = flags.serve ?? flags.runner;
  if (!serve) return null;
  const runner = parseRunner(serve);
  if (!runner) throw new UsageError(`--serve (--runner) must be mock or ort, got "${serve}"`);
  return startStack({
    runner, router: variant.policy, overlapWeight: variant.overlapWeight,
    numWorkers: num(flags, 'workers', { min: 1, integer: true }),
    numBlocks: optionalNum(flags, 'num-blocks', { min: 1, integer: true }),
    maxModelLen: optionalNum(flags, 'max-model-len', { min: 1, integer: true }),
    mockSpeedup: num(flags, 'mock-speedup', { min: 0.001 }),
  });
}

/** The stack's default policy for `bench run` (--router, kv:W allowed). */
export function routerVariant(flags: Flags): PolicyVariant {
  return policyVariant(flags.router ?? 'kv');
}
