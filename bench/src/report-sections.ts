// What bench/RESULTS.md contains: each section is one CLI invocation (so its command reproduces it
// exactly), a sentence on what it measures, and the charts it writes under bench/results/<id>/.
// --quick shrinks every section (CI smoke run); the full report stays under ~10 minutes on 2 cores.

export interface ReportSection {
  id: string;
  title: string;
  what: string;
  argv: string[];
  timeoutS: number;
}

const SHARED_PREFIX = ['--workload', 'shared-prefix', '--prefix-len', '384', '--suffix-len', '32'];

export function reportSections(quick: boolean): ReportSection[] {
  const n = (full: number, small: number) => String(quick ? small : full);
  return [
    {
      id: 'routing-mock', timeoutS: 300,
      title: 'Routing policies, shared-prefix workload, 8 mock workers',
      what: 'Gateway + 8 worker threads running the engine\'s MockRunner (H100/8B timing model at 1/4 speed), 1024 KV blocks each; 16 prefix groups of 384 tokens + 32 unique tokens, 16 output tokens; Poisson arrivals at 10 req/s. A fresh stack per policy (cold caches). `kv w=4` is the kv policy with overlap weight 4 (default 1).',
      argv: ['routing', '--serve', 'mock', '--workers', '8', '--num-blocks', '1024', '--mock-speedup', '0.25', ...SHARED_PREFIX,
        '--groups', '16', '--output-len', '16', '--num-requests', n(160, 40), '--rate', '10', '--slo', 'ttft=250,tpot=50',
        '--policies', 'kv,kv:4,round_robin,random,least_loaded'],
    },
    {
      id: 'routing-ort', timeoutS: 300,
      title: 'Routing policies, shared-prefix workload, 2 real-model workers (ONNX Runtime, stories260K)',
      what: 'Gateway + 2 worker threads serving the real stories260K model on CPU, 192 KV blocks each (so 8 prefixes do not all fit one worker); Poisson arrivals; a fresh stack per policy.',
      argv: ['routing', '--serve', 'ort', '--workers', '2', '--num-blocks', '192', ...SHARED_PREFIX,
        '--groups', '8', '--output-len', '32', '--num-requests', n(120, 30), '--rate', '30', '--slo', 'ttft=100,tpot=10', '--policies', 'kv,kv:4,round_robin,random,least_loaded'],
    },
    {
      id: 'load-sweep-ort', timeoutS: 240,
      title: 'Throughput vs load, 2 real-model workers (closed-loop concurrency sweep)',
      what: 'Random prompts (no shared prefix) at rising concurrency against the same 2-worker ORT stack: output-token throughput, goodput under the SLO, and latency CDFs per level. Each level gets fresh prompts.',
      argv: ['run', '--serve', 'ort', '--workers', '2', '--workload', 'random', '--input-len', '128', '--output-len', '64',
        '--range-ratio', '0.25', '--num-requests', n(64, 16), '--concurrency', quick ? '1,4' : '1,2,4,8,16', '--slo', 'ttft=200,tpot=10'],
    },
    {
      id: 'runner-throughput', timeoutS: 240,
      title: 'Continuous batching vs one-at-a-time (real model)',
      what: 'The graph/runner owner\'s script: the same requests through the engine with continuous batching and strictly one at a time.',
      argv: ['runner-throughput'],
    },
    {
      id: 'scale', timeoutS: 300,
      title: 'Scale simulation: 64–256 mock workers behind one router',
      what: 'In-process discrete-event simulation: real Router (KvIndexer fed by real KV events) + N real Engines with MockRunners on a virtual clock (step time from the MockRunner timing model, nothing sleeps). Synthetic Mooncake-format trace: N prefix groups of 3×512 tokens + 1 unique 512-token block, 32 output tokens, 3 req/s per worker. TTFT is virtual time; router overhead is measured wall time of route().',
      argv: ['scale', '--num-workers', quick ? '64' : '64,128,256', '--policies', 'kv,kv:4,round_robin,random', ...(quick ? ['--quick'] : [])],
    },
    { id: 'engine-microbench', timeoutS: 180, title: 'Engine microbenchmarks', what: 'BlockAllocator allocation and Scheduler.schedule() latency (engine owner\'s script).', argv: ['engine-microbench'] },
    { id: 'router-bench', timeoutS: 180, title: 'Router microbenchmarks', what: 'Indexer ingest, findMatches and routing overhead (router owner\'s script).', argv: ['router-bench'] },
    { id: 'telemetry-overhead', timeoutS: 180, title: 'Telemetry overhead', what: 'Cost of spans and metrics per request (telemetry owner\'s script).', argv: ['telemetry-overhead'] },
  ];
}
