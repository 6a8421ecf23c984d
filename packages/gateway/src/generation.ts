// One client request's generation: n choices (× prompts), each routed and run on a worker,
// detokenized and cut at stop strings (not before min_tokens; with each token's logprobs when asked), merged into one stream of ChoiceEvents;
// an `echo` choice's first text event is its prompt (with the prompt's logprobs when asked); vLLM `prompt_logprobs`
// come as one `prompt` event, before any text of the choice but an echo without logprobs.
// Invariants: each choice ends in exactly one `finish` or the stream fails; `abort()` (client gone,
// stop string, a sibling's failure) reaches every unfinished choice's worker.

import type { EngineEvent, FinishReason, RoutingDecision, SamplingParams, TokenLogprobs, Usage } from '@mini-dynamo/protocol';
import { type ApiError, fromEngineError, internal, toApiError, unavailable } from './api-error.js';
import { ChoiceLogprobs, codePointLength, type ReportedToken } from './choice-logprobs.js';
import { echoPrompt } from './echo-prompt.js';
import { AsyncChannel } from './async-channel.js';
import type { ChoiceLabel, ClientFinishReason, GenerationObserver, GenerationOutcome } from './generation-observer.js';
import type { IncrementalDetokenizer, ModelTokenizer } from '@mini-dynamo/model';
import { StopMatcher } from './stop-matcher.js';
import { vllmPromptLogprobs, type VllmPromptLogprobs } from './vllm-prompt-logprobs.js';
import type { Dispatched } from './request-migration.js';
import type { RouteOverrides, WorkerPool } from './worker-pool.js';

export interface ChoiceSpec {
  index: number;
  promptTokenIds: number[];
  sampling: SamplingParams;
  stops: string[];
  /** Completions `echo`: the choice's text (and logprobs, with sampling.numLogprobs) start with the prompt's. */
  echo: boolean;
  /** vLLM `prompt_logprobs` alternatives to report (sampling.numPromptLogprobs is at least this); null: not asked. */
  numPromptLogprobs: number | null;
}

export interface GenerationSpec {
  requestId: string;
  choices: ChoiceSpec[];
  cacheSalt: string | null;
  traceContext: Record<string, string>;
  arrivalTimeMs: number;
  overrides: RouteOverrides;
  /** vLLM `priority` of every choice (lower first); absent or 0: the default, not sent. */
  priority?: number;
}

export type ChoiceEvent =
  /** `tokens`: the reported tokens of this text, present when the choice asked for logprobs. */
  | { kind: 'text'; index: number; text: string; tokens?: ReportedToken[] }
  | { kind: 'prompt'; index: number; promptLogprobs: VllmPromptLogprobs }
  | { kind: 'finish'; index: number; finishReason: ClientFinishReason; usage: Usage };

interface ChoiceState {
  spec: ChoiceSpec;
  label: ChoiceLabel;
  detokenizer: IncrementalDetokenizer;
  stop: StopMatcher;
  /** null unless the choice asked for logprobs. */
  logprobs: ChoiceLogprobs | null;
  /** The echoed prompt's text until it is sent: at dispatch, or with the prompt logprobs when those were asked. */
  pendingEcho: string | null;
  /** The worker scores the prompt (sampling.numPromptLogprobs) and its first tokens event has not come yet. */
  awaitingPrompt: boolean;
  /** UTF-16 units of detokenized text emitted so far (the stop matcher's output). */
  numEmitted: number;
  dispatched: Dispatched | null;
  numTokens: number;
  started: boolean;
  stopped: boolean;
  done: boolean;
}

export class Generation {
  readonly events = new AsyncChannel<ChoiceEvent>();
  readonly decisions: RoutingDecision[] = [];
  private readonly states: ChoiceState[];
  private numDone = 0;
  private settleStarted!: { resolve: () => void; reject: (e: ApiError) => void };
  /** Resolves once every choice produced its first output; rejects if one failed first. */
  readonly started = new Promise<void>((resolve, reject) => (this.settleStarted = { resolve, reject }));

  constructor(
    private readonly pool: WorkerPool,
    private readonly tokenizer: ModelTokenizer,
    private readonly spec: GenerationSpec,
    private readonly observer: GenerationObserver,
  ) {
    this.started.catch(() => {});
    this.states = spec.choices.map((c) => {
      const echo = c.echo ? echoPrompt(tokenizer, c.promptTokenIds, null).text : null;
      return {
        spec: c,
        label: { requestId: `${spec.requestId}-${c.index}`, index: c.index, numPromptTokens: c.promptTokenIds.length, arrivalTimeMs: spec.arrivalTimeMs },
        detokenizer: tokenizer.createDetokenizer(c.promptTokenIds),
        stop: new StopMatcher(c.stops),
        logprobs: (c.sampling.numLogprobs ?? null) === null ? null
          : new ChoiceLogprobs((ids) => tokenizer.decode(ids), c.promptTokenIds, echo === null ? 0 : codePointLength(echo)),
        pendingEcho: echo,
        awaitingPrompt: (c.sampling.numPromptLogprobs ?? null) !== null,
        numEmitted: 0,
        dispatched: null, numTokens: 0, started: false, stopped: false, done: false,
      };
    });
  }

  /** Routes and sends every choice; throws the routing ApiError (after aborting what was sent). */
  dispatch(): void {
    try {
      for (const state of this.states) this.dispatchOne(state);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Stop every unfinished choice (client disconnected or the request failed). */
  abort(): void {
    for (const state of this.states) if (!state.done) state.dispatched?.abort();
  }

  private dispatchOne(state: ChoiceState): void {
    const { label, spec } = state;
    state.dispatched = this.pool.dispatch({
      requestId: label.requestId,
      promptTokenIds: spec.promptTokenIds,
      sampling: spec.sampling,
      cacheSalt: this.spec.cacheSalt,
      traceContext: this.spec.traceContext,
      arrivalTimeMs: this.spec.arrivalTimeMs,
      ...(this.spec.priority ? { priority: this.spec.priority } : {}),
    }, this.spec.overrides, (event) => this.onEngineEvent(state, event));
    this.decisions.push(state.dispatched.decision);
    this.observer.onStart(label, state.dispatched.decision);
    if (state.pendingEcho !== null && !echoesLogprobs(spec)) {
      this.events.push({ kind: 'text', index: spec.index, text: state.pendingEcho }); // before any generated text
      state.pendingEcho = null;
    }
  }

  /** The prompt's scores, ahead of the first generated text: `prompt_logprobs`, then the echo; false if they are missing. */
  private sendPrompt(state: ChoiceState, promptLogprobs: (TokenLogprobs | null)[] | undefined): boolean {
    const { spec } = state;
    if (promptLogprobs?.length !== spec.promptTokenIds.length) return false;
    state.awaitingPrompt = false;
    if (spec.numPromptLogprobs !== null) {
      const reported = vllmPromptLogprobs((ids) => this.tokenizer.decode(ids), spec.promptTokenIds, promptLogprobs, spec.numPromptLogprobs);
      this.events.push({ kind: 'prompt', index: spec.index, promptLogprobs: reported });
    }
    if (state.pendingEcho === null) return true;
    const echoed = echoPrompt(this.tokenizer, spec.promptTokenIds, promptLogprobs.map((l) => l && firstTop(l, spec.sampling.numLogprobs ?? 0)));
    this.events.push({ kind: 'text', index: spec.index, text: echoed.text, tokens: echoed.tokens! });
    state.pendingEcho = null;
    return true;
  }

  private onEngineEvent(state: ChoiceState, event: EngineEvent): void {
    if (state.done) return;
    if (event.kind !== 'failed') this.markStarted(state);
    switch (event.kind) {
      case 'tokens':
        if (state.awaitingPrompt && !this.sendPrompt(state, event.promptLogprobs)) {
          state.dispatched?.abort();
          return this.onFailed(state, internal('The worker returned no prompt logprobs it was asked for.'));
        }
        return this.onTokens(state, event.tokenIds, event.logprobs);
      case 'finished': return this.onFinished(state, event.finishReason, event.usage);
      case 'failed': return this.onFailed(state, fromEngineError(event.error));
    }
  }

  private onTokens(state: ChoiceState, tokenIds: number[], logprobs: TokenLogprobs[] | undefined): void {
    this.observer.onTokens(state.label, tokenIds.length);
    if (state.stopped || tokenIds.length === 0) return; // none: a stop token's or a prompt-only request's (max_tokens 0) scores
    state.numTokens += tokenIds.length;
    const tracker = state.logprobs;
    if (tracker === null) return this.emitText(state, state.detokenizer.push(tokenIds));
    if (logprobs?.length !== tokenIds.length) {
      state.dispatched?.abort(); // onFailed ends this choice first, so its own abort() would skip it
      return this.onFailed(state, internal('The worker returned tokens without their logprobs.'));
    }
    let text = '';
    tokenIds.forEach((id, i) => { // one at a time: each token's own text
      const piece = state.detokenizer.push([id]);
      tracker.add(id, logprobs[i]!, piece);
      text += piece;
    });
    this.emitText(state, text);
  }

  /** Text after the detokenizer; stop strings apply once more than min_tokens tokens were generated (as vLLM). */
  private emitText(state: ChoiceState, text: string): void {
    const match = state.stop.push(text, state.numTokens > (state.spec.sampling.minTokens ?? 0));
    state.numEmitted += match.text.length;
    this.pushText(state, match.text, match.stopped ? state.logprobs?.cut(state.numEmitted) : state.logprobs?.release(state.numEmitted));
    if (match.stopped && !state.stopped) {
      state.stopped = true;
      state.dispatched?.abort(); // the worker's terminal event still comes and ends the choice
    }
  }

  private onFinished(state: ChoiceState, reason: FinishReason, usage: Usage): void {
    if (!state.stopped) {
      const flushed = state.detokenizer.flush();
      state.logprobs?.addFlushed(flushed);
      this.emitText(state, flushed);
    }
    if (!state.stopped) {
      const rest = state.stop.flush();
      state.numEmitted += rest.length;
      this.pushText(state, rest, state.logprobs?.release(state.numEmitted, true));
    }
    if (reason === 'abort' && !state.stopped) return this.end(state, { kind: 'aborted' });
    const finishReason: ClientFinishReason = state.stopped || reason !== 'length' ? 'stop' : 'length';
    const finalUsage = state.stopped ? { ...usage, numCompletionTokens: state.numTokens } : usage;
    this.events.push({ kind: 'finish', index: state.spec.index, finishReason, usage: finalUsage });
    this.end(state, { kind: 'finished', finishReason, usage: finalUsage });
  }

  /** A text event, unless there is neither text nor a token to report. */
  private pushText(state: ChoiceState, text: string, tokens: ReportedToken[] | undefined): void {
    if (text === '' && (tokens === undefined || tokens.length === 0)) return;
    this.events.push(tokens === undefined ? { kind: 'text', index: state.spec.index, text } : { kind: 'text', index: state.spec.index, text, tokens });
  }

  private onFailed(state: ChoiceState, error: ApiError): void {
    this.settleStarted.reject(error);
    this.events.fail(error);
    this.end(state, { kind: 'failed', error });
    this.abort();
  }

  private markStarted(state: ChoiceState): void {
    if (state.started) return;
    state.started = true;
    if (this.states.every((s) => s.started)) this.settleStarted.resolve();
  }

  private end(state: ChoiceState, outcome: GenerationOutcome): void {
    state.done = true;
    try {
      this.observer.onEnd(state.label, outcome);
    } catch (e) {
      this.events.fail(toApiError(e));
    }
    // Aborted without a stop string: the client left (nobody reads this) or the worker shut down.
    if (outcome.kind === 'aborted') this.events.fail(unavailable('The request was aborted before it finished.', 'request_aborted'));
    if (++this.numDone === this.states.length) this.events.close();
  }
}

/** A completions echo with `logprobs` reports the prompt's tokens, so it waits for the worker's scores. */
function echoesLogprobs(spec: ChoiceSpec): boolean {
  return spec.echo && (spec.sampling.numLogprobs ?? null) !== null;
}

/** `l` with only its first numTop alternatives (the prompt was scored with the most any output asked for). */
function firstTop(l: TokenLogprobs, numTop: number): TokenLogprobs {
  return { ...l, topTokenIds: l.topTokenIds.slice(0, numTop), topLogprobs: l.topLogprobs.slice(0, numTop) };
}
