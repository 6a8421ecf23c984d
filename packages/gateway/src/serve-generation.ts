// Serves one validated chat/completion request: builds its choices, runs a Generation and
// answers as one JSON body or as an SSE stream. The HTTP status is decided before any byte is
// sent: the response starts only once every choice produced its first output (or failed). Its start, collection,
// SSE response and stream pieces are shared with the Responses API (serve-responses.ts, responses-stream.ts).

import type { Context } from 'hono';
import type { RoutingPolicyName, SchedulingPolicy, StructuredOutputSpec } from '@mini-dynamo/protocol';
import { badRequest, toApiError } from './api-error.js';
import { applyChatEcho, chatEchoText } from './chat-echo.js';
import { checkStructuredOutput } from './check-structured-output.js';
import { Generation, type ChoiceEvent, type ChoiceSpec } from './generation.js';
import type { GenerationObserver } from './generation-observer.js';
import type { ModelTokenizer } from '@mini-dynamo/model';
import { chunkBody, newOpenAiId, responseBody, totalUsage, usageChunkBody, type ChoiceResult, type Endpoint, type ResponseMeta } from './openai-format.js';
import type { ChatCompletionBody, CompletionBody } from './request-schemas.js';
import { numReportedPromptLogprobs, priorityFor, samplingFor, stopStrings } from './sampling-request.js';
import { structuredOutputFor } from './structured-output-request.js';
import { ToolCallStream, type StreamPiece } from './tool-call-stream.js';
import type { ToolCallParserName } from './tool-call-parser.js';
import { toolCallsOf, toolFinishReason, toolMode, type ToolMode } from './tool-calls.js';
import type { RouteOverrides, WorkerPool } from './worker-pool.js';

export interface ServeDeps {
  pool: WorkerPool;
  tokenizer: ModelTokenizer;
  maxModelLen: number;
  vocabSize: number;
  observer: GenerationObserver;
  /** The tool-call parser of auto tool choice (vLLM --enable-auto-tool-choice --tool-call-parser); null/absent: off. */
  toolCallParser?: ToolCallParserName | null;
  /** W3C carrier sent to workers (the request span's); null → the client's traceparent/tracestate. */
  traceContext?: () => Record<string, string> | null;
  /** The workers' --scheduling-policy (remote workers are assumed to share the gateway's); absent: fcfs. */
  schedulingPolicy?: SchedulingPolicy;
}

const POLICIES: readonly RoutingPolicyName[] = ['kv', 'round_robin', 'random', 'least_loaded'];

/** Prompts × n of one request (each choice is a sequence on some worker). */
export const MAX_CHOICES = 64;

export async function serveGeneration(
  c: Context, deps: ServeDeps, endpoint: Endpoint, body: ChatCompletionBody | CompletionBody, prompts: number[][],
): Promise<Response> {
  const started = await startGeneration(c, deps, endpoint, body, prompts, newOpenAiId(endpoint === 'chat' ? 'chatcmpl' : 'cmpl'));
  const { meta, generation, results, mode } = started;
  const chatEcho = 'messages' in body ? chatEchoText(body) : '';
  if (body.stream) {
    const stream = { meta, generation, tools: new ToolCallStream(mode), results, n: started.n, includeUsage: body.stream_options?.include_usage ?? false, chatEcho };
    return sseResponse(c, generation, sseLines(endpoint, stream), (line) => `data: ${line}\n\n`);
  }
  await collectResults(started);
  applyChatEcho(results, chatEcho);
  return c.json(responseBody(endpoint, meta, results, totalUsage(results, started.n)));
}

/** A dispatched request whose choices all started: its generation, empty results to fill and its tool mode. */
export interface StartedGeneration {
  meta: ResponseMeta;
  generation: Generation;
  results: ChoiceResult[];
  mode: ToolMode;
  /** Choices per prompt. */
  n: number;
}

/**
 * Validates what is left of a request (choices, sampling, output constraint), routes and dispatches its choices under
 * `id`, ties a client disconnect to an abort, sets the routing headers and waits until every choice started.
 */
export async function startGeneration(
  c: Context, deps: ServeDeps, endpoint: Endpoint, body: ChatCompletionBody | CompletionBody, prompts: number[][], id: string,
): Promise<StartedGeneration> {
  const arrivalTimeMs = Date.now();
  const n = body.n ?? 1;
  if (prompts.length * n > MAX_CHOICES) {
    throw badRequest(`${prompts.length} prompts × n=${n} is more than ${MAX_CHOICES} choices per request.`, 'n', 'too_many_choices');
  }
  const stops = stopStrings(body.stop);
  const priority = priorityFor(body, deps.schedulingPolicy ?? 'fcfs');
  const { mode, structuredOutput } = outputConstraint(endpoint, body, deps.toolCallParser ?? null);
  const sampling = { maxModelLen: deps.maxModelLen, vocabSize: deps.vocabSize, structuredOutput };
  const echo = !('messages' in body) && body.echo === true; // completions' echo (chat's: chat-echo.ts)
  const choices: ChoiceSpec[] = prompts.flatMap((promptTokenIds, p) => Array.from({ length: n }, (_, j) => ({
    index: p * n + j, promptTokenIds, stops, sampling: samplingFor(body, promptTokenIds.length, sampling, j),
    echo, numPromptLogprobs: numReportedPromptLogprobs(body, j),
  })));
  const meta: ResponseMeta = { id, created: Math.floor(arrivalTimeMs / 1000), model: body.model };
  const generation = new Generation(deps.pool, deps.tokenizer, {
    requestId: meta.id, choices, arrivalTimeMs, cacheSalt: body.cache_salt ?? null, priority,
    traceContext: deps.traceContext?.() ?? clientTraceContext(c), overrides: routeOverrides(c),
  }, deps.observer);
  generation.dispatch();
  const signal = c.req.raw.signal;
  if (signal.aborted) generation.abort();
  else signal.addEventListener('abort', () => generation.abort(), { once: true });
  setRoutingHeaders(c, generation, meta.id);
  await generation.started;
  return { meta, generation, results: emptyResults(choices), mode, n };
}

/** Runs a started generation to its end (non-streamed): each result's text, finish reason, usage and tool calls. */
export async function collectResults({ generation, results, mode }: StartedGeneration, callIds?: () => string): Promise<void> {
  await collect(generation, results);
  for (const r of results) {
    const { toolCalls, content } = toolCallsOf(mode, r.text, callIds);
    Object.assign(r, { toolCalls, toolContent: content });
    if (r.finishReason !== null) r.finishReason = toolFinishReason(mode, r.finishReason, toolCalls !== null);
  }
}

/** One result per choice; `tokens` is [] where logprobs were asked (so none generated reads `content: []`). */
function emptyResults(choices: ChoiceSpec[]): ChoiceResult[] {
  return choices.map((c, index) => ({
    index, text: '', tokens: (c.sampling.numLogprobs ?? null) === null ? null : [], finishReason: null, usage: null, toolCalls: null,
  }));
}

async function collect(generation: Generation, results: ChoiceResult[]): Promise<void> {
  for await (const event of generation.events) {
    const r = results[event.index]!;
    if (event.kind === 'prompt') r.promptLogprobs = event.promptLogprobs;
    else if (event.kind === 'text') {
      r.text += event.text;
      if (event.tokens) r.tokens?.push(...event.tokens);
    } else Object.assign(r, { finishReason: event.finishReason, usage: event.usage });
  }
}

/** What one SSE response streams: the generation's events through the tool stream, after the chat echo ('' = none). */
interface StreamSpec {
  meta: ResponseMeta;
  generation: Generation;
  tools: ToolCallStream;
  results: ChoiceResult[];
  n: number;
  includeUsage: boolean;
  chatEcho: string;
}

/** An SSE response of `lines`, each sent as `frame(line)`; a client that goes away aborts the generation. */
export function sseResponse(c: Context, generation: Generation, lines: AsyncIterable<string>, frame: (line: string) => string): Response {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(frame(next.value)));
    },
    cancel() {
      generation.abort();
      void iterator.return?.(undefined);
    },
  });
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache');
  return c.body(stream);
}

async function* sseLines(endpoint: Endpoint, spec: StreamSpec): AsyncGenerator<string> {
  const { meta, generation, tools, results, n, includeUsage, chatEcho } = spec;
  const numChoices = results.length;
  if (endpoint === 'chat') {
    for (let index = 0; index < numChoices; index++) {
      yield JSON.stringify(chunkBody(endpoint, meta, { index, text: '', finishReason: null, role: 'assistant' }, includeUsage));
    }
    if (chatEcho !== '') { // vLLM: one content chunk per choice, after the role chunks
      for (let index = 0; index < numChoices; index++) yield JSON.stringify(chunkBody(endpoint, meta, { index, text: chatEcho, finishReason: null }, includeUsage));
    }
  }
  try {
    for await (const event of generation.events) {
      const { index } = event;
      for (const p of streamPieces(tools, results, event)) yield pieceChunk(endpoint, meta, index, p, includeUsage);
      if (event.kind === 'finish') yield JSON.stringify(chunkBody(endpoint, meta, { index, text: '', finishReason: results[index]!.finishReason }, includeUsage));
    }
    if (includeUsage) yield JSON.stringify(usageChunkBody(endpoint, meta, totalUsage(results, n)));
  } catch (e) {
    yield JSON.stringify(toApiError(e).toJSON());
  }
  yield '[DONE]';
}

const NO_PIECES: readonly StreamPiece[] = [];

/**
 * The stream pieces of one choice event through the tool stream (none for `prompt`: never asked on a stream, as
 * vLLM); a `finish` is recorded in its result, with the finish reason the client sees. Shared by every SSE writer.
 */
export function streamPieces(tools: ToolCallStream, results: ChoiceResult[], event: ChoiceEvent): readonly StreamPiece[] {
  if (event.kind === 'prompt') return NO_PIECES;
  if (event.kind === 'text') return tools.text(event.index, event.text, event.tokens);
  const { pieces, finishReason } = tools.finish(event.index, event.finishReason);
  Object.assign(results[event.index]!, { finishReason, usage: event.usage });
  return pieces;
}

function pieceChunk(endpoint: Endpoint, meta: ResponseMeta, index: number, piece: StreamPiece, includeUsage: boolean): string {
  return JSON.stringify(chunkBody(endpoint, meta, { index, finishReason: null, ...piece }, includeUsage));
}

/**
 * The request's tool mode and the one constraint on its output: a forced tool call's or a structured output's.
 * 'auto' forces nothing, so it goes with a structured output (which may then spell the calls the parser finds).
 */
function outputConstraint(
  endpoint: Endpoint, body: ChatCompletionBody | CompletionBody, autoParser: ToolCallParserName | null,
): { mode: ToolMode; structuredOutput: StructuredOutputSpec | null } {
  const structured = structuredOutputFor(body);
  if (endpoint !== 'chat' || !('messages' in body)) return { mode: { kind: 'none' }, structuredOutput: structured };
  const tools = toolMode(body, autoParser);
  if (tools.constraint === null) return { mode: tools.mode, structuredOutput: structured };
  if (structured !== null) {
    throw badRequest(`tool_choice '${tools.mode.kind}' constrains the output, so it cannot be combined with a structured-output field.`,
      'tool_choice', 'conflicting_structured_outputs');
  }
  for (const { spec, param } of tools.parameters) checkStructuredOutput(spec, param);
  // A named call's constraint is its parameters, just checked; 'required' wraps them all in one array schema.
  if (tools.mode.kind === 'required') checkStructuredOutput(tools.constraint, 'tools');
  return { mode: tools.mode, structuredOutput: tools.constraint };
}

function routeOverrides(c: Context): RouteOverrides {
  const overrides: RouteOverrides = {};
  const policy = c.req.header('x-mini-dynamo-router');
  if (policy !== undefined) {
    if (!POLICIES.includes(policy as RoutingPolicyName)) {
      throw badRequest(`Header x-mini-dynamo-router must be one of ${POLICIES.join(', ')}.`, 'x-mini-dynamo-router', 'invalid_header');
    }
    overrides.policy = policy as RoutingPolicyName;
  }
  const weight = c.req.header('x-mini-dynamo-overlap-weight');
  if (weight !== undefined) {
    const value = Number(weight);
    if (weight.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1e6) {
      throw badRequest('Header x-mini-dynamo-overlap-weight must be a finite number in [0, 1e6].', 'x-mini-dynamo-overlap-weight', 'invalid_header');
    }
    overrides.overlapWeight = value;
  }
  return overrides;
}

function clientTraceContext(c: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = c.req.header(key);
    if (value !== undefined && value.length <= 512) carrier[key] = value;
  }
  return carrier;
}

function setRoutingHeaders(c: Context, generation: Generation, requestId: string): void {
  const join = (f: (d: Generation['decisions'][number]) => string | number) => generation.decisions.map(f).join(',');
  c.header('x-request-id', requestId);
  c.header('x-mini-dynamo-worker-id', join((d) => d.workerId));
  c.header('x-mini-dynamo-overlap-blocks', join((d) => d.overlapBlocks));
  c.header('x-mini-dynamo-routing-reason', join((d) => d.reason));
}
