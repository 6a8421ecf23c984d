// @mini-dynamo/gateway: the OpenAI-compatible HTTP frontend (hono), its one error mapping,
// the worker pool that routes requests, and startServer() for the CLI, tests and benches.
export * from './api-error.js';
export * from './app.js';
export * from './gateway-server.js';
export * from './generation-observer.js';
export * from './worker-pool.js';
export * from './request-migration.js';
export * from './start-server.js';
// Multi-host topology (standalone workers over HTTP + NATS).
export * from './remote-worker-connection.js';
export * from './worker-discovery.js';
export * from './replica-sync.js';
export * from './multi-host.js';
export * from './request-telemetry.js';
export * from './router-telemetry.js';
export * from './canary-health-check.js';
