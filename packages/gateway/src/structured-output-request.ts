// The request fields that ask for structured outputs — OpenAI `response_format`, vLLM's `guided_json` /
// `guided_choice` / `guided_regex` and `structured_outputs` — and their mapping to one StructuredOutputSpec.
// Invariants: at most one constraint per request (else a 400 naming the second field); grammars and structural
// tags are a 400 "not supported"; every spec returned went through checkStructuredOutput.

import { z } from 'zod';
import type { JsonSchema, StructuredOutputSpec } from '@mini-dynamo/protocol';
import { badRequest } from './api-error.js';
import { checkStructuredOutput } from './check-structured-output.js';
import { parseJson } from './json-object-scan.js';
import { nullish } from './nullish-field.js';

const jsonSchema = z.union([z.record(z.string(), z.unknown()), z.boolean()]);
/** vLLM takes a schema as an object or as its JSON text. */
const schemaOrText = z.union([jsonSchema, z.string()]);
const choices = z.array(z.string()).min(1).max(1024);
const pattern = z.string().min(1).max(16_384);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1).max(64),
      description: nullish(z.string()),
      schema: nullish(jsonSchema),
      strict: nullish(z.boolean()),
    }),
  }),
]);

export const structuredOutputFields = {
  response_format: nullish(responseFormat),
  guided_json: nullish(schemaOrText),
  guided_choice: nullish(choices),
  guided_regex: nullish(pattern),
  guided_grammar: nullish(z.unknown()),
  structural_tag: nullish(z.unknown()),
  structured_outputs: nullish(z.object({
    json: nullish(schemaOrText),
    choice: nullish(choices),
    regex: nullish(pattern),
    grammar: nullish(z.unknown()),
    structural_tag: nullish(z.unknown()),
  })),
};

const fieldsSchema = z.object(structuredOutputFields);
type Fields = z.output<typeof fieldsSchema>;
type Found = { spec: StructuredOutputSpec | null; param: string };

/** The request's structured-output spec (null: free text), checked; throws a 400 naming the offending field. */
export function structuredOutputFor(body: Fields): StructuredOutputSpec | null {
  const so = body.structured_outputs;
  for (const param of ['guided_grammar', 'structural_tag'] as const) if (body[param] !== undefined) throw notSupported(param);
  for (const key of ['grammar', 'structural_tag'] as const) if (so?.[key] !== undefined) throw notSupported(`structured_outputs.${key}`);
  const found: Found[] = [];
  if (body.response_format !== undefined) found.push({ spec: fromResponseFormat(body.response_format), param: 'response_format' });
  if (body.guided_json !== undefined) found.push({ spec: json(body.guided_json, 'guided_json'), param: 'guided_json' });
  if (body.guided_choice !== undefined) found.push({ spec: { kind: 'choice', choices: body.guided_choice }, param: 'guided_choice' });
  if (body.guided_regex !== undefined) found.push({ spec: { kind: 'regex', pattern: body.guided_regex }, param: 'guided_regex' });
  if (so?.json !== undefined) found.push({ spec: json(so.json, 'structured_outputs.json'), param: 'structured_outputs.json' });
  if (so?.choice !== undefined) found.push({ spec: { kind: 'choice', choices: so.choice }, param: 'structured_outputs.choice' });
  if (so?.regex !== undefined) found.push({ spec: { kind: 'regex', pattern: so.regex }, param: 'structured_outputs.regex' });
  const constraints = found.filter((f) => f.spec !== null);
  if (constraints.length > 1) {
    throw badRequest(`Only one structured-output constraint per request: '${constraints[0]!.param}' and '${constraints[1]!.param}' were both given.`,
      constraints[1]!.param, 'conflicting_structured_outputs');
  }
  const only = constraints[0];
  if (only === undefined) return null;
  checkStructuredOutput(only.spec!, only.param);
  return only.spec;
}

function fromResponseFormat(format: NonNullable<Fields['response_format']>): StructuredOutputSpec | null {
  switch (format.type) {
    case 'text': return null;
    case 'json_object': return { kind: 'json', schema: null };
    case 'json_schema': return { kind: 'json', schema: format.json_schema.schema ?? null };
  }
}

function json(schema: JsonSchema | string, param: string): StructuredOutputSpec {
  if (typeof schema !== 'string') return { kind: 'json', schema };
  const parsed = parseJson(schema);
  if (parsed === undefined) throw badRequest(`Invalid value for '${param}': not valid JSON.`, param, 'invalid_value');
  const checked = jsonSchema.safeParse(parsed);
  if (!checked.success) throw badRequest(`Invalid value for '${param}': a JSON schema must be an object or a boolean.`, param, 'invalid_value');
  return { kind: 'json', schema: checked.data };
}

function notSupported(param: string) {
  return badRequest(`'${param}' is not supported by this server (supported: response_format, guided_json, guided_choice, guided_regex, structured_outputs.json/choice/regex).`,
    param, 'unsupported_parameter');
}
