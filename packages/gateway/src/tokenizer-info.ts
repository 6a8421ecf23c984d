// vLLM's GET /tokenizer_info body: the tokenizer's config (tokenizer_config.json: special tokens, model_max_length, …)
// without file paths, AddedToken objects reduced to their content, plus `tokenizer_class` and the chat template in use.
// Invariant: the loaded config is copied, never mutated.

import type { ModelTokenizer } from '@mini-dynamo/model';

/** Fields vLLM drops (file paths of the slow tokenizers). */
const PATH_FIELDS = new Set(['vocab_file', 'merges_file']);
/** The class name a config without one gets (what HF's AutoTokenizer loads a bare tokenizer.json as). */
const DEFAULT_TOKENIZER_CLASS = 'PreTrainedTokenizerFast';

/** As vLLM's TokenizerInfo.to_dict; model_max_length falls back to the served context length (maxModelLen). */
export function tokenizerInfo(tokenizer: ModelTokenizer, maxModelLen: number | null): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tokenizer.tokenizerConfig)) {
    if (!PATH_FIELDS.has(key)) config[key] = serializable(value);
  }
  if (config['model_max_length'] === undefined && maxModelLen !== null) config['model_max_length'] = maxModelLen;
  const tokenizerClass = config['tokenizer_class'];
  config['tokenizer_class'] = typeof tokenizerClass === 'string' ? tokenizerClass : DEFAULT_TOKENIZER_CLASS;
  config['chat_template'] = tokenizer.chatTemplateSource;
  return config;
}

/** vLLM's _make_json_serializable: an AddedToken ({content, …}) becomes its content; objects and arrays recurse. */
function serializable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(serializable);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record['content'] === 'string') return record['content'];
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, serializable(v)]));
}
