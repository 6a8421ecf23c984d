#!/usr/bin/env node
// `mini-dynamo serve` (gateway + N worker threads on this host) and `mini-dynamo worker`
// (a standalone worker, provided by @mini-dynamo/worker); flags are parsed in serve-args.ts.
// Startup progress goes to stderr, the URL to stdout.

import { runStandaloneWorker } from '@mini-dynamo/worker';
import { startServer } from './start-server.js';
import { parseServeArgs, SERVE_USAGE as USAGE } from './serve-args.js';

/** Like uvicorn's graceful shutdown: requests in flight at the first SIGINT/SIGTERM may finish. */
const SHUTDOWN_GRACE_MS = 10_000;

async function serve(argv: string[]): Promise<void> {
  if (argv.includes('--help')) return void console.log(USAGE);
  const { server: options, traceFile } = parseServeArgs(argv);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const server = await startServer({
    ...options, tracing: traceFile ? { jsonlPath: traceFile } : {}, onProgress: (line) => console.error(`[${elapsed()}] ${line}`),
  });
  console.log(`mini-dynamo serving at ${server.url}  (OpenAI API: ${server.url}/v1, ready in ${elapsed()})`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    console.error(`${signal}: shutting down (in-flight requests get ${SHUTDOWN_GRACE_MS / 1000}s to finish; again to exit now)`);
    server.gateway.drain(SHUTDOWN_GRACE_MS)
      .then(() => server.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** `worker`: a standalone worker process (multi-host topology), owned by @mini-dynamo/worker. */
async function worker(argv: string[]): Promise<void> {
  process.exit(await runStandaloneWorker(argv));
}

async function main(): Promise<void> {
  const [command = 'serve', ...rest] = process.argv.slice(2);
  if (command === 'serve') return serve(rest);
  if (command === 'worker') return worker(rest);
  console.error(USAGE);
  process.exitCode = 2;
}

main().catch((e: unknown) => {
  console.error(`mini-dynamo: ${(e as Error).message}`);
  process.exit(1);
});
