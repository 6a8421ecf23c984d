// structured-output-cost: what a JSON-schema constraint costs. Output tokens/s of Engine + OrtModelRunner serving c
// requests constrained to {"story": <string>} vs the same c requests free (same seeds, temperature 1), interleaved
// rounds in one process, reported as constrained ÷ free; plus the time the constraint's mask takes per sequence-step.
// Run: node bench/dist/cli.js structured-output-cost [--models stories260k,smollm2-random] [--concurrency 1,8,32]
//      [--output-tokens 64] [--rounds 3] [--threads N] [--masked-picks graph|js] [--device cpu|cuda]
// Free requests run a fixed length (ignoreEos) and are sampled in the graph; constrained ones are sampled in the graph
// over their mask (allowed_mask), or with --masked-picks js fetch logits, mask and sample in JS; they end when the
// value closes (their tokens/s counts the tokens they made).

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Engine } from '@mini-dynamo/engine';
import { createOrtModelRunner, loadTokenizer, type MaskedPicks, type OrtDevice, type OrtModelRunner } from '@mini-dynamo/model';
import { samplingParams, type GenerateRequest, type StructuredOutputSpec, type TokenConstraintFactory } from '@mini-dynamo/protocol';
import { createTokenConstraintFactory } from '@mini-dynamo/structured-output';
import { BENCH_MODELS, loadBenchModel } from './bench-models.js';
import { workloadNumBlocks } from './runner-throughput.js';

const STORY: StructuredOutputSpec = { kind: 'json', schema: { type: 'object', properties: { story: { type: 'string' } }, required: ['story'] } };

export interface CostRow {
  model: string;
  concurrency: number;
  freeTokensPerSecond: number;
  constrainedTokensPerSecond: number;
  ratio: number;
  meanConstrainedTokens: number;
  maskMsPerSequenceStep: number;
}

/** A factory whose constraints add the time spent in allowedTokenMask() to `timing`. */
function timedFactory(factory: TokenConstraintFactory, timing: { ms: number; calls: number }): TokenConstraintFactory {
  return {
    create(spec) {
      const made = factory.create(spec);
      if (!made.ok) return made;
      const c = made.value;
      return { ok: true, value: {
        allowedTokenMask() {
          const t0 = performance.now();
          const mask = c.allowedTokenMask();
          timing.ms += performance.now() - t0;
          timing.calls++;
          return mask;
        },
        accept: (id) => c.accept(id),
        get isTerminated() { return c.isTerminated; },
      } };
    },
  };
}

function requests(c: number, outputTokens: number, structured: boolean, tag: string): GenerateRequest[] {
  return Array.from({ length: c }, (_, r) => ({
    requestId: `${tag}-${r}`,
    promptTokenIds: [1, 3 + r],
    sampling: samplingParams({ temperature: 1, seed: r, maxTokens: outputTokens, ignoreEos: true, structuredOutput: structured ? STORY : null }),
    cacheSalt: null, traceContext: {}, arrivalTimeMs: Date.now(),
  }));
}

async function serve(runner: OrtModelRunner, factory: TokenConstraintFactory, batch: GenerateRequest[]): Promise<{ seconds: number; numTokens: number }> {
  const engine = new Engine(runner, { workerId: 'bench', enablePrefixCaching: false, maxNumSeqs: Math.max(32, batch.length), constraintFactory: factory });
  let numTokens = 0;
  engine.onEvent((e) => {
    if (e.kind === 'tokens') numTokens += e.tokenIds.length;
    if (e.kind === 'failed') throw new Error(`${e.requestId} failed: ${e.error.message}`);
  });
  const t0 = performance.now();
  for (const r of batch) {
    const added = engine.add(r);
    if (!added.ok) throw new Error(added.error.message);
  }
  while (engine.hasWork()) await engine.step();
  return { seconds: (performance.now() - t0) / 1000, numTokens };
}

async function measure(label: string, runner: OrtModelRunner, factory: TokenConstraintFactory, timing: { ms: number; calls: number },
  concurrency: number[], outputTokens: number, rounds: number): Promise<CostRow[]> {
  await serve(runner, factory, requests(4, 8, true, 'warmup'));
  const rows: CostRow[] = [];
  for (const c of concurrency) {
    let free = 0, constrained = 0, numConstrainedTokens = 0;
    timing.ms = 0; timing.calls = 0;
    for (let round = 0; round < rounds; round++) {
      const f = await serve(runner, factory, requests(c, outputTokens, false, `f${c}-${round}`));
      const s = await serve(runner, factory, requests(c, outputTokens, true, `s${c}-${round}`));
      free = Math.max(free, f.numTokens / f.seconds);
      constrained = Math.max(constrained, s.numTokens / s.seconds);
      numConstrainedTokens += s.numTokens;
    }
    const row: CostRow = {
      model: label, concurrency: c, freeTokensPerSecond: free, constrainedTokensPerSecond: constrained, ratio: constrained / free,
      meanConstrainedTokens: numConstrainedTokens / (rounds * c), maskMsPerSequenceStep: timing.ms / Math.max(1, timing.calls),
    };
    console.log(`${label} c=${c}: free ${free.toFixed(1)} tok/s, json-schema ${constrained.toFixed(1)} tok/s (${row.ratio.toFixed(2)}x), `
      + `${row.meanConstrainedTokens.toFixed(1)} tokens/request, mask ${row.maskMsPerSequenceStep.toFixed(3)} ms/sequence-step`);
    rows.push(row);
  }
  return rows;
}

export async function main(args: string[] = process.argv.slice(2)): Promise<CostRow[]> {
  const { values } = parseArgs({ args, options: {
    models: { type: 'string', default: 'stories260k,smollm2-random' }, concurrency: { type: 'string', default: '1,8,32' },
    'output-tokens': { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' }, threads: { type: 'string' },
    'masked-picks': { type: 'string', default: 'graph' }, device: { type: 'string', default: 'cpu' },
  } });
  const device = values.device as OrtDevice;
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda, got ${values.device}`);
  const maskedPicks = values['masked-picks'] as MaskedPicks;
  if (maskedPicks !== 'graph' && maskedPicks !== 'js') throw new Error(`--masked-picks must be graph or js, got ${maskedPicks}`);
  const concurrency = values.concurrency.split(',').map(Number);
  const outputTokens = Number(values['output-tokens']);
  const rows: CostRow[] = [];
  for (const key of values.models.split(',')) {
    const entry = BENCH_MODELS.find((m) => m.key === key);
    if (entry === undefined) throw new Error(`unknown model ${key} (known: ${BENCH_MODELS.map((m) => m.key).join(', ')})`);
    const tokenizer = await loadTokenizer(entry.dir());
    if (!tokenizer.ok) throw new Error(tokenizer.error.message);
    const timing = { ms: 0, calls: 0 };
    const factory = timedFactory(createTokenConstraintFactory({ tokenBytes: tokenizer.value.tokenBytes(), eosTokenIds: tokenizer.value.eosTokenIds }), timing);
    const model = await loadBenchModel(key);
    const runner = await createOrtModelRunner({
      model, device, numBlocks: workloadNumBlocks(model.config, Math.max(...concurrency), 2 + outputTokens), maskedPicks,
      ...(values.threads === undefined ? {} : { intraOpNumThreads: Number(values.threads) }),
    });
    if (!runner.ok) throw new Error(runner.error.message);
    try {
      rows.push(...await measure(entry.label, runner.value, factory, timing, concurrency, outputTokens, Number(values.rounds)));
    } finally {
      await runner.value.close();
    }
  }
  console.log('\n| model | concurrent | free tok/s | json-schema tok/s | ratio | tokens/request | mask ms per sequence-step |\n|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.concurrency} | ${r.freeTokensPerSecond.toFixed(1)} | ${r.constrainedTokensPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)}x | `
      + `${r.meanConstrainedTokens.toFixed(1)} | ${r.maskMsPerSequenceStep.toFixed(3)} |`);
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
