// Process entry of a standalone worker (`node dist/standalone-worker-main.js --nats … --port …`);
// the CLI's `worker` subcommand runs the same runStandaloneWorker.
import { runStandaloneWorker } from './standalone-worker-args.js';

process.exitCode = await runStandaloneWorker(process.argv.slice(2));
