// The SSE events of a streamed Responses request, as OpenAI sends them: response.created / in_progress, then per output
// item its added event, its deltas (output_text / function_call_arguments) and done events, then response.completed
// (or response.incomplete) with the full response. Invariants: sequence_number rises by one per event; the deltas of
// an item concatenate to its final text/arguments; a failure mid-stream is one `error` event, the last.

import { toApiError } from './api-error.js';
import type { ResponseFinishReason } from './openai-format.js';
import { totalUsage } from './openai-format.js';
import type { ResponsesBody } from './responses-request.js';
import {
  messageItem, newResponsesId, outputText, responseObject, responsesUsage, statusOf,
  type FunctionCallItem, type MessageItem, type ResponseState,
} from './responses-format.js';
import { streamPieces, type StartedGeneration } from './serve-generation.js';
import type { StreamPiece, ToolCallStream } from './tool-call-stream.js';

interface OpenMessage { item: MessageItem; outputIndex: number; text: string }
interface OpenCall { item: FunctionCallItem; outputIndex: number }

class ResponseEvents {
  private sequenceNumber = 0;
  private message: OpenMessage | null = null;
  private readonly calls = new Map<number, OpenCall>();

  constructor(private readonly body: ResponsesBody, readonly state: ResponseState) {}

  /** One SSE frame: the event's type as the SSE event name, its JSON (with the next sequence_number) as data. */
  event(type: string, fields: object): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.sequenceNumber++, ...fields })}\n\n`;
  }

  response(type: string): string {
    return this.event(type, { response: responseObject(this.body, this.state) });
  }

  /** The frames of one stream piece: content text into the message, call headers and argument pieces into calls. */
  *piece(piece: StreamPiece): Generator<string> {
    if (piece.text !== '') {
      const message = this.message ?? (yield* this.openMessage());
      message.text += piece.text;
      yield this.event('response.output_text.delta', {
        item_id: message.item.id, output_index: message.outputIndex, content_index: 0, delta: piece.text, logprobs: [],
      });
    }
    for (const delta of piece.toolCalls ?? []) {
      let call = this.calls.get(delta.index);
      if (call === undefined) {
        const item: FunctionCallItem = {
          type: 'function_call', id: newResponsesId('fc'), call_id: delta.id ?? newResponsesId('call'),
          name: delta.function.name ?? '', arguments: '', status: 'in_progress',
        };
        call = { item, outputIndex: this.state.output.push(item) - 1 };
        this.calls.set(delta.index, call);
        yield this.event('response.output_item.added', { output_index: call.outputIndex, item });
      }
      if (delta.function.arguments === '') continue;
      call.item.arguments += delta.function.arguments;
      yield this.event('response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.outputIndex, delta: delta.function.arguments });
    }
  }

  private *openMessage(): Generator<string, OpenMessage> {
    const item = messageItem(newResponsesId('msg'), null, 'in_progress');
    const message = { item, outputIndex: this.state.output.push(item) - 1, text: '' };
    this.message = message;
    yield this.event('response.output_item.added', { output_index: message.outputIndex, item });
    yield this.event('response.content_part.added', { item_id: item.id, output_index: message.outputIndex, content_index: 0, part: outputText('') });
    return message;
  }

  /** Closes every item (a message even when nothing was said and no call made) in output order, then the response. */
  *finish(finishReason: ResponseFinishReason): Generator<string> {
    if (this.message === null && this.calls.size === 0) yield* this.openMessage();
    const status = statusOf(finishReason);
    this.state.status = status;
    const closing = [...(this.message === null ? [] : [this.message]), ...this.calls.values()].sort((a, b) => a.outputIndex - b.outputIndex);
    for (const open of closing) {
      const { outputIndex } = open;
      if ('text' in open) {
        const part = outputText(open.text);
        const ids = { item_id: open.item.id, output_index: outputIndex, content_index: 0 };
        yield this.event('response.output_text.done', { ...ids, text: open.text, logprobs: [] });
        yield this.event('response.content_part.done', { ...ids, part });
        open.item.content = [part];
      } else {
        yield this.event('response.function_call_arguments.done', {
          item_id: open.item.id, output_index: outputIndex, name: open.item.name, arguments: open.item.arguments,
        });
      }
      open.item.status = status;
      yield this.event('response.output_item.done', { output_index: outputIndex, item: open.item });
    }
  }
}

/** Every SSE frame of a started, streamed Responses request (one choice). */
export async function* responseFrames(body: ResponsesBody, started: StartedGeneration, tools: ToolCallStream): AsyncGenerator<string> {
  const { meta, generation, results } = started;
  const events = new ResponseEvents(body, { id: meta.id, createdAt: meta.created, status: 'in_progress', output: [], usage: null, toolMode: started.mode });
  yield events.response('response.created');
  yield events.response('response.in_progress');
  try {
    for await (const event of generation.events) {
      for (const piece of streamPieces(tools, results, event)) yield* events.piece(piece);
      const { finishReason } = results[event.index]!;
      if (event.kind === 'finish' && finishReason !== null) yield* events.finish(finishReason);
    }
    events.state.usage = responsesUsage(totalUsage(results, 1));
    yield events.response(events.state.status === 'incomplete' ? 'response.incomplete' : 'response.completed');
  } catch (e) {
    const { error } = toApiError(e).toJSON();
    yield events.event('error', { code: error.code, message: error.message, param: error.param });
  }
}
