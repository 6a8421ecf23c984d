// Request migration in the WorkerPool against in-memory workers the test scripts: a request whose worker dies
// mid-stream goes on on another worker with its tokens so far (routed on prompt ‖ those tokens), the client's
// listener sees one uninterrupted stream, the router's predicted load is released once per attempt, the limit and
// aborts are honoured; plus --migration-limit parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, GenerateRequest, ModelRunnerInfo, RouteRequest, Router, WorkerCommand, WorkerConnection, WorkerReport } from '@mini-dynamo/protocol';
import { samplingParams } from '@mini-dynamo/protocol';
import { createRouter } from '@mini-dynamo/router';
import { MigrationState, type MigrationType } from './request-migration.js';
import { parseServeArgs } from './serve-args.js';
import { WorkerPool } from './worker-pool.js';

const INFO: ModelRunnerInfo = { modelName: 'm', blockSize: 4, numBlocks: 64, maxModelLen: 256, vocabSize: 100, eosTokenIds: [2] };

class ScriptedWorker implements WorkerConnection {
  readonly transport = 'thread' as const;
  readonly ready = Promise.resolve(INFO);
  readonly generated: GenerateRequest[] = [];
  readonly aborted: string[] = [];
  private report: (r: WorkerReport) => void = () => {};
  private closed: (reason: string) => void = () => {};
  constructor(readonly workerId: string) {}
  send(command: WorkerCommand): void {
    if (command.type === 'generate') this.generated.push(command.request);
    if (command.type === 'abort') this.aborted.push(command.requestId);
  }
  emit(event: EngineEvent): void { this.report({ type: 'event', event }); }
  die(): void { this.closed(`worker ${this.workerId} crashed`); }
  onReport(listener: (r: WorkerReport) => void): void { this.report = listener; }
  onClosed(listener: (reason: string) => void): void { this.closed = listener; }
  async close(): Promise<void> {}
}

async function setup(limit: number, ...ids: string[]) {
  const inner = createRouter({ policy: 'kv', blockSize: 4 });
  const routed: number[][] = [];
  const router = new Proxy(inner, {
    get(target, key) {
      if (key === 'route') return (r: RouteRequest) => { routed.push(r.tokenIds); return target.route(r); };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Router & typeof inner;
  const logs: string[] = [];
  const migrations: MigrationType[] = [];
  const pool = new WorkerPool(router, (l) => void logs.push(l), undefined, { limit, onMigration: (t) => void migrations.push(t) });
  const workers = ids.map((id) => new ScriptedWorker(id));
  for (const w of workers) pool.add(w);
  await new Promise((r) => setImmediate(r));
  return { pool, workers, router: inner, routed, logs, migrations };
}

const PROMPT = [5, 6, 7, 8, 9, 10, 11, 12];
const request = (maxTokens = 10): GenerateRequest => ({
  requestId: 'r1', promptTokenIds: PROMPT, sampling: samplingParams({ maxTokens, temperature: 0 }), cacheSalt: null, traceContext: {}, arrivalTimeMs: 0,
});

test('a worker dying mid-stream: the request goes on on another worker with its tokens, one seamless stream', async () => {
  const { pool, workers, router, routed, logs, migrations } = await setup(3, 'a', 'b');
  const seen: EngineEvent[] = [];
  const d = pool.dispatch(request(), {}, (e) => void seen.push(e));
  const first = workers.find((w) => w.workerId === d.decision.workerId)!;
  const second = workers.find((w) => w !== first)!;
  first.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [40, 41] });
  first.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [42] });
  first.die();
  assert.equal(d.decision.workerId, second.workerId);
  assert.deepEqual(second.generated[0]!.resumeOutputTokenIds, [40, 41, 42]);
  assert.deepEqual(routed.at(-1), [...PROMPT, 40, 41, 42], 'routed on prompt ‖ tokens so far');
  assert.equal(router.loadOf(second.workerId)!.numInFlight, 1);
  second.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [43] });
  second.emit({ kind: 'finished', requestId: 'r1', finishReason: 'length', usage: { numPromptTokens: 8, numCompletionTokens: 4, numCachedTokens: 0 } });
  assert.deepEqual(seen.map((e) => e.kind), ['tokens', 'tokens', 'tokens', 'finished'], 'no failure reaches the client');
  assert.deepEqual(seen.flatMap((e) => (e.kind === 'tokens' ? e.tokenIds : [])), [40, 41, 42, 43]);
  assert.equal(router.loadOf(second.workerId)!.numInFlight, 0, 'predicted load released');
  assert.equal(router.workerOf('r1'), null);
  assert.deepEqual(migrations, ['ongoing_request']);
  assert.ok(logs.includes(`request r1: worker failed after 3 tokens, migrated to ${second.workerId}`), logs.join('\n'));
});

test('a second migration carries every token relayed so far; the limit then lets the failure stand', async () => {
  const { pool, workers, migrations } = await setup(2, 'a', 'b', 'c', 'd');
  const seen: EngineEvent[] = [];
  const d = pool.dispatch(request(), {}, (e) => void seen.push(e));
  const serving = () => workers.find((w) => w.workerId === d.decision.workerId)!;
  for (const batch of [[30], [31, 32], [33]]) {
    const w = serving();
    w.emit({ kind: 'tokens', requestId: 'r1', tokenIds: batch });
    w.die();
  }
  const sent = workers.flatMap((w) => w.generated).map((r) => r.resumeOutputTokenIds ?? []).sort((x, y) => x.length - y.length);
  assert.deepEqual(sent, [[], [30], [30, 31, 32]]);
  assert.deepEqual(migrations, ['ongoing_request', 'ongoing_request']);
  const terminal = seen.filter((e) => e.kind !== 'tokens');
  assert.equal(terminal.length, 1, 'exactly one terminal event');
  assert.equal(terminal[0]!.kind === 'failed' && terminal[0]!.error.code, 'worker_failed');
  assert.deepEqual(seen.flatMap((e) => (e.kind === 'tokens' ? e.tokenIds : [])), [30, 31, 32, 33]);
});

test('--migration-limit 0: a mid-stream death fails the request as before; before the first token it is still re-routed', async () => {
  const { pool, workers, migrations } = await setup(0, 'a', 'b', 'c');
  const seen: EngineEvent[] = [];
  const d = pool.dispatch(request(), {}, (e) => void seen.push(e));
  const first = workers.find((w) => w.workerId === d.decision.workerId)!;
  first.die();
  assert.deepEqual(migrations, ['new_request']);
  const second = workers.find((w) => w.workerId === d.decision.workerId)!;
  assert.notEqual(second, first);
  assert.equal(second.generated[0]!.resumeOutputTokenIds, undefined);
  second.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [50] });
  second.die();
  assert.deepEqual(seen.map((e) => e.kind), ['tokens', 'failed']);
  assert.deepEqual(migrations, ['new_request']);
});

test('no migration after the client aborted, nor when maxTokens were all relayed; an abort reaches the current worker', async () => {
  const { pool, workers, migrations } = await setup(3, 'a', 'b', 'c');
  const seen: EngineEvent[] = [];
  const d = pool.dispatch(request(), {}, (e) => void seen.push(e));
  const first = workers.find((w) => w.workerId === d.decision.workerId)!;
  first.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [40] });
  first.die();
  const second = workers.find((w) => w.workerId === d.decision.workerId)!;
  d.abort();
  assert.deepEqual(second.aborted, ['r1'], 'the abort goes to the worker serving it now');
  second.die();
  assert.equal(seen.at(-1)!.kind, 'failed');
  assert.deepEqual(migrations, ['ongoing_request']);

  const full = await setup(3, 'a', 'b');
  const ended: EngineEvent[] = [];
  const d2 = full.pool.dispatch(request(2), {}, (e) => void ended.push(e));
  const w = full.workers.find((x) => x.workerId === d2.decision.workerId)!;
  w.emit({ kind: 'tokens', requestId: 'r1', tokenIds: [40, 41] });
  w.die();
  assert.equal(ended.at(-1)!.kind, 'failed', 'nothing left to generate: the failure stands');
  assert.deepEqual(full.migrations, []);
});

test('MigrationState: retries before the first token, then migrations up to the limit, keeping earlier resumed tokens', () => {
  const base = { ...request(8), resumeOutputTokenIds: [1] };
  const state = new MigrationState(base, 1);
  assert.equal(state.next()!.type, 'new_request');
  state.record([2, 3]);
  assert.deepEqual(state.next(), { type: 'ongoing_request', request: { ...base, resumeOutputTokenIds: [1, 2, 3] } });
  assert.equal(state.next(), null);
});

test('--migration-limit / MINI_DYNAMO_MIGRATION_LIMIT: 0 allowed, flag wins, negative refused, unset = default', () => {
  assert.equal(parseServeArgs(['--migration-limit', '0'], {}).server.migrationLimit, 0);
  assert.equal(parseServeArgs([], { MINI_DYNAMO_MIGRATION_LIMIT: '5' }).server.migrationLimit, 5);
  assert.equal(parseServeArgs(['--migration-limit', '1'], { MINI_DYNAMO_MIGRATION_LIMIT: '5' }).server.migrationLimit, 1);
  assert.equal(parseServeArgs([], {}).server.migrationLimit, undefined);
  assert.throws(() => parseServeArgs(['--migration-limit=-1'], {}), /--migration-limit must be an integer ≥ 0/);
  assert.throws(() => parseServeArgs([], { MINI_DYNAMO_MIGRATION_LIMIT: 'x' }), /migration-limit/);
});
