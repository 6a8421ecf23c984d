// Request migration (Dynamo's Migrator, `--migration-limit`): the token state of one dispatched request, and
// what to send next when its worker dies. Before any token the request is simply routed again (a
// `new_request` migration, up to MAX_DISPATCH_RETRIES); after tokens it is re-sent with every token relayed
// so far as resumeOutputTokenIds (an `ongoing_request` migration, up to the limit), and the new worker goes
// on from there. Invariant: the tokens recorded are exactly those relayed to the client, in order; the client's
// listener sees one uninterrupted stream (an attempt's `worker_failed` reaches it only when no attempt follows).

import type { EngineEvent, GenerateRequest, RoutingDecision } from '@mini-dynamo/protocol';

export type MigrationType = 'new_request' | 'ongoing_request';

export interface MigrationOptions {
  /** Mid-stream migrations allowed per request (Dynamo --migration-limit); 0 turns them off. */
  limit: number;
  /** Counts each migration (dynamo_frontend_model_migration_total). */
  onMigration?: (type: MigrationType) => void;
}

/**
 * Default --migration-limit. Dynamo defaults to 0; here the gateway holds every request's tokens anyway and
 * greedy / seeded continuations are exact, so migration is on by default.
 */
export const DEFAULT_MIGRATION_LIMIT = 3;

/** Re-routes of one request whose worker died before its first token. */
export const MAX_DISPATCH_RETRIES = 2;

/** One routed attempt of a request: where it went, and how to ask its worker to stop. */
export interface Dispatched {
  decision: RoutingDecision;
  /** Ask the worker to stop; the terminal event still arrives (finish reason `abort`). */
  abort(): void;
}

type Listener = (event: EngineEvent) => void;

/** What migration needs from the worker pool. */
export interface AttemptSender {
  /** Routes and sends one attempt; throws when no worker can take it. */
  send(request: GenerateRequest, listener: Listener): Dispatched;
  /** False while the pool closes: a dying worker's requests then fail. */
  canMigrate(): boolean;
  log(line: string): void;
}

/**
 * Sends `request` and relays its events to `listener`; when its worker dies (`worker_failed`) the next attempt
 * is sent instead of relaying the failure. The handle follows the current attempt; a request the client aborted
 * is not migrated.
 */
export function dispatchMigrating(request: GenerateRequest, options: MigrationOptions, sender: AttemptSender, listener: Listener): Dispatched {
  const state = new MigrationState(request, options.limit);
  let aborted = false;
  let current: Dispatched;
  const relay: Listener = (event) => {
    if (event.kind === 'tokens') state.record(event.tokenIds);
    const workerDied = event.kind === 'failed' && event.error.code === 'worker_failed' && sender.canMigrate() && !aborted;
    const next = workerDied ? migrate(state, options, sender, relay) : null;
    if (next === null) listener(event);
    else current = next;
  };
  current = sender.send(request, relay);
  return { get decision() { return current.decision; }, abort: () => { aborted = true; current.abort(); } };
}

/** Send the request's next attempt after its worker died; null when there is none (the failure stands). */
function migrate(state: MigrationState, options: MigrationOptions, sender: AttemptSender, relay: Listener): Dispatched | null {
  const next = state.next();
  if (next === null) return null;
  try {
    const dispatched = sender.send(next.request, relay);
    const at = next.type === 'new_request' ? 'before its first token' : `after ${state.numTokens} tokens`;
    sender.log(`request ${next.request.requestId}: worker failed ${at}, ${next.type === 'new_request' ? 'retried' : 'migrated'} to ${dispatched.decision.workerId}`);
    options.onMigration?.(next.type);
    return dispatched;
  } catch {
    return null; // no worker left to go on: the original failure stands
  }
}

export interface NextAttempt {
  type: MigrationType;
  request: GenerateRequest;
}

export class MigrationState {
  /** Output tokens relayed to the client so far (all attempts). */
  private readonly relayed: number[] = [];
  private sawTokens = false;
  private numRetries = 0;
  private numMigrations = 0;

  constructor(private readonly request: GenerateRequest, private readonly limit: number) {}

  get numTokens(): number {
    return this.relayed.length;
  }

  record(tokenIds: readonly number[]): void {
    this.sawTokens = true;
    for (const t of tokenIds) this.relayed.push(t);
  }

  /** The attempt to make after the current worker died, or null: the failure stands. */
  next(): NextAttempt | null {
    if (!this.sawTokens) {
      if (this.numRetries >= MAX_DISPATCH_RETRIES) return null;
      this.numRetries++;
      return { type: 'new_request', request: this.request };
    }
    const resumed = [...(this.request.resumeOutputTokenIds ?? []), ...this.relayed];
    if (this.numMigrations >= this.limit || resumed.length >= this.request.sampling.maxTokens) return null;
    this.numMigrations++;
    return { type: 'ongoing_request', request: { ...this.request, resumeOutputTokenIds: resumed } };
  }
}

/** What the router should match against the workers' caches: the prompt, plus the output to recompute when resumed. */
export function routedTokenIds(request: GenerateRequest): number[] {
  const resumed = request.resumeOutputTokenIds ?? [];
  return resumed.length === 0 ? request.promptTokenIds : [...request.promptTokenIds, ...resumed];
}
