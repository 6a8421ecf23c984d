// Messages a worker thread posts to its parent: protocol WorkerReports plus loading progress.
// Bigints (block hashes) cross the thread boundary by structured clone, unencoded.

import type { WorkerReport } from '@mini-dynamo/protocol';
import type { WorkerProgress } from './worker-options.js';

export type ThreadMessage = WorkerReport | { type: 'progress'; progress: WorkerProgress };
