// The tool-call parsers `--tool-call-parser` can name (vLLM's names), one per model family's call format, and the
// startup check of the two auto-tool-choice options. Invariant: either both options are set or neither.

import { hermesToolParser } from './hermes-tool-parser.js';
import { llama3JsonToolParser } from './llama3-json-tool-parser.js';
import type { ToolCallParser, ToolCallParserName } from './tool-call-parser.js';

export const TOOL_CALL_PARSERS: Record<ToolCallParserName, ToolCallParser> = {
  hermes: hermesToolParser,
  llama3_json: llama3JsonToolParser,
};

/** Auto tool choice's parser from the two options (vLLM's flags); throws a startup error when only one is set. */
export function autoToolChoiceParser(enableAutoToolChoice: boolean | undefined, toolCallParser: ToolCallParserName | undefined): ToolCallParserName | null {
  if (enableAutoToolChoice === true && toolCallParser === undefined) {
    throw new Error(`--enable-auto-tool-choice requires --tool-call-parser (one of ${Object.keys(TOOL_CALL_PARSERS).join(', ')})`);
  }
  if (enableAutoToolChoice !== true && toolCallParser !== undefined) {
    throw new Error(`--tool-call-parser ${toolCallParser} requires --enable-auto-tool-choice (a parser is only used for tool_choice "auto")`);
  }
  return toolCallParser ?? null;
}
