// Starts this repo's own serving stack in-process (gateway + workers) for `--serve mock|ort`, so a
// benchmark needs no second terminal. Everything listens on 127.0.0.1, port 0.

import type { RoutingPolicyName } from '@mini-dynamo/protocol';

type StartServer = (o: Record<string, unknown>) => Promise<{ url: string; close(): Promise<void> }>;

export type RunnerKind = 'mock' | 'ort';

export interface Stack {
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  runner: RunnerKind;
  numWorkers: number;
  router: RoutingPolicyName;
}

export function parseRunner(text: string): RunnerKind | null {
  return text === 'mock' || text === 'ort' ? text : null;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const gateway = (await import('@mini-dynamo/gateway')) as unknown as { startServer?: StartServer };
  if (typeof gateway.startServer !== 'function') throw new Error('@mini-dynamo/gateway does not export startServer yet');
  const server = await gateway.startServer({ runner: o.runner, workers: o.numWorkers, router: o.router, port: 0, host: '127.0.0.1' });
  return { url: server.url, close: () => server.close() };
}
