// Test fixtures for the engine's suites (not exported): requests, an event collector, a batch-
// recording runner and a drain loop. Kept apart so every *.test.ts reads as the property it checks.

import assert from 'node:assert/strict';
import {
  samplingParams, type EngineEvent, type FinishReason, type GenerateRequest, type KvCacheEvent, type ModelRunner,
  type SamplingParams, type StepBatch, type StepOutput, type Usage,
} from '@mini-dynamo/protocol';
import type { Engine } from './engine.js';
import { MockRunner, type MockRunnerOptions } from './mock-runner.js';

export function makeRequest(requestId: string, promptTokenIds: number[], sampling: Partial<SamplingParams> = {}, cacheSalt: string | null = null): GenerateRequest {
  return {
    requestId,
    promptTokenIds,
    sampling: samplingParams({ temperature: 0, ...sampling }),
    cacheSalt,
    traceContext: {},
    arrivalTimeMs: Date.now(),
  };
}

/** n distinct-ish token ids starting from `from` (kept inside a small vocabulary). */
export function tokens(n: number, from = 100): number[] {
  return Array.from({ length: n }, (_, i) => 3 + ((from + i * 7) % 4000));
}

export interface Collected {
  events: EngineEvent[];
  kvEvents: KvCacheEvent[];
  tokensOf(requestId: string): number[];
  endOf(requestId: string): EngineEvent | undefined;
  finishReason(requestId: string): FinishReason | undefined;
  usage(requestId: string): Usage | undefined;
}

export function collect(engine: Engine): Collected {
  const events: EngineEvent[] = [];
  const kvEvents: KvCacheEvent[] = [];
  engine.onEvent((e) => events.push(e));
  engine.onKvEvent((e) => kvEvents.push(e));
  const endOf = (id: string) => events.find((e) => e.requestId === id && e.kind !== 'tokens');
  return {
    events,
    kvEvents,
    tokensOf: (id) => events.flatMap((e) => (e.kind === 'tokens' && e.requestId === id ? e.tokenIds : [])),
    endOf,
    finishReason: (id) => { const e = endOf(id); return e?.kind === 'finished' ? e.finishReason : undefined; },
    usage: (id) => { const e = endOf(id); return e?.kind === 'finished' ? e.usage : undefined; },
  };
}

/** Step until no work is left (bounded), auditing the allocator after every step. */
export async function drain(engine: Engine, maxSteps = 100_000): Promise<number> {
  let numSteps = 0;
  while (engine.hasWork()) {
    assert.ok(++numSteps <= maxSteps, 'engine did not drain');
    await engine.step();
    const audit = engine.audit();
    assert.ok(audit.ok, JSON.stringify(audit));
  }
  return numSteps;
}

/** A MockRunner that records every batch it is given (copies, the engine reuses arrays). */
export class RecordingRunner implements ModelRunner {
  readonly inner: MockRunner;
  readonly batches: StepBatch[] = [];
  failNext = false;
  /** Return sampled tokens only, no logprobs or prompt logprobs (a runner that ignores those asks). */
  dropLogprobs = false;

  constructor(options: MockRunnerOptions = {}) {
    this.inner = new MockRunner({ checkKv: true, ...options });
  }

  get info() {
    return this.inner.info;
  }

  async step(batch: StepBatch): Promise<StepOutput> {
    this.batches.push({
      numTokens: batch.numTokens,
      sequences: batch.sequences.map((s) => ({ ...s, blockTable: [...s.blockTable], outputTokenIds: [...s.outputTokenIds] })),
    });
    if (this.failNext) {
      this.failNext = false;
      throw new Error('injected runner failure');
    }
    const output = await this.inner.step(batch);
    return this.dropLogprobs ? { sampledTokenIds: output.sampledTokenIds } : output;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
