// Builds the workload a subcommand asked for from its flags: random, shared-prefix (multi-turn),
// or a Mooncake JSONL trace (time-scaled). All prompts are exact token-id arrays.

import { readFileSync } from 'node:fs';
import { num, UsageError, type Flags } from './cli-options.js';
import { parseMooncakeTrace, traceSessions } from './mooncake-trace.js';
import { randomWorkload } from './random-workload.js';
import type { TokenSpace } from './rng.js';
import { sharedPrefixWorkload } from './shared-prefix-workload.js';
import { limitTurns, type Session } from './workload.js';

export function tokenSpace(flags: Flags): TokenSpace {
  return { vocabSize: num(flags, 'vocab-size', { min: 4, integer: true }), firstTokenId: 3 };
}

export function workloadFromFlags(flags: Flags): Session[] {
  const seed = num(flags, 'seed', { integer: true });
  const numRequests = num(flags, 'num-requests', { min: 1, integer: true });
  const space = tokenSpace(flags);
  switch (flags.workload) {
    case 'random':
      return randomWorkload({
        numRequests, seed, tokenSpace: space,
        inputLength: num(flags, 'input-len', { min: 1 }),
        outputLength: num(flags, 'output-len', { min: 1 }),
        rangeRatio: num(flags, 'range-ratio'),
      });
    case 'shared-prefix': {
      const turns = num(flags, 'turns', { min: 1, integer: true });
      const sessions = sharedPrefixWorkload({
        numSessions: Math.ceil(numRequests / turns), turnsPerSession: turns, seed, tokenSpace: space,
        numGroups: num(flags, 'groups', { min: 1, integer: true }),
        prefixLength: num(flags, 'prefix-len', { integer: true }),
        suffixLength: num(flags, 'suffix-len', { min: 1, integer: true }),
        outputLength: num(flags, 'output-len', { min: 1, integer: true }),
      });
      return limitTurns(sessions, numRequests);
    }
    case 'mooncake': {
      if (!flags.trace) throw new UsageError('--workload mooncake needs --trace FILE.jsonl');
      const parsed = parseMooncakeTrace(readFileSync(flags.trace, 'utf8'));
      if (!parsed.ok) throw new UsageError(parsed.message);
      const sessions = traceSessions(parsed.entries, {
        seed, tokenSpace: space,
        timeScale: num(flags, 'time-scale'),
        blockTokens: num(flags, 'trace-block-tokens', { min: 1, integer: true }),
        outputScale: num(flags, 'output-scale'),
      });
      return limitTurns(sessions, numRequests);
    }
    default:
      throw new UsageError(`unknown --workload "${flags.workload}" (random, shared-prefix, mooncake)`);
  }
}
