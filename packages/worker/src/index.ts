// @mini-dynamo/worker: hosts an Engine + ModelRunner off the gateway's event loop. One message
// handler (createWorkerHost) serves every transport; ThreadWorkerConnection is the local one.
export * from './worker-options.js';
export * from './worker-host.js';
export * from './thread-messages.js';
export * from './thread-worker-connection.js';
// Multi-host: the standalone worker (HTTP + NATS) and what gateways need to talk to it.
export * from './worker-engine.js';
export * from './nats-subjects.js';
export * from './wire-format.js';
export * from './standalone-worker.js';
export * from './standalone-worker-args.js';
export * from './engine-telemetry.js';
export * from './process-gpu-metrics.js';
export * from './http-listen.js';
export * from './flag-reader.js';
export * from './bearer-token.js';
export * from './nats-auth.js';
