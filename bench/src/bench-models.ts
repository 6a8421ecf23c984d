// The models the runner-level bench scripts load by name: stories260K (real weights) and the
// SmolLM2-135M shape with seeded random weights (step time does not depend on weight values).

import {
  defaultModelDir, loadModel, loadModelConfig, randomLlamaWeights, smollm2ShapeDir, type GraphModel, type LlamaConfig,
} from '@mini-dynamo/model';

/** Each bench model's name (as --models takes it), label in reports and config folder. */
export const BENCH_MODELS = [
  { key: 'stories260k', label: 'stories260K', dir: defaultModelDir },
  { key: 'smollm2-random', label: 'SmolLM2-135M shape', dir: smollm2ShapeDir },
] as const;

type BenchModelKey = (typeof BENCH_MODELS)[number]['key'];

/** A bench model's config; throws naming the model when its folder does not load. */
export async function loadBenchConfig(key: BenchModelKey): Promise<LlamaConfig> {
  const entry = BENCH_MODELS.find((m) => m.key === key)!;
  const info = await loadModelConfig(entry.dir());
  if (!info.ok) throw new Error(`${entry.label}: ${info.error.message}`);
  return info.value.config;
}

const LOADERS: Record<string, () => Promise<GraphModel>> = {
  stories260k: async () => {
    const m = await loadModel(defaultModelDir());
    if (!m.ok) throw new Error(m.error.message);
    return m.value;
  },
  'smollm2-random': async () => {
    const config = await loadBenchConfig('smollm2-random');
    return { name: 'smollm2-135m-shape-random', config, weights: randomLlamaWeights(config, 1), contentHash: 'random-weights-seed-1' };
  },
};

export async function loadBenchModel(name: string): Promise<GraphModel> {
  const load = LOADERS[name];
  if (load === undefined) throw new Error(`unknown model ${name} (known: ${Object.keys(LOADERS).join(', ')})`);
  return load();
}
