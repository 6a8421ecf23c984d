// The one place worker-side message handling lives: turns WorkerCommands into Engine calls and
// Engine callbacks into WorkerReports, whatever the transport (worker thread, standalone process).
// Invariants: every accepted `generate` ends in exactly one finished/failed event (a rejected one
// becomes a `failed` event at once); a load report follows each burst of engine output; a
// `prefix_cache_reset` reply follows the `cleared` KV event it caused.

import type {
  AllocatorAudit, EngineEvent, GenerateRequest, KvCacheEvent, KvCacheSnapshot, Result,
  WorkerCommand, WorkerLoad, WorkerReport,
} from '@mini-dynamo/protocol';

/** The slice of @mini-dynamo/engine's Engine a host drives. */
export interface HostedEngine {
  add(request: GenerateRequest): Result<void>;
  abort(requestId: string): void;
  onEvent(listener: (event: EngineEvent) => void): void;
  onKvEvent(listener: (event: KvCacheEvent) => void): void;
  load(): WorkerLoad;
  snapshot(): KvCacheSnapshot;
  audit(): AllocatorAudit;
  /** Empty the prefix cache (emits the `cleared` KV event first); returns the hashes dropped. */
  resetPrefixCache(): number;
  stop(): Promise<void> | void;
}

export interface WorkerHostOptions {
  /** Period of unsolicited load reports in ms (default 500); 0 disables the timer. */
  loadIntervalMs?: number;
  /** Prometheus text of this worker's registry (the telemetry adapter supplies it). */
  metricsText?: () => string | Promise<string>;
  /** Called once after `shutdown` stopped the engine (the thread entry exits the thread). */
  onShutdown?: () => void;
}

export interface WorkerHost {
  handle(command: WorkerCommand): Promise<void>;
  /** Stop the timer and the engine; idempotent. */
  close(): Promise<void>;
}

export function createWorkerHost(
  engine: HostedEngine,
  send: (report: WorkerReport) => void,
  options: WorkerHostOptions = {},
): WorkerHost {
  let loadQueued = false;
  let closed = false;
  const reportLoad = () => {
    loadQueued = false;
    if (!closed) send({ type: 'load', load: engine.load() });
  };
  // Engine output arrives in bursts (one per step): coalesce into one load report per burst.
  const queueLoad = () => {
    if (loadQueued || closed) return;
    loadQueued = true;
    setImmediate(reportLoad);
  };
  engine.onEvent((event) => {
    send({ type: 'event', event });
    queueLoad();
  });
  engine.onKvEvent((event) => send({ type: 'kv', event }));
  const intervalMs = options.loadIntervalMs ?? 500;
  const timer = intervalMs > 0 ? setInterval(reportLoad, intervalMs) : null;
  timer?.unref();

  const generate = (request: GenerateRequest) => {
    let added: Result<void>;
    try {
      added = engine.add(request);
    } catch (e) {
      added = { ok: false, error: { code: 'internal', message: `engine rejected the request: ${String(e)}` } };
    }
    if (!added.ok) send({ type: 'event', event: { kind: 'failed', requestId: request.requestId, error: added.error } });
    queueLoad();
  };

  const close = async () => {
    if (closed) return;
    closed = true;
    if (timer) clearInterval(timer);
    await engine.stop();
  };

  const handle = async (command: WorkerCommand) => {
    if (closed) return;
    switch (command.type) {
      case 'generate': return generate(command.request);
      case 'abort': engine.abort(command.requestId); return queueLoad();
      case 'snapshot': return send({ type: 'snapshot', snapshot: engine.snapshot() });
      case 'audit': return send({ type: 'audit', audit: engine.audit() });
      case 'reset_prefix_cache': return send({ type: 'prefix_cache_reset', numBlocks: engine.resetPrefixCache() });
      case 'metrics': return send({ type: 'metrics', text: options.metricsText ? await options.metricsText() : '' });
      case 'shutdown':
        await close();
        options.onShutdown?.();
        return;
    }
  };

  return { handle, close };
}
