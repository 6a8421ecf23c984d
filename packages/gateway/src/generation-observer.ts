// The telemetry seam of a generation: one call where a request starts, one per token burst,
// one where it ends. The telemetry package's adapter implements it; the default does nothing.

import type { RoutingDecision, Usage } from '@mini-dynamo/protocol';
import type { ApiError } from './api-error.js';

export type ClientFinishReason = 'stop' | 'length';

export type GenerationOutcome =
  | { kind: 'finished'; finishReason: ClientFinishReason; usage: Usage }
  | { kind: 'failed'; error: ApiError }
  | { kind: 'aborted' };

export interface GenerationObserver {
  /** A choice was routed and sent to its worker. */
  onStart(choice: ChoiceLabel, decision: RoutingDecision): void;
  /** Tokens of a choice arrived from its worker (before stop-string filtering). */
  onTokens(choice: ChoiceLabel, numTokens: number): void;
  /** A choice ended (exactly once per started choice). */
  onEnd(choice: ChoiceLabel, outcome: GenerationOutcome): void;
}

export interface ChoiceLabel {
  requestId: string;
  index: number;
  numPromptTokens: number;
  arrivalTimeMs: number;
}

export const NOOP_OBSERVER: GenerationObserver = { onStart() {}, onTokens() {}, onEnd() {} };

/** Both observers, in order (e.g. the telemetry adapter and a test's probe). */
export function combineObservers(first: GenerationObserver, second: GenerationObserver): GenerationObserver {
  return {
    onStart: (c, d) => { first.onStart(c, d); second.onStart(c, d); },
    onTokens: (c, n) => { first.onTokens(c, n); second.onTokens(c, n); },
    onEnd: (c, o) => { first.onEnd(c, o); second.onEnd(c, o); },
  };
}
