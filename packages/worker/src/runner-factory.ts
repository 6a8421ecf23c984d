// Builds the ModelRunner a worker serves with: ONNX Runtime over the model folder's weights, or
// the engine's MockRunner shaped like that model (same vocab, EOS ids and context length).
// Expected failures (missing files, graph build, CUDA absent) are Results, not throws.

import { MockRunner } from '@mini-dynamo/engine';
import { createOrtModelRunner, loadModel, loadModelConfig } from '@mini-dynamo/model';
import { err, ok, type ModelRunner, type Result } from '@mini-dynamo/protocol';
import type { WorkerOptions } from './worker-options.js';

const DEFAULT_MOCK_NUM_BLOCKS = 2048;

export interface RunnerBuildError {
  code: string;
  message: string;
}

export async function createRunner(options: WorkerOptions, onProgress: (message: string) => void): Promise<Result<ModelRunner, RunnerBuildError>> {
  return options.runner === 'mock' ? createMock(options) : createOrt(options, onProgress);
}

async function createMock(options: WorkerOptions): Promise<Result<ModelRunner, RunnerBuildError>> {
  const loaded = await loadModelConfig(options.modelDir);
  if (!loaded.ok) return err(loaded.error);
  const { name, config } = loaded.value;
  return ok(new MockRunner({
    info: {
      modelName: name,
      blockSize: options.blockSize,
      numBlocks: options.numBlocks ?? DEFAULT_MOCK_NUM_BLOCKS,
      maxModelLen: options.maxModelLen ?? config.maxPositionEmbeddings,
      vocabSize: config.vocabSize,
      eosTokenIds: config.eosTokenIds,
    },
    speedup: options.mockSpeedup,
  }));
}

async function createOrt(options: WorkerOptions, onProgress: (message: string) => void): Promise<Result<ModelRunner, RunnerBuildError>> {
  onProgress(`loading weights from ${options.modelDir}`);
  const model = await loadModel(options.modelDir);
  if (!model.ok) return err(model.error);
  onProgress(`loaded ${model.value.name} (${model.value.config.numLayers} layers, vocab ${model.value.config.vocabSize})`);
  const trained = model.value.config.maxPositionEmbeddings;
  if (options.maxModelLen !== undefined && options.maxModelLen > trained) {
    // Like vLLM: positions past the trained context give garbage, so refuse instead of serving it.
    return err({ code: 'invalid_options', message: `max model len ${options.maxModelLen} exceeds ${model.value.name}'s trained context of ${trained} tokens (max_position_embeddings / seq_len)` });
  }
  return createOrtModelRunner({
    model: model.value,
    blockSize: options.blockSize,
    device: options.device,
    onProgress,
    numBlocks: options.numBlocks,
    maxModelLen: options.maxModelLen,
    intraOpNumThreads: options.intraOpNumThreads,
  });
}
