// One NDJSON response stream per in-flight request of a standalone worker: engine events for a
// request are written to its stream; the terminal event closes it; a client that goes away
// aborts the request. Invariant: at most one open stream per requestId.

import type { EngineEvent } from '@mini-dynamo/protocol';
import { isTerminalEvent } from './wire-format.js';

const encoder = new TextEncoder();

export class RequestStreams {
  private readonly open = new Map<string, ReadableStreamDefaultController<Uint8Array>>();

  has(requestId: string): boolean {
    return this.open.has(requestId);
  }

  get size(): number {
    return this.open.size;
  }

  /** A stream for the request's events; `onCancel` runs if the reader goes away before the end. */
  create(requestId: string, onCancel: () => void): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.open.set(requestId, controller);
      },
      cancel: () => {
        if (this.open.delete(requestId)) onCancel();
      },
    });
  }

  push(event: EngineEvent): void {
    const controller = this.open.get(event.requestId);
    if (!controller) return;
    controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
    if (!isTerminalEvent(event)) return;
    this.open.delete(event.requestId);
    controller.close();
  }

  /** Ends every open stream with a failed event (worker shutting down). */
  failAll(message: string): void {
    for (const requestId of [...this.open.keys()]) {
      this.push({ kind: 'failed', requestId, error: { code: 'worker_failed', message } });
    }
  }
}
