// Admission checks for Engine.add(): the request's shape and whether it can ever run here.
// Returns the EngineError to report, or null to accept; never throws on bad input.

import type { EngineError, GenerateRequest, SamplingParams, SchedulingPolicy } from '@mini-dynamo/protocol';

export interface AdmissionLimits {
  vocabSize: number;
  maxSeqLen: number;
  maxNumWaiting: number | null;
  numWaiting: number;
  /** A TokenConstraintFactory is configured (else structured-output requests are refused). */
  supportsStructuredOutput: boolean;
  schedulingPolicy: SchedulingPolicy;
  isLive(requestId: string): boolean;
}

export function checkAdmission(request: GenerateRequest, limits: AdmissionLimits): EngineError | null {
  const invalid = (message: string): EngineError => ({ code: 'invalid_request', message });
  const prompt = request.promptTokenIds;
  if (typeof request.requestId !== 'string' || request.requestId === '') return invalid('requestId must be a non-empty string');
  if (limits.isLive(request.requestId)) return invalid(`duplicate request id ${request.requestId}`);
  if (!Array.isArray(prompt) || prompt.length === 0) return invalid('prompt must contain at least one token');
  const maxTokens = request.sampling?.maxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) return invalid('maxTokens must be an integer ≥ 1 (0 to score the prompt only)');
  if (maxTokens === 0 && (request.sampling.numPromptLogprobs ?? null) === null) return invalid('maxTokens 0 needs numPromptLogprobs');
  for (const t of prompt) {
    if (!Number.isInteger(t) || t < 0 || t >= limits.vocabSize) return invalid(`token id ${t} outside the vocabulary [0, ${limits.vocabSize})`);
  }
  const priorityError = checkPriority(request.priority, limits.schedulingPolicy);
  if (priorityError !== null) return invalid(priorityError);
  const resumeError = checkResumedOutput(request, limits);
  if (resumeError !== null) return resumeError;
  const samplingError = checkSamplingExtras(request.sampling, limits.vocabSize);
  if (samplingError !== null) return invalid(samplingError);
  if ((request.sampling.structuredOutput ?? null) !== null && !limits.supportsStructuredOutput) {
    return invalid('structured outputs are not supported by this worker');
  }
  if (prompt.length + 1 > limits.maxSeqLen) {
    return { code: 'prompt_too_long', message: `prompt of ${prompt.length} tokens leaves no room to generate (limit ${limits.maxSeqLen} tokens)` };
  }
  if (limits.maxNumWaiting !== null && limits.numWaiting >= limits.maxNumWaiting) {
    return { code: 'overloaded', message: `${limits.numWaiting} requests already waiting (limit ${limits.maxNumWaiting})` };
  }
  return null;
}

/** vLLM: a priority must be an integer, and anything but 0 needs the priority scheduling policy; a message or null. */
function checkPriority(priority: unknown, policy: SchedulingPolicy): string | null {
  if (priority === undefined) return null;
  if (!Number.isSafeInteger(priority)) return 'priority must be an integer';
  if (priority !== 0 && policy !== 'priority') return 'priority scheduling is not enabled (start the worker with --scheduling-policy priority)';
  return null;
}

/** The optional sampling fields (absent on the wire from an older gateway = off); a message or null. */
function checkSamplingExtras(s: SamplingParams, vocabSize: number): string | null {
  const bias = s.logitBias ?? null;
  if (bias !== null && !Array.isArray(bias)) return 'logitBias must be a list of [tokenId, bias] pairs';
  for (const pair of bias ?? []) {
    const [id, value] = Array.isArray(pair) ? pair : [];
    if (!Number.isInteger(id) || id! < 0 || id! >= vocabSize) return `logitBias token id ${String(id)} outside the vocabulary [0, ${vocabSize})`;
    if (typeof value !== 'number' || !(value >= -100 && value <= 100)) return `logitBias for token ${id} must be a number in [-100, 100]`;
  }
  const minTokens = s.minTokens ?? 0;
  if (!Number.isInteger(minTokens) || minTokens < 0 || minTokens > s.maxTokens) return 'minTokens must be an integer in [0, maxTokens]';
  const minP = s.minP ?? 0;
  if (typeof minP !== 'number' || !(minP >= 0 && minP <= 1)) return 'minP must be a number in [0, 1]';
  const penalty = s.repetitionPenalty ?? 1;
  if (typeof penalty !== 'number' || !(penalty > 0 && Number.isFinite(penalty))) return 'repetitionPenalty must be a finite number > 0';
  return null;
}

/** A migrated request's earlier output (resumeOutputTokenIds): token ids of the vocabulary, leaving room to generate. */
function checkResumedOutput(request: GenerateRequest, limits: AdmissionLimits): EngineError | null {
  const resumed = request.resumeOutputTokenIds ?? [];
  if (!Array.isArray(resumed)) return { code: 'invalid_request', message: 'resumeOutputTokenIds must be a list of token ids' };
  for (const t of resumed) {
    if (!Number.isInteger(t) || t < 0 || t >= limits.vocabSize) return { code: 'invalid_request', message: `resumed token id ${t} outside the vocabulary [0, ${limits.vocabSize})` };
  }
  if (resumed.length > 0 && resumed.length >= request.sampling.maxTokens) {
    return { code: 'invalid_request', message: `${resumed.length} resumed output tokens leave nothing to generate (maxTokens ${request.sampling.maxTokens})` };
  }
  const numTokens = request.promptTokenIds.length + resumed.length;
  if (resumed.length > 0 && numTokens + 1 > limits.maxSeqLen) {
    return { code: 'prompt_too_long', message: `prompt and resumed output of ${numTokens} tokens leave no room to generate (limit ${limits.maxSeqLen} tokens)` };
  }
  return null;
}
