// The SSE events of a streamed Responses request, as OpenAI sends them: response.created / in_progress, then per output
// item its added event, its deltas (output_text / function_call_arguments) and done events, then response.completed
// (or response.incomplete) with the full response. Invariants: sequence_number rises by one per event; output_index
// rises with each added item, and each item is done before the next is added; the deltas of an item
// concatenate to its final text/arguments; a failure mid-stream is `response.failed` (status 'failed', error set) and
// then one `error` event, the last (the openai SDK throws on `error`; it only records `response.failed`).
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
        yield* this.closeOpen('completed');
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
    yield* this.closeOpen('completed');
    const item = messageItem(newResponsesId('msg'), null, 'in_progress');
    const message: OpenMessage = { item, outputIndex: this.state.output.push(item) - 1, text: '' };
    this.message = message;
    yield this.event('response.output_item.added', { output_index: message.outputIndex, item });
    yield this.event('response.content_part.added', { item_id: item.id, output_index: message.outputIndex, content_index: 0, part: outputText('') });
    return message;
  }

  /** Closes what is still open (opening a message first when nothing was said and no call made) with the final status. */
  *finish(finishReason: ResponseFinishReason): Generator<string> {
    if (this.state.output.length === 0) yield* this.openMessage();
    const status = statusOf(finishReason);
    this.state.status = status;
    yield* this.closeOpen(status);
  }

  /** The done events of the open item (one at most: each is closed when the next is added). */
  private *closeOpen(status: 'completed' | 'incomplete'): Generator<string> {
    if (this.message !== null) yield* this.closeMessage(this.message, status);
    for (const { item, outputIndex } of this.calls.values()) {
      if (item.status !== 'in_progress') continue;
      yield this.event('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, name: item.name, arguments: item.arguments });
      item.status = status;
      yield this.event('response.output_item.done', { output_index: outputIndex, item });
    }
  }

  /** The message's done events; text after it opens a new message item. */
  private *closeMessage(message: OpenMessage, status: 'completed' | 'incomplete'): Generator<string> {
    const part = outputText(message.text);
    const ids = { item_id: message.item.id, output_index: message.outputIndex, content_index: 0 };
    yield this.event('response.output_text.done', { ...ids, text: message.text, logprobs: [] });
    yield this.event('response.content_part.done', { ...ids, part });
    message.item.content = [part];
    message.item.status = status;
    this.message = null;
    yield this.event('response.output_item.done', { output_index: message.outputIndex, item: message.item });
  }

  /** `response.failed` then the `error` event: open items end 'incomplete' with what they streamed so far. */
  *fail(error: unknown): Generator<string> {
    const apiError = toApiError(error);
    if (this.message !== null) this.message.item.content = [outputText(this.message.text)];
    for (const item of this.state.output) if (item.status === 'in_progress') item.status = 'incomplete';
    this.state.status = 'failed';
    this.state.error = { code: apiError.status === 429 ? 'rate_limit_exceeded' : 'server_error', message: apiError.message };
    yield this.response('response.failed');
    const { code, message, param } = apiError.toJSON().error;
    yield this.event('error', { code, message, param });
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
    yield* events.fail(e);
  }
}
