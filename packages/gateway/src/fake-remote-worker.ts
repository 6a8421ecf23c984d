// Test support for multi-host tests (also `@mini-dynamo/gateway/testing` for test/): a real nats-server child,
// a polling wait, and a misbehaving "standalone worker" — a real HTTP server on 127.0.0.1 port 0 announced by real
// NATS heartbeats, whose routes answer however a test says (500, never, socket closed). Tracks open requests so
// tests can assert none leak.

import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { ModelRunnerInfo } from '@mini-dynamo/protocol';
import { defaultModelDir } from '@mini-dynamo/model';
import { snapshotToJson, startStandaloneWorker, subjects, type StandaloneWorker, type WorkerHeartbeat } from '@mini-dynamo/worker';

export interface NatsServer {
  url: string;
  stop(): void;
}

/**
 * A nats-server on a port it picks itself (`-p -1`, read back from its log: no free-port race with
 * other processes); a start that fails, exits or stalls kills the child before throwing. `extraArgs` e.g.
 * `['--auth', token]` for token auth.
 */
export async function startNatsServer(extraArgs: string[] = []): Promise<NatsServer> {
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('nats-server not ready after 10 s')), 10_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${e.message}\n${log}`));
    };
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`nats-server exited (${code})`)));
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)[\s\S]*Server is ready/.exec(log);
      if (!m) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.stderr!.removeAllListeners('data').resume();
      resolve(Number(m[1]));
    });
  });
  return { url: `nats://127.0.0.1:${port}`, stop: () => void proc.kill('SIGKILL') };
}

/**
 * What a route does: answer (status + body), never answer, close the socket, send NDJSON headers and then nothing,
 * or (POST /generate) stream one token and `finished` for the request's id, as a healthy worker would.
 */
export type FakeBehaviour = { status: number; body: string } | 'hang' | 'close-socket' | 'headers-then-hang' | 'generate-one-token';

export interface FakeRemoteWorker {
  workerId: string;
  url: string;
  /** `METHOD /path` of every request received, in order. */
  received: string[];
  /** Requests (to `route`, or any) still open: a hung route's requests stay until the caller gives up. */
  numOpenRequests(route?: string): number;
  /** Changes how `route` behaves from the next request on (a hung worker recovering). */
  setRoute(route: string, behaviour: FakeBehaviour): void;
  close(): Promise<void>;
}

export const FAKE_INFO: ModelRunnerInfo = { modelName: 'fake', blockSize: 16, numBlocks: 64, maxModelLen: 512, vocabSize: 512, eosTokenIds: [2] };

/** Routes not named in `routes` answer like a healthy idle worker (empty snapshot, clean audit, no metrics). */
export async function startFakeRemoteWorker(nats: NatsConnection, workerId: string, routes: Record<string, FakeBehaviour>): Promise<FakeRemoteWorker> {
  const received: string[] = [];
  const table = { ...routes };
  const open = new Map<IncomingMessage, string>();
  const sockets = new Set<Socket>();
  const healthy: Record<string, FakeBehaviour> = {
    'GET /snapshot': { status: 200, body: snapshotToJson({ workerId, lastEventId: 0, blockHashes: [] }) },
    'GET /metrics': { status: 200, body: '' },
    'GET /audit': { status: 200, body: JSON.stringify({ numTotalBlocks: 64, numFreeBlocks: 64, numUsedBlocks: 0, orphanedBlocks: [], refCountMismatches: [], ok: true }) },
    'POST /reset_prefix_cache': { status: 200, body: '{"numBlocks":0}' },
    'POST /abort': { status: 200, body: '{"ok":true}' },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = `${req.method} ${req.url}`;
    received.push(route);
    open.set(req, route);
    res.once('close', () => open.delete(req));
    const behaviour = table[route] ?? healthy[route] ?? { status: 404, body: 'no such route' };
    if (behaviour === 'generate-one-token') return void answerOneToken(req, res);
    req.resume();
    if (behaviour === 'hang') return;
    if (behaviour === 'close-socket') return void req.socket.destroy();
    if (behaviour === 'headers-then-hang') return void res.writeHead(200, { 'content-type': 'application/x-ndjson' }).flushHeaders();
    res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(behaviour.body);
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const hb: Omit<WorkerHeartbeat, 'sentAtMs'> = { workerId, instanceId: randomUUID(), url, info: FAKE_INFO };
  const beat = () => nats.publish(subjects.heartbeat, new TextEncoder().encode(JSON.stringify({ ...hb, sentAtMs: Date.now() })));
  beat();
  const timer = setInterval(beat, 200);
  return {
    workerId, url, received,
    setRoute: (route, behaviour) => { table[route] = behaviour; },
    numOpenRequests: (route) => [...open.values()].filter((r) => route === undefined || r === route).length,
    close: async () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A real, healthy standalone worker (mock runner, FAKE_INFO's model name and block size) announced over `natsUrl`. */
export async function startMockStandaloneWorker(natsUrl: string, workerId: string): Promise<StandaloneWorker> {
  const started = await startStandaloneWorker({
    workerId, runner: 'mock', modelDir: defaultModelDir(), servedModelName: FAKE_INFO.modelName, device: 'cpu',
    blockSize: FAKE_INFO.blockSize, natsUrl, heartbeatMs: 200, log: () => {},
  });
  if (!started.ok) throw new Error(`standalone worker ${workerId} did not start: ${JSON.stringify(started.error)}`);
  return started.value;
}

/** A healthy worker's NDJSON answer to POST /generate: one token, then `finished` (length). */
function answerOneToken(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => {
    const requestId = (JSON.parse(body) as { requestId: string }).requestId;
    const usage = { numPromptTokens: 1, numCompletionTokens: 1, numCachedTokens: 0 };
    res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(
      `${JSON.stringify({ kind: 'tokens', requestId, tokenIds: [5] })}\n${JSON.stringify({ kind: 'finished', requestId, finishReason: 'length', usage })}\n`);
  });
}

/** Polls `check` every 20 ms until it holds; throws `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
