// The models the runner-level bench scripts load by name: stories260K (real weights) and the
// SmolLM2-135M shape with seeded random weights (step time does not depend on weight values).

import {
  defaultModelDir, loadModel, loadModelConfig, randomLlamaWeights, smollm2ShapeDir, type GraphModel,
} from '@mini-dynamo/model';

const BENCH_MODELS: Record<string, () => Promise<GraphModel>> = {
  stories260k: async () => {
    const m = await loadModel(defaultModelDir());
    if (!m.ok) throw new Error(m.error.message);
    return m.value;
  },
  'smollm2-random': async () => {
    const info = await loadModelConfig(smollm2ShapeDir());
    if (!info.ok) throw new Error(info.error.message);
    const config = info.value.config;
    return { name: 'smollm2-135m-shape-random', config, weights: randomLlamaWeights(config, 1), contentHash: 'random-weights-seed-1' };
  },
};

export async function loadBenchModel(name: string): Promise<GraphModel> {
  const load = BENCH_MODELS[name];
  if (load === undefined) throw new Error(`unknown model ${name} (known: ${Object.keys(BENCH_MODELS).join(', ')})`);
  return load();
}
