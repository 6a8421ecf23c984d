// One streamed completion over raw fetch + SSE parsing, timed on the client: a timestamp per chunk
// that carries output text, usage from the final chunk (stream_options.include_usage).
// Prompts are token-id arrays (vLLM / SGLang / Dynamo accept `prompt: number[]`) or rendered text
// (chat API); output length is fixed with max_tokens + ignore_eos. Never throws: failures land in `record.error`.

import { emptyRecord, type RequestRecord } from './event-log.js';
import { authHeaders, type ApiKind, type Target } from './target.js';
import type { Turn } from './workload.js';

export interface SendOptions {
  id: string;
  signal: AbortSignal;
  /** Extra headers for this request only (e.g. x-mini-dynamo-router). */
  headers: Record<string, string>;
  now: () => number;
}

interface StreamChunk {
  choices?: { text?: string; delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  error?: { message?: string };
}

export function requestBody(model: string, turn: Turn, api: ApiKind): Record<string, unknown> {
  const input = api === 'chat'
    ? { messages: [{ role: 'user', content: turn.promptText ?? '' }] }
    : { prompt: turn.promptText ?? turn.promptTokenIds };
  return {
    model,
    ...input,
    max_tokens: turn.maxTokens,
    ignore_eos: true,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** Apply one parsed SSE data payload to the record: a timestamp if it carried text, usage, or an error. */
export function applyChunk(record: RequestRecord, chunk: StreamChunk, at: number): void {
  if (chunk.error) {
    record.error = `stream error: ${chunk.error.message ?? 'unknown'}`;
    return;
  }
  const text = chunk.choices?.map((c) => c.text ?? c.delta?.content ?? '').join('') ?? '';
  if (text.length > 0) record.chunkTimesMs.push(at);
  if (chunk.usage) {
    record.usage = {
      promptTokens: chunk.usage.prompt_tokens ?? 0,
      completionTokens: chunk.usage.completion_tokens ?? 0,
      cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? null,
    };
  }
}

/** Split an SSE byte stream into `data:` payloads; yields each with the time its bytes arrived. */
export async function* sseEvents(body: ReadableStream<Uint8Array>, now: () => number): AsyncGenerator<{ data: string; at: number }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    const at = now();
    buffer += decoder.decode(bytes, { stream: true }).replace(/\r\n/g, '\n');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data) yield { data, at };
    }
  }
}

export async function sendTurn(target: Target, model: string, turn: Turn, o: SendOptions): Promise<RequestRecord> {
  const record = emptyRecord(o.id, o.now(), turn.promptTokenIds.length, turn.maxTokens);
  try {
    const path = target.api === 'chat' ? 'chat/completions' : 'completions';
    const res = await fetch(`${target.baseUrl}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(target), ...o.headers },
      body: JSON.stringify(requestBody(model, turn, target.api)),
      signal: o.signal,
    });
    res.headers.forEach((value, name) => {
      if (name.startsWith('x-mini-dynamo-')) record.tags[name] = value;
    });
    if (!res.ok || !res.body) {
      record.error = `HTTP ${res.status}`;
      await res.body?.cancel();
    } else {
      for await (const { data, at } of sseEvents(res.body, o.now)) {
        if (data === '[DONE]') break;
        applyChunk(record, JSON.parse(data) as StreamChunk, at);
      }
      if (record.error === null && record.chunkTimesMs.length === 0) record.error = 'no output';
    }
  } catch (e) {
    record.error = o.signal.aborted ? 'cancelled (run deadline)' : `network: ${(e as Error).message}`;
  }
  record.endMs = o.now();
  return record;
}
