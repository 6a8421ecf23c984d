// compileStructuredOutput: a StructuredOutputSpec (JSON schema / any JSON object, choice, regex) to a Grammar,
// vocabulary independent (the gateway uses it to reject bad requests with a 400 before dispatch).
// Invariant: an ok Grammar has a non-empty language, no left recursion, and no reachable dead ends.

import { err, ok, type Result, type StructuredOutputError, type StructuredOutputSpec } from '@mini-dynamo/protocol';
import { alt, childNodes, lit, seq, type Grammar, type GrammarNode } from './grammar.js';
import { productiveNodes, pruneDeadEnds } from './grammar-check.js';
import { anyObject, anyValue, ws } from './json-grammar.js';
import { describePath, JsonSchemaCompiler } from './json-schema.js';
import { parseRegex } from './regex-parser.js';

/** The JSON pointer of the deepest subschema on a chain of nodes that cannot complete. */
function deadEndPath(root: GrammarNode, paths: Map<GrammarNode, string>): string {
  const productive = productiveNodes(root);
  const seen = new Set<GrammarNode>();
  let path = '';
  for (let node: GrammarNode | undefined = root; node !== undefined && !seen.has(node); ) {
    seen.add(node);
    path = paths.get(node) ?? path;
    const current: GrammarNode = node;
    node = childNodes(current).find((c) => !productive.has(c) && !(current.kind === 'repeat' && current.min === 0));
  }
  return path;
}

function checked(
  root: GrammarNode,
  source: string,
  paths: Map<GrammarNode, string> | null,
): Result<Grammar, StructuredOutputError> {
  const defect = pruneDeadEnds(root);
  if (defect === null) return ok({ root, source });
  if (defect.kind === 'left-recursion') {
    return err({ code: 'invalid', message: `'$ref' '${defect.refName}' refers back to itself before any value is written` });
  }
  if (paths === null) return err({ code: 'invalid', message: 'the pattern matches no string' });
  return err({ code: 'invalid', message: `${describePath(deadEndPath(root, paths))}: no JSON value satisfies it` });
}

function compileJson(schema: StructuredOutputSpec & { kind: 'json' }, source: string): Result<Grammar, StructuredOutputError> {
  if (schema.schema === null) return ok({ root: seq(ws(), anyObject(anyValue())), source });
  const compiler = new JsonSchemaCompiler(schema.schema);
  const value = compiler.compileRoot();
  if (compiler.error !== null) return err(compiler.error);
  return checked(seq(ws(), value), source, compiler.paths);
}

export function compileStructuredOutput(spec: StructuredOutputSpec): Result<Grammar, StructuredOutputError> {
  const source = JSON.stringify(spec);
  switch (spec.kind) {
    case 'json':
      return compileJson(spec, source);
    case 'choice':
      if (!Array.isArray(spec.choices) || spec.choices.length === 0 || !spec.choices.every((c) => typeof c === 'string')) {
        return err({ code: 'invalid', message: 'choices must be a non-empty array of strings' });
      }
      return checked(alt(...spec.choices.map((c) => lit(c))), source, null);
    case 'regex': {
      if (typeof spec.pattern !== 'string') return err({ code: 'invalid', message: 'pattern must be a string' });
      const parsed = parseRegex(spec.pattern);
      return parsed.ok ? checked(parsed.value.node, source, null) : err(parsed.error);
    }
  }
}
