// @mini-dynamo/structured-output: grammars for structured outputs (JSON schema, choice, regex) and the
// token-level constraints a worker enforces with them. Depends on @mini-dynamo/protocol only.
export { compileStructuredOutput } from './compile.js';
export { createTokenConstraintFactory } from './token-constraint.js';
export type { Grammar } from './grammar.js';
export type { Vocabulary } from './token-index.js';
