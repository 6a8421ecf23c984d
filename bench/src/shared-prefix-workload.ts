// Synthetic shared-prefix workload (Dynamo / SGLang "generated-shared-prefix"): `numGroups` system
// prompts of `prefixLength` tokens; each session picks a group and adds a unique suffix. Multi-turn
// sessions grow their history: turn t+1 = turn t's prompt + a stand-in answer of `outputLength`
// tokens + a new user suffix, so every later turn extends the previous prompt exactly.

import { createRng, mixSeed, randomTokens, type TokenSpace } from './rng.js';
import type { Session, Turn } from './workload.js';

export interface SharedPrefixOptions {
  numSessions: number;
  numGroups: number;
  prefixLength: number;
  suffixLength: number;
  outputLength: number;
  turnsPerSession: number;
  seed: number;
  tokenSpace: TokenSpace;
}

export function sharedPrefixWorkload(o: SharedPrefixOptions): Session[] {
  const prefixes = Array.from({ length: o.numGroups }, (_, g) =>
    randomTokens(createRng(mixSeed(o.seed, 1, g)), o.prefixLength, o.tokenSpace));
  const pick = createRng(mixSeed(o.seed, 2));
  return Array.from({ length: o.numSessions }, (_, i) => {
    const group = Math.floor(pick() * o.numGroups);
    const rng = createRng(mixSeed(o.seed, 3, i));
    const turns: Turn[] = [];
    let history = [...prefixes[group]!];
    for (let t = 0; t < o.turnsPerSession; t++) {
      if (t > 0) history = history.concat(randomTokens(rng, o.outputLength, o.tokenSpace));
      history = history.concat(randomTokens(rng, o.suffixLength, o.tokenSpace));
      turns.push({ promptTokenIds: history, maxTokens: o.outputLength });
    }
    return { id: `s${i}`, group: `g${group}`, atMs: null, turns };
  });
}
