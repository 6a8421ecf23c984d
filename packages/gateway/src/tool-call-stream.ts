// Shapes a streamed chat choice's deltas for its tool mode: plain content ('none'); the named function's
// call header on the first text, then argument pieces as they come ('named'); the parsed calls in one delta
// when the choice finishes ('required': a call's name is only known once its JSON is complete); content and calls
// as the tool-call parser finds them ('auto'), and its finish reason. Invariant: concatenated, a choice's argument
// pieces equal the non-streamed `arguments` for the same text.

import type { ReportedToken } from './choice-logprobs.js';
import type { ClientFinishReason } from './generation-observer.js';
import type { ResponseFinishReason } from './openai-format.js';
import type { StreamingToolCallParser, ToolCallDelta, ToolCallParserName } from './tool-call-parser.js';
import { TOOL_CALL_PARSERS } from './tool-call-parsers.js';
import { newToolCallId, toolCallsOf, toolFinishReason, type ToolCall, type ToolMode } from './tool-calls.js';

/** One entry of a delta's `tool_calls` (OpenAI: id, type and name only on a call's first delta). */
export interface DeltaToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** What one stream chunk of a choice carries (besides its finish reason). */
export interface StreamPiece {
  text: string;
  tokens?: ReportedToken[] | undefined;
  toolCalls?: DeltaToolCall[];
}

export class ToolCallStream {
  /** named: choices whose call header went out. */
  private readonly started = new Set<number>();
  /** required: each choice's text and tokens so far. */
  private readonly held = new Map<number, { text: string; tokens: ReportedToken[] | undefined }>();
  /** auto: each choice's streaming parser, the ids of the calls it started, and tokens not yet sent with a piece. */
  private readonly parsed = new Map<number, { parser: StreamingToolCallParser; ids: string[]; tokens: ReportedToken[] | undefined }>();

  constructor(private readonly mode: ToolMode, private readonly ids: () => string = newToolCallId) {}

  /** The pieces to send for a text event now (none while 'required' holds the text). */
  text(index: number, text: string, tokens: ReportedToken[] | undefined): StreamPiece[] {
    switch (this.mode.kind) {
      case 'none': return [{ text, tokens }];
      case 'named': return [{ text: '', tokens, toolCalls: [this.namedDelta(index, this.mode.name, text)] }];
      case 'required': {
        const held = this.held.get(index) ?? { text: '', tokens: undefined };
        held.text += text;
        if (tokens) held.tokens = [...(held.tokens ?? []), ...tokens];
        this.held.set(index, held);
        return [];
      }
      case 'auto': return this.autoPieces(this.mode.parser, index, (p) => p.push(text), tokens);
    }
  }

  /** The pieces to send before the choice's finish chunk (the held calls, or the held text if it is no call), and its reason. */
  finish(index: number, reason: ClientFinishReason): { pieces: StreamPiece[]; finishReason: ResponseFinishReason } {
    if (this.mode.kind === 'auto') {
      const pieces = this.autoPieces(this.mode.parser, index, (p) => p.finish(), undefined, true);
      const numCalls = this.parsed.get(index)?.ids.length ?? 0;
      this.parsed.delete(index);
      return { pieces, finishReason: numCalls > 0 ? 'tool_calls' : reason };
    }
    const held = this.held.get(index);
    if (this.mode.kind !== 'required' || held === undefined) return { pieces: [], finishReason: reason };
    this.held.delete(index);
    const calls = toolCallsOf(this.mode, held.text, this.ids);
    const finishReason = toolFinishReason(this.mode, reason, calls);
    if (calls === null) return { pieces: [{ text: held.text, tokens: held.tokens }], finishReason };
    return { pieces: [{ text: '', tokens: held.tokens, toolCalls: calls.map(fullDelta) }], finishReason };
  }

  /** The pieces a parser step gives: runs of content or of one call's deltas; tokens ride on the first piece sent. */
  private autoPieces(
    parser: ToolCallParserName, index: number, step: (p: StreamingToolCallParser) => ToolCallDelta[], tokens: ReportedToken[] | undefined, last = false,
  ): StreamPiece[] {
    let state = this.parsed.get(index);
    if (state === undefined) this.parsed.set(index, state = { parser: TOOL_CALL_PARSERS[parser].stream(), ids: [], tokens: undefined });
    if (tokens) state.tokens = [...(state.tokens ?? []), ...tokens];
    const pieces: StreamPiece[] = [];
    for (const delta of step(state.parser)) appendDelta(pieces, delta, state.ids, this.ids);
    if (pieces.length === 0 && last && state.tokens) pieces.push({ text: '' });
    if (pieces.length > 0) {
      pieces[0]!.tokens = state.tokens;
      state.tokens = undefined;
    }
    return pieces;
  }

  private namedDelta(index: number, name: string, text: string): DeltaToolCall {
    if (this.started.has(index)) return { index: 0, function: { arguments: text } };
    this.started.add(index);
    return { index: 0, id: this.ids(), type: 'function', function: { name, arguments: text } };
  }
}

function fullDelta(call: ToolCall, index: number): DeltaToolCall {
  return { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } };
}

/** Adds a parser delta to the pieces, merging it into the last piece when both are content or both one call's arguments. */
function appendDelta(pieces: StreamPiece[], delta: ToolCallDelta, ids: string[], newId: () => string): void {
  const last = pieces.at(-1);
  if (delta.kind === 'content') {
    if (last !== undefined && last.toolCalls === undefined) last.text += delta.text;
    else pieces.push({ text: delta.text });
    return;
  }
  if (delta.kind === 'call') {
    ids[delta.index] = newId();
    pieces.push({ text: '', toolCalls: [{ index: delta.index, id: ids[delta.index]!, type: 'function', function: { name: delta.name, arguments: '' } }] });
    return;
  }
  const call = last?.toolCalls?.[0];
  if (call !== undefined && call.index === delta.index && call.id === undefined) call.function.arguments += delta.text;
  else pieces.push({ text: '', toolCalls: [{ index: delta.index, function: { arguments: delta.text } }] });
}
