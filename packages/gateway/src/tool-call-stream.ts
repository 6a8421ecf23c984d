// Shapes a streamed chat choice's deltas for its tool mode: plain content ('none'); the named function's
// call header on the first text, then argument pieces as they come ('named'); content and calls as the mode's call
// format finds them ('required': the array's calls, 'auto': the parser's), each call's header once its name is
// complete, then its argument pieces; and the finish reason. Invariant: concatenated, a choice's argument pieces
// equal the non-streamed `arguments` for the same text (a 'required' or 'auto' call cut short stays as sent).

import type { ReportedToken } from './choice-logprobs.js';
import type { ClientFinishReason } from './generation-observer.js';
import type { ResponseFinishReason } from './openai-format.js';
import type { StreamingToolCallParser, ToolCallDelta } from './tool-call-parser.js';
import { callFormat, newToolCallId, toolFinishReason, type ToolMode } from './tool-calls.js';

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

/** A choice streamed through a call format: its parser, the ids of the calls it started, tokens not yet sent with a piece. */
interface FormatState {
  parser: StreamingToolCallParser;
  ids: string[];
  tokens: ReportedToken[] | undefined;
}

export class ToolCallStream {
  /** named: choices whose call header went out. */
  private readonly started = new Set<number>();
  /** required, auto: each choice's state. */
  private readonly parsed = new Map<number, FormatState>();

  constructor(private readonly mode: ToolMode, private readonly ids: () => string = newToolCallId) {}

  /** The pieces to send for a text event now (none while a call format holds text back). */
  text(index: number, text: string, tokens: ReportedToken[] | undefined): StreamPiece[] {
    switch (this.mode.kind) {
      case 'none': return [{ text, tokens }];
      case 'named': return [{ text: '', tokens, toolCalls: [this.namedDelta(index, this.mode.name, text)] }];
      case 'required':
      case 'auto': {
        const state = this.state(index, this.mode);
        return this.pieces(state, state.parser.push(text), tokens, false);
      }
    }
  }

  /** The pieces to send before the choice's finish chunk (what a call format held back), and its reason. */
  finish(index: number, reason: ClientFinishReason): { pieces: StreamPiece[]; finishReason: ResponseFinishReason } {
    if (this.mode.kind === 'none' || this.mode.kind === 'named') return { pieces: [], finishReason: reason };
    const state = this.state(index, this.mode);
    this.parsed.delete(index);
    const { deltas, numCalls } = state.parser.finish();
    // 'auto' reports the calls it streamed (vLLM); 'required' whether its whole text is an array of calls (as non-streamed).
    const madeCalls = this.mode.kind === 'auto' ? state.ids.length > 0 : numCalls > 0;
    return { pieces: this.pieces(state, deltas, undefined, true), finishReason: toolFinishReason(this.mode, reason, madeCalls) };
  }

  private state(index: number, mode: Extract<ToolMode, { kind: 'required' | 'auto' }>): FormatState {
    let state = this.parsed.get(index);
    if (state === undefined) this.parsed.set(index, state = { parser: callFormat(mode).stream(), ids: [], tokens: undefined });
    return state;
  }

  /** The pieces a parser step gives: runs of content or of one call's deltas; tokens ride on the first piece sent. */
  private pieces(state: FormatState, deltas: ToolCallDelta[], tokens: ReportedToken[] | undefined, last: boolean): StreamPiece[] {
    if (tokens) (state.tokens ??= []).push(...tokens);
    const pieces: StreamPiece[] = [];
    for (const delta of deltas) appendDelta(pieces, delta, state.ids, this.ids);
    if (state.tokens === undefined) return pieces;
    if (pieces.length === 0 && last) pieces.push({ text: '' });
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
