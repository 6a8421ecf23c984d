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

const ALL_POLICY_VARIANTS = ['--policies', 'kv,kv:4,round_robin,random,least_loaded'];

export function reportSections(quick: boolean): ReportSection[] {
  const n = (full: number, small: number) => String(quick ? small : full);
  return [
    {
      id: 'routing-mock', timeoutS: 300,
      title: 'Routing policies, shared-prefix workload, 8 mock workers',
      what: 'Gateway + 8 worker threads running the engine\'s MockRunner (H100/Llama-8B timing model in real time: a 2k-token prefill costs ~210 ms, a decode step ~8 ms), 512 KV blocks of 16 tokens each, so one worker holds 4 of the 16 prefixes. Per run: 16 prefix groups of 2048 tokens + 64 unique tokens, 16 output tokens, Poisson arrivals at 10 req/s. One stack; the policy rides the `x-mini-dynamo-router` header; policies interleaved over 3 rounds, each run with its own prompts (cold prefixes: the first request of each group is a miss under every policy, which is what sets p99), results pooled per policy. `kv w=4` = kv with overlap weight 4 (default 1).',
      argv: ['routing', '--serve', 'mock', '--workers', '8', '--num-blocks', '512', '--max-model-len', '4096', '--mock-speedup', '1',
        '--workload', 'shared-prefix', '--prefix-len', '2048', '--suffix-len', '64', '--groups', '16', '--output-len', '16',
        '--num-requests', n(64, 20), '--rounds', n(3, 1), '--rate', '10', '--slo', 'ttft=300,tpot=25', ...ALL_POLICY_VARIANTS],
    },
    {
      id: 'routing-ort', timeoutS: 300,
      title: 'Routing policies, shared-prefix workload, 2 real-model workers (ONNX Runtime, stories260K)',
      what: 'Gateway + 2 worker threads serving the real stories260K model (ONNX Runtime, CPU), 192 KV blocks each (8 prefixes do not all fit one worker). Per run: 8 prefix groups of 384 tokens + 32 unique tokens, 32 output tokens, Poisson arrivals at 15 req/s; policies interleaved over 3 rounds as above.',
      argv: ['routing', '--serve', 'ort', '--workers', '2', '--num-blocks', '192', '--workload', 'shared-prefix', '--prefix-len', '384', '--suffix-len', '32',
        '--groups', '8', '--output-len', '32', '--num-requests', n(40, 20), '--rounds', n(3, 1), '--rate', '15', '--slo', 'ttft=100,tpot=10', ...ALL_POLICY_VARIANTS],
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
      title: 'Continuous batching vs one-at-a-time (stories260K, real model)',
      what: 'The graph/runner owner\'s script: Engine + OrtModelRunner with N concurrent requests (continuous batching) vs the same runner serving them strictly one at a time, stories260K (real weights), fixed output lengths, one ORT thread (so neither side gets a second core the other lacks on this 2-core host).',
      argv: ['runner-throughput', '--models', 'stories260k', '--concurrency', quick ? '1,8' : '1,8,32', '--threads', '1'],
    },
    ...(quick ? [] : [{
      id: 'runner-throughput-smollm2', timeoutS: 240,
      title: 'Continuous batching vs one-at-a-time (SmolLM2-135M shape, random weights)',
      what: 'Same script on a 135M-parameter Llama shape (speed does not depend on weight values).',
      argv: ['runner-throughput', '--models', 'smollm2-random', '--concurrency', '1,8', '--threads', '1'],
    }, {
      id: 'greedy-argmax', timeoutS: 180,
      title: 'Greedy argmax in the ONNX graph vs logits fetched (decode step, CPU EP)',
      what: 'OrtModelRunner decode steps (context 64, one ORT thread, median of 30, the two runners timed alternately): an all-greedy step fetches the graph\'s `greedy_ids` (ArgMax, first index on ties) instead of `logits` [S, vocab] + JS argmax (`greedyArgmax: \'js\'`, the baseline). On the CPU EP only the output copy and JS argmax go away; on the CUDA EP the logits also stop crossing PCIe (the last column).',
      argv: ['kv-placement', '--sections', 'argmax', '--runs', '30'],
    }, {
      id: 'temperature-sampling', timeoutS: 180,
      title: 'Temperature sampling in the ONNX graph vs logits fetched + JS sampling (decode step, CPU EP)',
      what: 'OrtModelRunner decode steps at temperature 1 (context 64, one ORT thread, median of 30, the two runners timed alternately): temperature-only sequences take the graph\'s `sampled_ids` (Softmax(logits/T), CumSum, inverse CDF at the JS uniform draw) instead of `logits` [S, vocab] + JS `sampleToken` (`temperatureSampling: \'js\'`, the baseline); the last column is the same graph runner\'s all-greedy step, what the in-graph sampling itself costs above it.',
      argv: ['kv-placement', '--sections', 'temperature', '--runs', '30'],
    }]),
    ...(quick ? [] : [{
      id: 'structured-output-cost', timeoutS: 420,
      title: 'Structured outputs: JSON-schema constrained vs free requests (Engine + OrtModelRunner, CPU EP)',
      what: 'c requests constrained to `{"story": <string>}` vs the same c requests free (same seeds, temperature 1, one ORT thread), interleaved rounds, best of each: what a user pays per token for a JSON schema. Free requests run a fixed length sampled in the graph; constrained ones send their grammar mask (memoised per grammar state) into the graph as a vocab/8-byte `allowed_mask` row and are picked there too (`--masked-picks js`: logits fetched, mask + sampling in JS), and end when the value closes. The mask column is the time `allowedTokenMask()` takes per sequence per step, cold masks included.',
      argv: ['structured-output-cost', '--models', 'stories260k,smollm2-random', '--concurrency', '1,8,32', '--output-tokens', '32', '--rounds', '3', '--threads', '1'],
    }, {
      id: 'spec-decode', timeoutS: 240,
      title: 'n-gram speculative decoding: off vs k = 2, 4, 8 (Engine + OrtModelRunner, stories260K, CPU EP)',
      what: '8 TinyStories-style prompts, greedy, 128 output tokens, one ORT thread, at batch 1 (one at a time) and batch 8, speculation off and `--speculative-config` n-gram with k = 2, 4, 8 (lookup 1–4), interleaved rounds, best of 5; every speculative run is checked to emit exactly the off run\'s tokens. Ratios are to off in the same run; acceptance = accepted / proposed draft tokens; tokens / seq-step = tokens a sequence gains per step it is decoded in.',
      argv: ['spec-decode', '--models', 'stories260k', '--ks', '2,4,8', '--batches', '1,8', '--output-tokens', '128', '--rounds', '5', '--threads', '1', '--out', 'bench/results/spec-decode'],
    }]),
    {
      id: 'scale', timeoutS: 300,
      title: 'Scale simulation: 64–256 mock workers behind one router',
      what: 'In-process discrete-event simulation: real Router (KvIndexer fed by real KV events) + N real Engines with MockRunners on a virtual clock (step time from the MockRunner timing model, nothing sleeps). Synthetic Mooncake-format trace: N prefix groups of 3×512 tokens + 1 unique 512-token block, 32 output tokens, 3 req/s per worker. TTFT is virtual time; router overhead is measured wall time of route().',
      argv: ['scale', '--num-workers', quick ? '64' : '64,128,256', '--policies', 'kv,kv:4,round_robin,random', ...(quick ? ['--quick'] : [])],
    },
    { id: 'engine-microbench', timeoutS: 180, title: 'Engine microbenchmarks', what: 'BlockAllocator allocation and Scheduler.schedule() latency (engine owner\'s script).', argv: ['engine-microbench'] },
    { id: 'router-bench', timeoutS: 180, title: 'Router microbenchmarks', what: 'Indexer ingest, findMatches and routing overhead per phase (router owner\'s script).', argv: quick ? ['router-bench', '--quick'] : ['router-bench'] },
    { id: 'telemetry-overhead', timeoutS: 180, title: 'Telemetry overhead, zero-time model', what: 'Cost of spans and metrics per generated token with a MockRunner that takes no time: the CPU telemetry itself costs, as an upper bound (ratios to `off` are large because `off` does almost nothing).', argv: ['telemetry-overhead'] },
    ...(quick ? [] : [{
      id: 'telemetry-overhead-ort', timeoutS: 240, title: 'Telemetry overhead, real model (seed 000\'s overhead table)',
      what: 'The same six levels while serving stories260K on ONNX Runtime (CPU): what a user pays per token, as ratios to telemetry off in the same run. Per-step spans are off by default.',
      argv: ['telemetry-overhead', '--ort'],
    }]),
  ];
}
