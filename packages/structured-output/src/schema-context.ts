// What the per-type JSON Schema builders (object, array) need from the schema compiler.
// Invariant: fail() records only the first error; builders keep going with a placeholder node.

import type { StructuredOutputError } from '@mini-dynamo/protocol';
import type { GrammarNode } from './grammar.js';

export interface SchemaContext {
  /** Compiles a subschema found at JSON pointer `path` (relative to the root schema). */
  compile(schema: unknown, path: string): GrammarNode;
  fail(path: string, code: StructuredOutputError['code'], message: string): GrammarNode;
  alt(options: GrammarNode[]): GrammarNode;
}
