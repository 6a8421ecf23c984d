// Serves one validated `POST /v1/responses` request through the chat path (same prompt, sampling, router, workers,
// stop handling, tool calls and usage): one `response` object, or its SSE events. Nothing is stored.

import type { Context } from 'hono';
import { totalUsage } from './openai-format.js';
import { chatPrompt } from './prompt-input.js';
import { asResponsesError, chatBodyOf, type ResponsesBody } from './responses-request.js';
import { newResponsesId, outputItems, responseObject, responsesUsage, statusOf } from './responses-format.js';
import { responseFrames } from './responses-stream.js';
import { collectResults, sseResponse, startGeneration, type ServeDeps, type StartedGeneration } from './serve-generation.js';
import { ToolCallStream } from './tool-call-stream.js';

export async function serveResponses(c: Context, deps: ServeDeps, body: ResponsesBody): Promise<Response> {
  const started = await start(c, deps, body).catch((e: unknown) => {
    throw asResponsesError(e);
  });
  const callIds = () => newResponsesId('call');
  if (body.stream) return sseResponse(c, started.generation, responseFrames(body, started, new ToolCallStream(started.mode, callIds)), (frame) => frame);
  await collectResults(started, callIds);
  const result = started.results[0]!;
  const status = statusOf(result.finishReason);
  const text = result.toolCalls === null ? result.text : result.toolContent ?? null;
  return c.json(responseObject(body, {
    id: started.meta.id, createdAt: started.meta.created, status,
    output: outputItems(text, result.toolCalls, status), usage: responsesUsage(totalUsage(started.results, 1)), toolMode: started.mode,
  }));
}

/** The request served as chat: its messages through the chat template, dispatched under a `resp_` id. */
async function start(c: Context, deps: ServeDeps, body: ResponsesBody): Promise<StartedGeneration> {
  const chat = chatBodyOf(body);
  const prompt = chatPrompt(chat.messages, deps.tokenizer, deps.vocabSize, { tools: chat.tools });
  return startGeneration(c, deps, 'chat', chat, [prompt], newResponsesId('resp'));
}
