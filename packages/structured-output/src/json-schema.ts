// Compiles a JSON Schema (the subset below) to a Grammar; README.md documents the same subset.
// Supported: type (one or a list), properties (declaration order; optional ones may be skipped), required,
// additionalProperties (unspecified: none, as vLLM/xgrammar strict mode; true/schema: extra keys after the declared
// ones), enum, const, anyOf/oneOf (as anyOf), allOf with one member, local $ref (recursion allowed), items,
// prefixItems, minItems/maxItems, minLength/maxLength, pattern, format (date, uuid, ipv4), integer minimum/maximum/
// exclusiveMinimum/exclusiveMaximum (exact). Annotations are
// ignored; any other keyword is 'unsupported'. Invariant: the first error wins and names its JSON pointer.

import type { JsonSchema, StructuredOutputError } from '@mini-dynamo/protocol';
import { CharSet } from './char-set.js';
import { alt, chars, custom, lit, ref, type GrammarNode } from './grammar.js';
import { integerBounds, integerRange } from './integer-range.js';
import { anyValue, jsonInteger, jsonNumber } from './json-grammar.js';
import { arrayGrammar } from './json-schema-array.js';
import { enumGrammar } from './json-schema-enum.js';
import { objectGrammar } from './json-schema-object.js';
import { stringGrammar } from './json-schema-string.js';
import { resolvePointer } from './json-pointer.js';
import type { SchemaContext } from './schema-context.js';

const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated',
  'readOnly', 'writeOnly', 'strict', '$defs', 'definitions']);
const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;
type JsonType = (typeof JSON_TYPES)[number];
const FAMILY_KEYWORDS: Partial<Record<JsonType, string[]>> = {
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'prefixItems', 'minItems', 'maxItems'],
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
};
const SUPPORTED = new Set(['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', ...Object.values(FAMILY_KEYWORDS).flat()]);
const COMPOSITIONS = ['$ref', 'anyOf', 'oneOf', 'allOf'];

export const describePath = (path: string): string => (path === '' ? 'schema' : `schema at ${path}`);

export class JsonSchemaCompiler implements SchemaContext {
  error: StructuredOutputError | null = null;
  /** The JSON pointer each compiled subschema came from (for dead-end messages). */
  readonly paths = new Map<GrammarNode, string>();
  private readonly refs = new Map<string, Extract<GrammarNode, { kind: 'ref' }>>();
  private readonly pendingRefs: [Extract<GrammarNode, { kind: 'ref' }>, string][] = [];
  private anyValueNode: GrammarNode | null = null;

  constructor(private readonly root: JsonSchema) {}

  fail(path: string, code: StructuredOutputError['code'], message: string): GrammarNode {
    this.error ??= { code, message: `${describePath(path)}: ${message}` };
    return lit('');
  }

  alt(options: GrammarNode[]): GrammarNode {
    return alt(...options);
  }

  any(): GrammarNode {
    this.anyValueNode ??= anyValue();
    return this.anyValueNode;
  }

  /** Compiles the root schema and every $ref target it reaches. */
  compileRoot(): GrammarNode {
    const node = this.compile(this.root, '');
    for (let next = this.pendingRefs.pop(); next !== undefined; next = this.pendingRefs.pop()) {
      const [refNode, pointer] = next;
      refNode.target = this.compile(resolvePointer(this.root, pointer).value, pointer);
    }
    return node;
  }

  compile(schema: unknown, path: string): GrammarNode {
    if (schema === true) return this.any();
    if (schema === false) return this.remember(chars(CharSet.none), path);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      return this.fail(path, 'invalid', 'a schema must be an object or a boolean');
    }
    const s = schema as Record<string, unknown>;
    const keywords = Object.keys(s).filter((k) => !ANNOTATIONS.has(k));
    const unknown = keywords.find((k) => !SUPPORTED.has(k));
    if (unknown !== undefined) return this.fail(path, 'unsupported', `keyword '${unknown}' is not supported`);
    return this.remember(this.compileKeywords(s, keywords, path), path);
  }

  private remember(node: GrammarNode, path: string): GrammarNode {
    if (!this.paths.has(node)) this.paths.set(node, path);
    return node;
  }

  private compileKeywords(s: Record<string, unknown>, keywords: string[], path: string): GrammarNode {
    const composition = keywords.find((k) => COMPOSITIONS.includes(k));
    if (composition !== undefined) {
      const other = keywords.find((k) => k !== composition);
      if (other !== undefined) return this.fail(path, 'unsupported', `'${other}' alongside '${composition}' is not supported`);
      return this.composition(composition, s[composition], path);
    }
    if (keywords.includes('enum') || keywords.includes('const')) return enumGrammar(this, s, keywords, path);
    const types = this.types(s, keywords, path);
    if (types === null) return this.any();
    return alt(...types.map((t) => this.typeGrammar(t, s, path)));
  }

  private composition(keyword: string, value: unknown, path: string): GrammarNode {
    if (keyword === '$ref') return this.ref(value, path);
    if (!Array.isArray(value) || value.length === 0) return this.fail(path, 'invalid', `'${keyword}' must be a non-empty array of schemas`);
    if (keyword === 'allOf' && value.length > 1) return this.fail(path, 'unsupported', "'allOf' with more than one schema is not supported");
    return alt(...value.map((member, i) => this.compile(member, `${path}/${keyword}/${i}`)));
  }

  private ref(value: unknown, path: string): GrammarNode {
    if (typeof value !== 'string') return this.fail(path, 'invalid', "'$ref' must be a string");
    if (!value.startsWith('#')) return this.fail(path, 'unsupported', `only local '$ref's ('#/$defs/...') are supported, not '${value}'`);
    const pointer = value.slice(1);
    if (!resolvePointer(this.root, pointer).found) return this.fail(path, 'invalid', `'$ref' '${value}' does not resolve`);
    let node = this.refs.get(pointer);
    if (node === undefined) {
      node = ref(value);
      this.refs.set(pointer, node);
      this.pendingRefs.push([node, pointer]);
    }
    return node;
  }

  /** The listed types, or those implied by the keywords present; null: any JSON value. */
  private types(s: Record<string, unknown>, keywords: string[], path: string): JsonType[] | null {
    const type = s['type'];
    if (type === undefined) {
      const implied = JSON_TYPES.filter((t) => FAMILY_KEYWORDS[t]?.some((k) => keywords.includes(k)));
      return implied.length === 0 ? null : implied;
    }
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0 || !list.every((t): t is JsonType => (JSON_TYPES as readonly unknown[]).includes(t))) {
      this.fail(path, 'invalid', `'type' must be one of ${JSON_TYPES.join(', ')} or a non-empty array of them`);
      return [];
    }
    return [...new Set(list)];
  }

  private integer(s: Record<string, unknown>, path: string): GrammarNode {
    if (!FAMILY_KEYWORDS.number!.some((k) => k in s)) return jsonInteger();
    const bounds = integerBounds(s);
    if (bounds === 'bad') return this.fail(path, 'invalid', "'minimum'/'maximum'/'exclusive*' must be finite numbers");
    if (bounds.min !== null && bounds.max !== null && bounds.min > bounds.max) return this.fail(path, 'invalid', 'no integer lies within the bounds');
    return custom(integerRange(bounds));
  }

  private typeGrammar(type: JsonType, s: Record<string, unknown>, path: string): GrammarNode {
    switch (type) {
      case 'string': {
        const r = stringGrammar(s);
        return r.ok ? r.node : this.fail(path, r.error.code, r.error.message);
      }
      case 'number': {
        const bound = FAMILY_KEYWORDS.number!.find((k) => k in s);
        return bound === undefined ? jsonNumber() : this.fail(path, 'unsupported', `keyword '${bound}' is only supported with type 'integer'`);
      }
      case 'integer': return this.integer(s, path);
      case 'boolean': return alt(lit('true'), lit('false'));
      case 'null': return lit('null');
      case 'object': return objectGrammar(this, s, path);
      case 'array': return arrayGrammar(this, s, path);
    }
  }
}
