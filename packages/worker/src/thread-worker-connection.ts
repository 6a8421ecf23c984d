// WorkerConnection over a node:worker_threads Worker running worker-thread-main.js: the engine
// and its (blocking) ORT runner live off the gateway's event loop.
// Invariants: `closed` fires once (thread exit, crash or fatal report); after it `send` is a no-op
// and `ready` has settled (rejected if the thread died before reporting ready).

import { Worker } from 'node:worker_threads';
import type {
  ModelRunnerInfo, WorkerCommand, WorkerConnection, WorkerReport, WorkerTransport,
} from '@mini-dynamo/protocol';
import type { WorkerOptions, WorkerProgress } from './worker-options.js';
import type { ThreadMessage } from './thread-messages.js';

const ENTRY = new URL('./worker-thread-main.js', import.meta.url);

export class ThreadWorkerConnection implements WorkerConnection {
  readonly transport: WorkerTransport = 'thread';
  readonly workerId: string;
  readonly ready: Promise<ModelRunnerInfo>;
  private readonly worker: Worker;
  private readonly reportListeners: ((report: WorkerReport) => void)[] = [];
  private readonly closedListeners: ((reason: string) => void)[] = [];
  private readonly progressListeners: ((progress: WorkerProgress) => void)[] = [];
  private closedReason: string | null = null;
  private settleReady!: { resolve: (info: ModelRunnerInfo) => void; reject: (e: Error) => void };

  constructor(options: WorkerOptions) {
    this.workerId = options.workerId;
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => {}); // observed through onClosed; never an unhandled rejection
    this.worker = new Worker(ENTRY, { workerData: options, name: `mini-dynamo-${options.workerId}` });
    this.worker.on('message', (message: ThreadMessage) => this.receive(message));
    this.worker.on('error', (e) => this.markClosed(`worker thread crashed: ${e.message}`));
    this.worker.on('exit', (code) => this.markClosed(`worker thread exited with code ${code}`));
  }

  send(command: WorkerCommand): void {
    if (this.closedReason === null) this.worker.postMessage(command);
  }

  onReport(listener: (report: WorkerReport) => void): void {
    this.reportListeners.push(listener);
  }

  onClosed(listener: (reason: string) => void): void {
    if (this.closedReason !== null) queueMicrotask(() => listener(this.closedReason!));
    else this.closedListeners.push(listener);
  }

  /** Loading progress (model load, graph build) until `ready`. */
  onProgress(listener: (progress: WorkerProgress) => void): void {
    this.progressListeners.push(listener);
  }

  /** Asks the engine to stop, then ends the thread (forcibly after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    if (this.closedReason !== null) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'shutdown' } satisfies WorkerCommand);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Gives the worker up at once, as a crash would: `closed` fires now, reports still queued from it are dropped,
   * and the thread is told to shut down (it stops after its step in flight: terminating a thread inside an ORT
   * run would abort the whole process).
   */
  kill(reason = 'worker thread killed'): void {
    if (this.closedReason !== null) return;
    this.markClosed(reason);
    this.worker.postMessage({ type: 'shutdown' } satisfies WorkerCommand);
  }

  private receive(message: ThreadMessage): void {
    if (this.closedReason !== null) return;
    if (message.type === 'progress') {
      for (const l of this.progressListeners) l(message.progress);
      return;
    }
    if (message.type === 'ready') this.settleReady.resolve(message.info);
    for (const l of this.reportListeners) l(message);
    if (message.type === 'fatal') {
      this.markClosed(`worker failed: ${message.message}`);
      void this.worker.terminate();
    }
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.settleReady.reject(new Error(reason));
    for (const l of this.closedListeners.splice(0)) l(reason);
  }
}
