// Admission checks for Engine.add(): the request's shape and whether it can ever run here.
// Returns the EngineError to report, or null to accept; never throws on bad input.

import type { EngineError, GenerateRequest } from '@mini-dynamo/protocol';

export interface AdmissionLimits {
  vocabSize: number;
  maxSeqLen: number;
  maxNumWaiting: number | null;
  numWaiting: number;
  isLive(requestId: string): boolean;
}

export function checkAdmission(request: GenerateRequest, limits: AdmissionLimits): EngineError | null {
  const invalid = (message: string): EngineError => ({ code: 'invalid_request', message });
  const prompt = request.promptTokenIds;
  if (typeof request.requestId !== 'string' || request.requestId === '') return invalid('requestId must be a non-empty string');
  if (limits.isLive(request.requestId)) return invalid(`duplicate request id ${request.requestId}`);
  if (!Array.isArray(prompt) || prompt.length === 0) return invalid('prompt must contain at least one token');
  const maxTokens = request.sampling?.maxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) return invalid('maxTokens must be an integer ≥ 1');
  for (const t of prompt) {
    if (!Number.isInteger(t) || t < 0 || t >= limits.vocabSize) return invalid(`token id ${t} outside the vocabulary [0, ${limits.vocabSize})`);
  }
  if (prompt.length + 1 > limits.maxSeqLen) {
    return { code: 'prompt_too_long', message: `prompt of ${prompt.length} tokens leaves no room to generate (limit ${limits.maxSeqLen} tokens)` };
  }
  if (limits.maxNumWaiting !== null && limits.numWaiting >= limits.maxNumWaiting) {
    return { code: 'overloaded', message: `${limits.numWaiting} requests already waiting (limit ${limits.maxNumWaiting})` };
  }
  return null;
}
