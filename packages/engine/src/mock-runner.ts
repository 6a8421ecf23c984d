// MockRunner: a ModelRunner without a model — the engine's test double and the many-worker simulator
// (Dynamo's "mocker"). Tokens are a pure function of (last token, position, seed), so output does not
// depend on batching or preemption; step time follows a roofline-ish model scaled by `speedup`.
// Logprobs, when asked, are those of mock-logprobs.ts's distribution, whose mode is the token picked unless
// logits processing (bias, masks, penalties: protocol's processLogits) moves the pick: then the argmax of the
// processed row, scored under the raw distribution. Prompt logprobs score prompt tokens under it per position.
// Speculative drafts are verified per the ModelRunner contract: the pick at each position is the plain decode's
// (same context checksum, outputTokenIds ‖ accepted drafts), so output is the same with speculation on or off;
// an accepted draft's logprobs are scored under its position's distribution, as a plain step would score them.

import {
  argmax, needsLogitsProcessing, processLogits, type ModelRunner, type ModelRunnerInfo, type StepBatch, type StepOutput,
  type StepSequence, type TokenLogprobs,
} from '@mini-dynamo/protocol';
import { MockKvStore } from './mock-kv-store.js';
import { mockLogits, mockLogprobs } from './mock-logprobs.js';

/**
 * Step time model in milliseconds, defaults roughly an H100 serving a Llama-3-8B in bf16:
 * a pass streams the 16 GB of weights (~5 ms at 3.35 TB/s) plus launch overhead → decodeBaseMs 8;
 * prefill is compute bound, ~16 GFLOP/token at ~40% of 990 TFLOPS → ~0.04 ms/token, we take 0.1 to
 * include attention; each decode row adds sampling/bookkeeping (0.05 ms) and streams its KV cache:
 * 128 KiB/token ÷ 3.35 TB/s ≈ 0.00004 ms per context token.
 * stepMs = (any decode ? decodeBaseMs : prefillBaseMs) + prefillPerTokenMs·prefill tokens
 *        + decodePerSeqMs·decode rows + decodePerContextTokenMs·Σ decode context lengths.
 */
export interface MockTiming {
  prefillBaseMs: number;
  prefillPerTokenMs: number;
  decodeBaseMs: number;
  decodePerSeqMs: number;
  decodePerContextTokenMs: number;
}

export const H100_8B_TIMING: Readonly<MockTiming> = Object.freeze({
  prefillBaseMs: 5,
  prefillPerTokenMs: 0.1,
  decodeBaseMs: 8,
  decodePerSeqMs: 0.05,
  decodePerContextTokenMs: 0.00004,
});

export const MOCK_RUNNER_INFO: Readonly<ModelRunnerInfo> = Object.freeze({
  modelName: 'mock-llama-8b',
  blockSize: 16,
  numBlocks: 8192,
  maxModelLen: 8192,
  vocabSize: 32000,
  eosTokenIds: [2],
});

export interface MockRunnerOptions {
  info?: Partial<ModelRunnerInfo>;
  timing?: Partial<MockTiming>;
  /** Divides every step time; Infinity (the default) never sleeps. */
  speedup?: number;
  /** Chance that a sampled token is the first EOS id (default 0: EOS is never sampled). */
  eosProbability?: number;
  /** Record written tokens per KV slot and derive samples from them: catches wrong block tables. */
  checkKv?: boolean;
  /** A copying model (see MockCopyModel); implies checkKv. Default: off. */
  copy?: MockCopyModel;
}

/**
 * What n-gram speculation exploits: with chance `probability` (a deterministic draw per position and seed) the next
 * token repeats the context's token `distance` positions back, read from the mock KV store; otherwise it is
 * mockNextToken's. Prompt logprobs ignore it.
 */
export interface MockCopyModel {
  distance: number;
  probability: number;
}

/** A sampled row's result: the distribution's mode at the pick, the pick, and the drafts accepted before it (with their modes). */
interface VerifiedRow {
  mode: number;
  tokenId: number;
  numAcceptedDrafts: number;
  /** The mode at each accepted draft's position (what its logprobs are scored under). */
  draftModes: number[];
}

/** 32-bit avalanche mix (murmur3 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The mock's next token after `lastToken` at `position` (context length), for a sampling seed. */
export function mockNextToken(lastToken: number, position: number, seed: number, info: Pick<ModelRunnerInfo, 'vocabSize' | 'eosTokenIds'>, eosProbability = 0): number {
  const h = mix32(mix32(lastToken + 0x9e3779b9) ^ mix32(position * 0x27d4eb2d) ^ mix32(seed ^ 0x165667b1));
  if (eosProbability > 0 && mix32(h ^ 0x5bd1e995) / 2 ** 32 < eosProbability && info.eosTokenIds.length > 0) {
    return info.eosTokenIds[0]!;
  }
  let token = h % info.vocabSize;
  while (info.eosTokenIds.includes(token)) token = (token + 1) % info.vocabSize;
  return token;
}

export class MockRunner implements ModelRunner {
  readonly info: ModelRunnerInfo;
  readonly timing: MockTiming;
  readonly speedup: number;
  readonly eosProbability: number;
  numSteps = 0;
  /** Simulated forward time so far (unscaled ms). */
  simulatedMs = 0;
  private readonly kv: MockKvStore | null;
  private readonly copy: MockCopyModel | null;
  private closed = false;

  constructor(options: MockRunnerOptions = {}) {
    this.info = { ...MOCK_RUNNER_INFO, eosTokenIds: [...MOCK_RUNNER_INFO.eosTokenIds], ...options.info };
    this.timing = { ...H100_8B_TIMING, ...options.timing };
    this.speedup = options.speedup ?? Infinity;
    this.eosProbability = options.eosProbability ?? 0;
    this.copy = options.copy ?? null;
    this.kv = options.checkKv || this.copy !== null ? new MockKvStore(this.info.numBlocks, this.info.blockSize) : null;
  }

  async step(batch: StepBatch): Promise<StepOutput> {
    if (this.closed) throw new Error('MockRunner is closed');
    const seqs = batch.sequences;
    const rows = seqs.map((s) => this.computeSequence(s));
    const sampledTokenIds = rows.map((row) => row?.tokenId ?? null);
    const output: StepOutput = { sampledTokenIds };
    // Built only when some sequence asks (the simulator's steps mostly do not).
    if (seqs.some((s) => (s.sampling?.numLogprobs ?? null) !== null)) {
      output.logprobs = seqs.map((s, k) => {
        const numTop = s.sampling?.numLogprobs ?? null;
        return numTop === null ? null : mockLogprobs(rows[k]!.mode, numTop, this.info.vocabSize, rows[k]!.tokenId);
      });
    }
    if (seqs.some((s) => s.draftTokenIds !== undefined)) {
      output.numAcceptedDrafts = seqs.map((s, k) => (s.draftTokenIds === undefined ? null : rows[k]!.numAcceptedDrafts));
    }
    if (seqs.some((s) => s.draftTokenIds !== undefined && (s.sampling?.numLogprobs ?? null) !== null)) {
      output.draftLogprobs = seqs.map((s, k) => this.draftLogprobs(s, rows[k]!));
    }
    if (seqs.some((s) => s.promptLogprobs !== undefined)) output.promptLogprobs = seqs.map((s) => this.promptLogprobs(s));
    const ms = this.stepMs(batch);
    this.numSteps++;
    this.simulatedMs += ms;
    if (Number.isFinite(this.speedup) && ms / this.speedup >= 0.001) await sleep(ms / this.speedup);
    return output;
  }

  /** The accepted drafts' logprobs, each scored under the mode at its position; null without drafts or logprobs. */
  private draftLogprobs(s: StepSequence, row: VerifiedRow | null): TokenLogprobs[] | null {
    const numTop = s.sampling?.numLogprobs ?? null;
    if (s.draftTokenIds === undefined || numTop === null || row === null) return null;
    return row.draftModes.map((mode, j) => mockLogprobs(mode, numTop, this.info.vocabSize, s.draftTokenIds![j]));
  }

  /** The chunk's prompt logprobs: position p's distribution has mode mockNextToken(token p, p + 1, seed 0). */
  private promptLogprobs(s: StepSequence): TokenLogprobs[] | null {
    if (s.promptLogprobs === undefined) return null;
    const { numTop, targetTokenIds } = s.promptLogprobs;
    return targetTokenIds.map((target, i) => {
      const mode = mockNextToken(s.tokenIds[i]!, s.startPosition + i + 1, 0, this.info, 0);
      return mockLogprobs(mode, numTop, this.info.vocabSize, target);
    });
  }

  /** Unscaled step time of a batch per the timing model; a decode's speculative drafts cost as prefill tokens. */
  stepMs(batch: StepBatch): number {
    const t = this.timing;
    let numPrefillTokens = 0;
    let numDecodeSeqs = 0;
    let numContextTokens = 0;
    for (const s of batch.sequences) {
      const numDrafts = s.draftTokenIds?.length ?? 0;
      if (s.tokenIds.length === 1 + numDrafts && s.outputTokenIds.length > 0) {
        numDecodeSeqs++;
        numContextTokens += s.startPosition + 1;
        numPrefillTokens += numDrafts;
      } else numPrefillTokens += s.tokenIds.length;
    }
    const base = numDecodeSeqs > 0 ? t.decodeBaseMs : numPrefillTokens > 0 ? t.prefillBaseMs : 0;
    return base + numPrefillTokens * t.prefillPerTokenMs + numDecodeSeqs * t.decodePerSeqMs + numContextTokens * t.decodePerContextTokenMs;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * The token picked at a sampled position: the mode, or the argmax of the processed mock logits when the sequence
   * processes them, with the first numDrafts drafts counted as generated (penalties, min-tokens).
   */
  private pick(s: StepSequence, mode: number, numDrafts: number): number {
    const sampling = s.sampling!;
    if (!needsLogitsProcessing(sampling, s.allowedTokenMask)) return mode;
    const outputTokenIds = numDrafts === 0 ? s.outputTokenIds : s.outputTokenIds.concat(s.draftTokenIds!.slice(0, numDrafts));
    return argmax(processLogits(mockLogits(mode, this.info.vocabSize), sampling, { ...s, outputTokenIds }, this.info.eosTokenIds));
  }

  /** Write the row's KV, then verify its drafts (if any) and pick its token; null for a chunk that samples nothing. */
  private computeSequence(s: StepSequence): VerifiedRow | null {
    const end = s.startPosition + s.tokenIds.length;
    if (s.blockTable.length * this.info.blockSize < end) {
      throw new Error(`seq ${s.seqId}: block table covers ${s.blockTable.length} blocks, needs ${end} tokens`);
    }
    this.kv?.write(s);
    if (s.sampling === null) return null;
    const drafts = s.draftTokenIds ?? [];
    const first = s.tokenIds.length - 1 - drafts.length; // tokenIds index of the first sampled position's input
    const contexts = this.kv?.contextChecksums(s, drafts.length + 1) ?? null;
    const draftModes: number[] = [];
    for (let j = 0; ; j++) {
      const mode = this.modeAt(s, first + j, contexts?.[j] ?? 0);
      const tokenId = this.pick(s, mode, j);
      if (j === drafts.length || tokenId !== drafts[j]) return { mode, tokenId, numAcceptedDrafts: j, draftModes };
      draftModes.push(mode);
    }
  }

  /** The mode of the next-token distribution after s.tokenIds[i], given the checksum of the context up to it. */
  private modeAt(s: StepSequence, i: number, context: number): number {
    const end = s.startPosition + i + 1;
    const seed = ((s.sampling!.seed ?? 0) ^ context) | 0;
    const copy = this.copy;
    if (copy !== null && end - copy.distance >= 0 && mix32(mix32(end) ^ seed ^ 0x3c6ef372) / 2 ** 32 < copy.probability) {
      return this.kv!.tokenAt(s.blockTable, end - copy.distance);
    }
    return mockNextToken(s.tokenIds[i]!, end, seed, this.info, this.eosProbability);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
