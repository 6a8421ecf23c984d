// Starts this repo's own serving stack in-process (gateway + worker threads) for `--serve mock|ort`,
// so a benchmark needs no second terminal. It listens on 127.0.0.1, port 0.

import { startServer } from '@mini-dynamo/gateway';
import type { RoutingPolicyName } from '@mini-dynamo/protocol';

export type RunnerKind = 'mock' | 'ort';

export interface Stack {
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  runner: RunnerKind;
  numWorkers: number;
  router: RoutingPolicyName;
  /** KV blocks per worker; null = the runner's default. */
  numBlocks: number | null;
  /** Context length in tokens; null = the model's (the mock runner may simulate longer ones). */
  maxModelLen: number | null;
  /** Mock runner: divide its modelled step time by this (1 = real time). */
  mockSpeedup: number;
  /** kv policy's overlap weight; null = the router's default. */
  overlapWeight: number | null;
}

export function parseRunner(text: string): RunnerKind | null {
  return text === 'mock' || text === 'ort' ? text : null;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const server = await startServer({
    runner: o.runner, numWorkers: o.numWorkers, routerPolicy: o.router, host: '127.0.0.1', port: 0,
    mockSpeedup: o.mockSpeedup, log: () => {},
    ...(o.numBlocks === null ? {} : { numBlocks: o.numBlocks }),
    ...(o.maxModelLen === null ? {} : { maxModelLen: o.maxModelLen }),
    ...(o.overlapWeight === null ? {} : { overlapWeight: o.overlapWeight }),
  });
  return { url: server.url, close: () => server.close() };
}
