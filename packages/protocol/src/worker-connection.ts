// How a gateway talks to one worker, whatever the transport: a worker thread on this host,
// or a standalone worker over HTTP + NATS. The gateway only ever sees this interface.
// Invariant: after `closed` fires, no more reports arrive and `send` is a no-op.

import type { ModelRunnerInfo } from './model-runner.js';
import type { WorkerCommand, WorkerReport } from './worker-messages.js';

export type WorkerTransport = 'thread' | 'process' | 'remote';

export interface WorkerConnection {
  readonly workerId: string;
  readonly transport: WorkerTransport;
  /** Resolves once the worker reported `ready` (model loaded, graph built). */
  readonly ready: Promise<ModelRunnerInfo>;
  send(command: WorkerCommand): void;
  onReport(listener: (report: WorkerReport) => void): void;
  /** Fires once when the worker dies or is disconnected (reason for logs and errors). */
  onClosed(listener: (reason: string) => void): void;
  /**
   * Optional: stop listening for one request the caller has aborted and given up on (a hung worker's canary), freeing
   * what carries its events (a remote worker's HTTP stream). Its events may stop without a terminal one. Absent: nothing held.
   */
  release?(requestId: string): void;
  close(): Promise<void>;
}
