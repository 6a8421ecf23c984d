// Test support: a small synthetic vocabulary (single characters, JSON-ish multi-char tokens, a few non-ASCII,
// null and empty entries, EOS last) and seeded random walks that sample uniformly among allowed tokens.
// Invariant: a walk only ever feeds tokens the mask allows; completion uses single-character tokens.

import { isTokenAllowed, seededRandom, type StructuredOutputSpec, type TokenConstraint } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from './compile.js';
import { MatchState } from './match-state.js';
import { createTokenConstraintFactory } from './token-constraint.js';

const SINGLE_CHARS = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), '\n', '\t', 'é', 'ü', '世', '\u0001'];
const MULTI_CHARS = ['{"', '":', '",', ' "', '"}', '}}', '": "', ', "', '[{', '}]', '[]', '{}', 'true', 'false', 'null',
  'nu', 'll', '12', '00', '-1', '.5', 'e+', 'E-', 'ab', 'the', ' the', 'name', 'age', '"name', '\\n', '\\"', '\\u00',
  '\\\\', '20', '-0', '24-', '-02-', '29', 'é"', '世界', '😀', '"😀"', '  ', '\n\n', '"\n', 'yes', 'yes!', 'no', 'a1', '::'];

export const SYNTHETIC_TEXTS: readonly (string | null)[] = [null, '', ...SINGLE_CHARS, ...MULTI_CHARS, null];
export const SYNTHETIC_EOS = SYNTHETIC_TEXTS.length;
export const SYNTHETIC_VOCAB = { tokenTexts: SYNTHETIC_TEXTS, eosTokenIds: [SYNTHETIC_EOS] };
/** Re-exported for the walk tests; the one implementation lives in protocol. */
export { seededRandom };

export const syntheticFactory = createTokenConstraintFactory(SYNTHETIC_VOCAB);

export function allowedIds(mask: Uint32Array, numIds: number): number[] {
  return Array.from({ length: numIds }, (_, id) => id).filter((id) => isTokenAllowed(mask, id));
}

/** Breadth-first search budget: deep nesting can make the shortest completion too costly to find. */
const NUM_MAX_COMPLETION_STATES = 5_000;

/** The shortest single-character continuation from `text` to a complete string (breadth-first). */
function shortestCompletion(spec: StructuredOutputSpec, text: string): string | null {
  const grammar = compileStructuredOutput(spec);
  if (!grammar.ok) return null;
  const start = MatchState.initial(grammar.value.root).stepText(text);
  if (start === null) return null;
  const queue: [MatchState, string][] = [[start, '']];
  const seen = new Set([start.key]);
  for (let i = 0; i < queue.length && i < NUM_MAX_COMPLETION_STATES; i++) {
    const [state, suffix] = queue[i]!;
    if (state.isAccepting) return suffix;
    for (const ch of SINGLE_CHARS.filter((c) => c.length === 1)) {
      const next = state.step(ch.charCodeAt(0));
      if (next !== null && !seen.has(next.key)) {
        seen.add(next.key);
        queue.push([next, suffix + ch]);
      }
    }
  }
  return null;
}

export interface Walk {
  text: string;
  /** 'eos': EOS sampled; 'terminated': nothing may follow; 'completed': hit the bound, finished by BFS;
   * 'bound': hit the bound and the BFS budget ran out (text is an unfinished prefix). */
  end: 'eos' | 'terminated' | 'completed' | 'bound';
}

/** Samples uniformly among allowed tokens until EOS/terminated, or completes by BFS after numMaxTokens. */
export function randomWalk(spec: StructuredOutputSpec, seed: number, numMaxTokens = 60): Walk {
  const created = syntheticFactory.create(spec);
  if (!created.ok) throw new Error(created.error.message);
  const constraint = created.value;
  const random = seededRandom(seed);
  let text = '';
  for (let i = 0; i < numMaxTokens; i++) {
    if (constraint.isTerminated) return { text, end: 'terminated' };
    const ids = allowedIds(constraint.allowedTokenMask(), SYNTHETIC_EOS + 1);
    if (ids.length === 0) throw new Error(`dead end after ${JSON.stringify(text)}`);
    const id = ids[Math.floor(random() * ids.length)]!;
    if (!constraint.accept(id)) throw new Error(`an allowed token was refused after ${JSON.stringify(text)}`);
    if (id === SYNTHETIC_EOS) return { text, end: 'eos' };
    text += SYNTHETIC_TEXTS[id]!;
  }
  const suffix = shortestCompletion(spec, text);
  return suffix === null ? { text, end: 'bound' } : { text: text + complete(constraint, text, suffix), end: 'completed' };
}

function complete(constraint: TokenConstraint, text: string, suffix: string): string {
  for (const ch of suffix) {
    if (!constraint.accept(SYNTHETIC_TEXTS.indexOf(ch))) throw new Error(`completion char ${JSON.stringify(ch)} refused`);
  }
  if (!constraint.isTerminated && !isTokenAllowed(constraint.allowedTokenMask(), SYNTHETIC_EOS)) {
    throw new Error(`EOS not allowed after the completion ${JSON.stringify(text + suffix)}`);
  }
  return suffix;
}

/** Whether `text` is accepted char by char and ends in an accepting state. */
export function acceptsText(spec: StructuredOutputSpec, text: string): boolean {
  const grammar = compileStructuredOutput(spec);
  if (!grammar.ok) throw new Error(grammar.error.message);
  return MatchState.initial(grammar.value.root).stepText(text)?.isAccepting ?? false;
}

/** Whether `text` is a prefix of some string of the language. */
export function isViablePrefix(spec: StructuredOutputSpec, text: string): boolean {
  const grammar = compileStructuredOutput(spec);
  if (!grammar.ok) throw new Error(grammar.error.message);
  return MatchState.initial(grammar.value.root).stepText(text) !== null;
}
