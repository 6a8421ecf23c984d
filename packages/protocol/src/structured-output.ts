// Structured outputs: the constraint a request carries (OpenAI `response_format`, vLLM `guided_*` /
// `structured_outputs`) and the token-level matcher a worker builds from it.
// Invariant: a TokenConstraint only allows tokens that keep the output a prefix of some string of its
// language, and allows EOS exactly when the output so far is a complete string of it.

import type { Result } from './request.js';

/** A JSON Schema document (the subset a worker supports is checked when the constraint is compiled). */
export type JsonSchema = { [keyword: string]: unknown } | boolean;

export type StructuredOutputSpec =
  /** One JSON value matching `schema`; null: any JSON object (OpenAI `response_format: json_object`). */
  | { kind: 'json'; schema: JsonSchema | null }
  /** Exactly one of these strings (vLLM `guided_choice`). */
  | { kind: 'choice'; choices: string[] }
  /** A full match of this regular expression (vLLM `guided_regex`; the supported syntax is a documented subset). */
  | { kind: 'regex'; pattern: string };

export interface StructuredOutputError {
  /** 'unsupported': valid but outside what this server can enforce; 'invalid': not a valid schema / pattern. */
  code: 'unsupported' | 'invalid';
  message: string;
}

/** One sequence's matcher, advanced token by token as the sequence generates. */
export interface TokenConstraint {
  /** Tokens allowed next: bit (id & 31) of word (id >>> 5) over the vocabulary; EOS ids set iff complete. */
  allowedTokenMask(): Uint32Array;
  /** Advance past a generated token; false (and no change) when the token was not allowed. */
  accept(tokenId: number): boolean;
  /** The output is complete and nothing may follow it: generation ends with this token. */
  readonly isTerminated: boolean;
}

/** Builds constraints over one model's vocabulary (a worker has one). */
export interface TokenConstraintFactory {
  create(spec: StructuredOutputSpec): Result<TokenConstraint, StructuredOutputError>;
}

/** Whether token id is set in a mask laid out as TokenConstraint.allowedTokenMask. */
export function isTokenAllowed(mask: Uint32Array, tokenId: number): boolean {
  return ((mask[tokenId >>> 5] ?? 0) >>> (tokenId & 31) & 1) === 1;
}
