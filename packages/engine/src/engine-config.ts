// EngineConfig: the engine's limits and their defaults. Block geometry and model length come from the runner's
// info (blockSize must match it; numBlocks and maxModelLen can only shrink it: block ids index the runner's pool).

import type { ModelRunnerInfo, SchedulingPolicy, SpeculativeConfig, TokenConstraintFactory } from '@mini-dynamo/protocol';

export interface EngineConfig {
  workerId: string;
  blockSize: number;
  numBlocks: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  enablePrefixCaching: boolean;
  /** Reject add() with 'overloaded' once this many requests wait; null = unbounded. */
  maxNumWaiting: number | null;
  /** Builds structured-output constraints over the runner's vocabulary; null: such requests are refused. */
  constraintFactory: TokenConstraintFactory | null;
  /** Speculative decoding (n-gram drafts verified in the decode step); null = off. */
  speculative: SpeculativeConfig | null;
  /** vLLM --scheduling-policy: fcfs refuses a request priority other than 0; priority orders queues by it. */
  schedulingPolicy: SchedulingPolicy;
}

export const DEFAULT_MAX_NUM_SEQS = 256;
export const DEFAULT_MAX_NUM_BATCHED_TOKENS = 8192;

/** Throws a RangeError when the block size is not the runner's: block ids and slots index the runner's pool. */
export function resolveEngineConfig(info: ModelRunnerInfo, config: Partial<EngineConfig> & { workerId: string }): EngineConfig {
  if (config.blockSize !== undefined && config.blockSize !== info.blockSize) {
    throw new RangeError(`blockSize ${config.blockSize} differs from the runner's ${info.blockSize}: the engine's blocks are the runner's KV pool blocks`);
  }
  const maxNumSeqs = config.maxNumSeqs ?? DEFAULT_MAX_NUM_SEQS;
  return {
    workerId: config.workerId,
    blockSize: info.blockSize,
    numBlocks: Math.min(config.numBlocks ?? info.numBlocks, info.numBlocks),
    maxNumSeqs,
    maxNumBatchedTokens: config.maxNumBatchedTokens ?? Math.max(DEFAULT_MAX_NUM_BATCHED_TOKENS, maxNumSeqs),
    maxModelLen: Math.min(config.maxModelLen ?? info.maxModelLen, info.maxModelLen),
    enablePrefixCaching: config.enablePrefixCaching ?? true,
    maxNumWaiting: config.maxNumWaiting ?? null,
    constraintFactory: config.constraintFactory ?? null,
    speculative: config.speculative ?? null,
    schedulingPolicy: config.schedulingPolicy ?? 'fcfs',
  };
}

/** Longest sequence (prompt + output) the engine runs: the model length, capped by the pool. */
export function maxSeqLen(config: EngineConfig): number {
  return Math.min(config.maxModelLen, config.numBlocks * config.blockSize);
}
