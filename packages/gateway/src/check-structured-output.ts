// The one place a parsed structured-output spec is checked against what this server can enforce, before any
// worker sees it. Invariant: a spec that passes here is one the workers' TokenConstraintFactory accepts.

import type { StructuredOutputSpec } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from '@mini-dynamo/structured-output';
import { badRequest } from './api-error.js';

/** Throws the 400 naming `param` for a schema / pattern the server cannot enforce ('unsupported') or that is broken ('invalid'). */
export function checkStructuredOutput(spec: StructuredOutputSpec, param: string): void {
  const compiled = compileStructuredOutput(spec);
  if (compiled.ok) return;
  const code = compiled.error.code === 'unsupported' ? 'unsupported_schema' : 'invalid_schema';
  throw badRequest(`Invalid value for '${param}': ${compiled.error.message}`, param, code);
}
