// Starting and stopping a hono app on @hono/node-server, shared by the standalone worker and the gateway.
// Invariant: listen resolves only once the port is bound and rejects (EADDRINUSE, EACCES) instead of throwing later.

import { serve, type ServerType } from '@hono/node-server';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export function listen(fetch: FetchHandler, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops accepting, drops idle and open connections, resolves when the server is closed. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
