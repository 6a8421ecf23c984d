// Multi-host wiring of one gateway (`serve --nats <url>`): discovers standalone workers over NATS,
// adds a RemoteWorkerConnection per worker to the gateway, drops it when its heartbeat expires,
// asks new workers for a KV snapshot and runs replica sync. (Router resync requests reach remote
// workers through the pool like any other: the connection answers `snapshot` with GET /snapshot.)

// A worker refusing the cluster token (401) is logged once and ignored until it restarts.

import type { NatsConnection } from 'nats';
import { connectNats } from '@mini-dynamo/worker';
import type { WorkerConnection } from '@mini-dynamo/protocol';
import type { MiniRouter } from '@mini-dynamo/router';
import { RemoteWorkerConnection, type RemoteWorkerTimeouts } from './remote-worker-connection.js';
import { WorkerDiscovery } from './worker-discovery.js';
import { startReplicaSync } from './replica-sync.js';

export interface MultiHostOptions {
  natsUrl: string;
  /** NATS token and the bearer token of every worker HTTP call (--cluster-token). */
  clusterToken?: string;
  router: MiniRouter;
  /** Hands a discovered worker to the gateway's pool (GatewayHandle.addWorker). */
  addWorker(connection: WorkerConnection): void;
  discoveryTtlMs?: number;
  /** Deadlines of the HTTP calls to each worker (default DEFAULT_REMOTE_WORKER_TIMEOUTS). */
  remoteTimeouts?: Partial<RemoteWorkerTimeouts>;
  log?: (line: string) => void;
}

export interface MultiHost {
  nats: NatsConnection;
  workerIds(): string[];
  close(): Promise<void>;
}

export async function connectMultiHost(options: MultiHostOptions): Promise<MultiHost> {
  const log = options.log ?? ((line: string) => console.error(line));
  const connected = await connectNats(options.natsUrl, options.clusterToken, `mini-dynamo-gateway-${options.router.routerId}`);
  if (!connected.ok) throw new Error(connected.error.message); // startServer's caller prints it, no stack
  const nats = connected.value;
  const connections = new Map<string, RemoteWorkerConnection>();
  let closing = false;
  const discovery = new WorkerDiscovery({
    nats,
    ...(options.discoveryTtlMs === undefined ? {} : { ttlMs: options.discoveryTtlMs }),
    onUp: (hb) => {
      const connection = new RemoteWorkerConnection(hb, nats, options.remoteTimeouts, options.clusterToken);
      connections.set(hb.workerId, connection);
      connection.onClosed((reason) => {
        if (connections.get(hb.workerId) !== connection) return;
        connections.delete(hb.workerId);
        if (connection.tokenRefused && !closing) {
          discovery.refuse(hb.workerId);
          return log(`remote worker ${hb.workerId} unusable: ${reason}; ignored until it restarts`);
        }
        const holdOffMs = closing ? 0 : discovery.eject(hb.workerId);
        log(`remote worker ${hb.workerId} dropped: ${reason}${holdOffMs > 0 ? ` (its heartbeats ignored for ${holdOffMs} ms)` : ''}`);
      });
      options.addWorker(connection);
      log(`remote worker ${hb.workerId} joined at ${hb.url}`);
      void connection.ready.then(() => connection.send({ type: 'snapshot' }));
    },
    onDown: (workerId, reason) => connections.get(workerId)?.markClosed(reason),
  });
  const replica = startReplicaSync(nats, options.router);
  return {
    nats,
    workerIds: () => [...connections.keys()],
    close: async () => {
      closing = true;
      discovery.close();
      replica.close();
      for (const c of connections.values()) c.markClosed('gateway shutting down');
      await nats.drain().catch(() => {});
    },
  };
}
