// Shapes a streamed chat choice's deltas for its tool mode: plain content ('none'); the named function's
// call header on the first text, then argument pieces as they come ('named'); the parsed calls in one delta
// when the choice finishes ('required': a call's name is only known once its JSON is complete), and its finish
// reason. Invariant: concatenated, a choice's argument pieces equal the non-streamed `arguments` for the same text.

import type { ReportedToken } from './choice-logprobs.js';
import type { ClientFinishReason } from './generation-observer.js';
import type { ResponseFinishReason } from './openai-format.js';
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
    }
  }

  /** The pieces to send before the choice's finish chunk (the held calls, or the held text if it is no call), and its reason. */
  finish(index: number, reason: ClientFinishReason): { pieces: StreamPiece[]; finishReason: ResponseFinishReason } {
    const held = this.held.get(index);
    if (this.mode.kind !== 'required' || held === undefined) return { pieces: [], finishReason: reason };
    this.held.delete(index);
    const calls = toolCallsOf(this.mode, held.text, this.ids);
    const finishReason = toolFinishReason(this.mode, reason, calls);
    if (calls === null) return { pieces: [{ text: held.text, tokens: held.tokens }], finishReason };
    return { pieces: [{ text: '', tokens: held.tokens, toolCalls: calls.map(fullDelta) }], finishReason };
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
