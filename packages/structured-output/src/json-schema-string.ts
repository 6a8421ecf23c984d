// The `type: "string"` part of a JSON Schema: minLength/maxLength, pattern (search semantics, via the regex
// subset) and the formats enforceable exactly by a regex. Invariant: a keyword combination that cannot be
// enforced exactly (e.g. pattern with a length) is refused, never approximated.

import type { StructuredOutputError } from '@mini-dynamo/protocol';
import { CharSet } from './char-set.js';
import { chars, lit, seq, star, type GrammarNode } from './grammar.js';
import { jsonEscaped } from './json-escape.js';
import { jsonString } from './json-grammar.js';
import { parseRegex } from './regex-parser.js';

type Outcome = { ok: true; node: GrammarNode } | { ok: false; error: StructuredOutputError };

const YEAR_LEAP = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
/** Formats whose full language is a regex (dates: days per month, Feb 29 only in leap years). */
const FORMAT_PATTERNS: Record<string, string> = {
  date: `\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))|${YEAR_LEAP}-02-29`,
  uuid: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
  ipv4: '(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)',
};

const invalid = (message: string): Outcome => ({ ok: false, error: { code: 'invalid', message } });
const unsupported = (message: string): Outcome => ({ ok: false, error: { code: 'unsupported', message } });

function length(schema: Record<string, unknown>, keyword: string): number | null | 'bad' {
  const v = schema[keyword];
  if (v === undefined) return null;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 'bad';
}

/** The JSON string content matching `pattern` anywhere (JSON Schema semantics), JSON-escaped. */
function patternContent(pattern: string, searchSemantics: boolean): Outcome {
  const parsed = parseRegex(pattern);
  if (!parsed.ok) return parsed;
  const { node, anchoredStart, anchoredEnd, hasTopLevelAlternation } = parsed.value;
  if (searchSemantics && hasTopLevelAlternation && (anchoredStart || anchoredEnd)) {
    return unsupported("a pattern with top-level '|' and '^'/'$' anchors is not supported; group the alternation");
  }
  const anything = (): GrammarNode => star(chars(CharSet.all));
  const items = [searchSemantics && !anchoredStart ? anything() : null, node, searchSemantics && !anchoredEnd ? anything() : null];
  return { ok: true, node: jsonEscaped(seq(...items.filter((n): n is GrammarNode => n !== null))) };
}

export function stringGrammar(schema: Record<string, unknown>): Outcome {
  const [minLength, maxLength] = [length(schema, 'minLength'), length(schema, 'maxLength')];
  if (minLength === 'bad' || maxLength === 'bad') return invalid("'minLength'/'maxLength' must be non-negative integers");
  const pattern = schema['pattern'];
  const format = schema['format'];
  const hasLength = minLength !== null || maxLength !== null;
  if (pattern !== undefined && typeof pattern !== 'string') return invalid("'pattern' must be a string");
  if (format !== undefined && typeof format !== 'string') return invalid("'format' must be a string");
  if ((pattern !== undefined ? 1 : 0) + (format !== undefined ? 1 : 0) + (hasLength ? 1 : 0) > 1) {
    return unsupported("combining 'pattern', 'format' and 'minLength'/'maxLength' is not supported");
  }
  if (typeof format === 'string') {
    const formatPattern = FORMAT_PATTERNS[format];
    if (formatPattern === undefined) {
      return unsupported(`format '${format}' is not supported (supported: ${Object.keys(FORMAT_PATTERNS).join(', ')})`);
    }
    return quoted(patternContent(formatPattern, false));
  }
  if (typeof pattern === 'string') return quoted(patternContent(pattern, true));
  return { ok: true, node: jsonString(minLength ?? 0, maxLength) };
}

function quoted(content: Outcome): Outcome {
  return content.ok ? { ok: true, node: seq(lit('"'), content.node, lit('"')) } : content;
}
