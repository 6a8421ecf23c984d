// The process's one nvidia-smi poller. A gateway hosting N `--device cuda` worker threads shares one GPU
// view (every thread sees the same CUDA_VISIBLE_DEVICES), so it runs one nvidia-smi per interval, not N,
// and exports each GPU series once. Invariant: at most one poller per process (module state, so per JS thread:
// only the gateway's main thread acquires it, never a worker thread); the last release stops it.

import { Registry } from '@mini-dynamo/telemetry';
import { startGpuMetrics, type GpuMetricsOptions, type GpuMetricsPoller } from './gpu-metrics.js';

/** Labels of the shared series: the GPUs are reported under the first acquirer's model and worker id. */
export interface GpuMetricsIdentity {
  model: string;
  workerId: string;
}

export interface ProcessGpuMetrics {
  /** Prometheus text of the GPU gauges (empty until nvidia-smi answered; absent series when it cannot). */
  metricsText(): Promise<string>;
  /** This user is done; the poller stops with the last one. Idempotent. */
  release(): void;
}

interface Shared {
  registry: Registry;
  poller: GpuMetricsPoller;
  numUsers: number;
}

let shared: Shared | null = null;

/**
 * Joins the process's GPU poller, starting it (with this identity and these options) when there is none.
 * Later acquirers share the running one as it is: its labels and interval stay those of the first.
 */
export function acquireProcessGpuMetrics(identity: GpuMetricsIdentity, options: Omit<GpuMetricsOptions, 'registry'> = {}): ProcessGpuMetrics {
  if (shared === null) {
    const registry = new Registry();
    registry.setDefaultLabels({ model: identity.model, worker_id: identity.workerId });
    shared = { registry, poller: startGpuMetrics({ ...options, registry }), numUsers: 0 };
  }
  const mine = shared;
  mine.numUsers++;
  let released = false;
  return {
    metricsText: () => mine.registry.metrics(),
    release: () => {
      if (released) return;
      released = true;
      if (--mine.numUsers > 0) return;
      mine.poller.stop();
      if (shared === mine) shared = null;
    },
  };
}
