// The tokenizer a served model uses: @huggingface/tokenizers over tokenizer.json (HF folders) or over the
// tokenizer.json converted from a llama2.c tok*.bin. Invariant: ids are the model's ids; text is never broken UTF-8.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { Result } from '@mini-dynamo/protocol';
import { ChatTemplate, chatTemplateSource, FALLBACK_CHAT_TEMPLATE, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { IncrementalDetokenizer } from './incremental-detokenizer.js';
import { computeTokenBytes, pieceEncodingOf, tokenTextOf, type PieceEncoding } from './token-texts.js';
import { hfSpecialTokenIds } from './hf-config.js';
import { readJson, readJsonIfPresent, type Json } from './json-file.js';
import { llama2cTokenizerConfig, llama2cTokenizerJson, parseLlama2cVocab } from './llama2c-tokenizer.js';
import { detectFormat, llama2cFiles } from './load-model.js';
import { readLlama2cHeader } from './llama2c-loader.js';
import { catchModelLoad, fail, type ModelLoadError } from './model-load-error.js';

export interface ModelTokenizer {
  /** Number of ids the tokenizer can produce (max id + 1, added tokens included). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  /** Whether the chat template is the model's own (false: FALLBACK_CHAT_TEMPLATE). */
  readonly hasChatTemplate: boolean;
  /** The chat template source in use (the model's own, else FALLBACK_CHAT_TEMPLATE). */
  readonly chatTemplateSource: string;
  /** tokenizer_config.json as loaded (llama2.c: the equivalent this loader builds); never mutated. */
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  /** addSpecialTokens (default true) applies tokenizer.json's post-processor (e.g. a leading BOS). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** skipSpecialTokens defaults to true (what an OpenAI client sees). */
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** addGenerationPrompt defaults to true; `tools` reach templates that render them. */
  applyChatTemplate(messages: ChatMessage[], opts?: ChatTemplateOptions): string;
  /** Render + encode a chat, adding BOS only when the template did not already write it. */
  encodeChat(messages: ChatMessage[], opts?: ChatTemplateOptions): number[];
  /** Streaming detokenizer (special tokens skipped); prompt ids give the first output token its left context. */
  createDetokenizer(promptTokenIds?: readonly number[]): IncrementalDetokenizer;
  /**
   * tokenTexts()[id]: the text id contributes after other text (structured outputs); null for special tokens and
   * partial-UTF-8 tokens. A detokenizer fed non-null ids emits exactly the concatenation of their texts.
   */
  tokenTexts(): (string | null)[];
  /**
   * tokenBytes()[id]: the UTF-8 bytes id contributes after other output (byte-fallback `<0xNN>` and partial
   * byte-level tokens included); null for special tokens. A detokenizer fed non-null ids emits exactly the UTF-8
   * decoding of their concatenated bytes. tokenTexts() is derived from it.
   */
  tokenBytes(): (Uint8Array | null)[];
}

/** A special-token entry of tokenizer_config.json: a string or an AddedToken object. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json)['content'] === 'string') return (v as Json)['content'];
  return null;
}

export interface TokenizerSources {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  /** Ids from config.json / generation_config.json (null when the folder has none). */
  modelBosTokenId: number | null;
  modelEosTokenIds: number[];
  /** chat_template.jinja, when the folder keeps the template in its own file. */
  chatTemplateFile: string | null;
}

export class HfModelTokenizer implements ModelTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  readonly hasChatTemplate: boolean;
  readonly chatTemplateSource: string;
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  private readonly tokenizer: Tokenizer;
  private readonly chat: ChatTemplate;
  private readonly bosToken: string | null;
  private readonly pieceEncoding: PieceEncoding;
  private cachedTokenBytes: (Uint8Array | null)[] | null = null;

  constructor(src: TokenizerSources) {
    this.tokenizer = new Tokenizer(src.tokenizerJson, src.tokenizerConfig);
    this.pieceEncoding = pieceEncodingOf(src.tokenizerJson);
    const vocab = this.tokenizer.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    this.bosToken = tokenContent(src.tokenizerConfig['bos_token']);
    const eosToken = tokenContent(src.tokenizerConfig['eos_token']);
    this.bosTokenId = src.modelBosTokenId ?? (this.bosToken === null ? null : this.tokenizer.token_to_id(this.bosToken) ?? null);
    const eosFromConfig = eosToken === null ? undefined : this.tokenizer.token_to_id(eosToken);
    this.eosTokenIds = [...new Set([...src.modelEosTokenIds, ...(eosFromConfig === undefined ? [] : [eosFromConfig])])];
    const source = src.chatTemplateFile ?? chatTemplateSource(src.tokenizerConfig['chat_template']);
    this.hasChatTemplate = source !== null;
    this.chatTemplateSource = source ?? FALLBACK_CHAT_TEMPLATE;
    this.tokenizerConfig = src.tokenizerConfig;
    this.chat = new ChatTemplate(this.chatTemplateSource, { bosToken: this.bosToken, eosToken });
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? true, clean_up_tokenization_spaces: false });
  }

  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
    return this.chat.render(messages, opts);
  }

  encodeChat(messages: ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
    const text = this.applyChatTemplate(messages, opts);
    const hasBos = this.bosToken !== null && this.bosToken !== '' && text.startsWith(this.bosToken);
    return this.encode(text, { addSpecialTokens: !hasBos });
  }

  createDetokenizer(promptTokenIds: readonly number[] = []): IncrementalDetokenizer {
    return new IncrementalDetokenizer((ids) => this.decode(ids), promptTokenIds);
  }

  tokenTexts(): (string | null)[] {
    return this.tokenBytes().map(tokenTextOf);
  }

  tokenBytes(): (Uint8Array | null)[] {
    this.cachedTokenBytes ??= computeTokenBytes({
      vocabSize: this.vocabSize,
      decode: (ids) => this.decode(ids),
      specialIds: new Set([...this.tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id)),
      anchorId: this.encode('a', { addSpecialTokens: false }).at(-1) ?? 0,
      idToToken: (id) => this.tokenizer.id_to_token(id),
      pieceEncoding: this.pieceEncoding,
    });
    return this.cachedTokenBytes.map((b) => (b === null ? null : b.slice()));
  }
}

async function hfSources(dir: string): Promise<TokenizerSources> {
  const tokenizerJson = await readJson(join(dir, 'tokenizer.json'));
  const config = (await readJsonIfPresent(join(dir, 'config.json'))) ?? {};
  const ids = hfSpecialTokenIds(config, await readJsonIfPresent(join(dir, 'generation_config.json')));
  const templatePath = join(dir, 'chat_template.jinja');
  return {
    tokenizerJson,
    tokenizerConfig: (await readJsonIfPresent(join(dir, 'tokenizer_config.json'))) ?? {},
    modelBosTokenId: ids.bosTokenId,
    modelEosTokenIds: ids.eosTokenIds,
    chatTemplateFile: existsSync(templatePath) ? await readFile(templatePath, 'utf8') : null,
  };
}

async function llama2cSources(dir: string): Promise<TokenizerSources> {
  const files = llama2cFiles(dir)!;
  if (files.tokenizer === null) fail('missing_file', `${dir}: no llama2.c tokenizer (tok*.bin) beside ${files.checkpoint}`);
  const header = await readLlama2cHeader(join(dir, files.checkpoint), files.checkpoint);
  const vocab = parseLlama2cVocab(await readFile(join(dir, files.tokenizer)), files.tokenizer, header.vocabSize);
  return {
    tokenizerJson: llama2cTokenizerJson(vocab),
    tokenizerConfig: llama2cTokenizerConfig(),
    modelBosTokenId: 1,
    modelEosTokenIds: [2],
    chatTemplateFile: null,
  };
}

/** The tokenizer of a model folder (HF: tokenizer.json [+ tokenizer_config.json]; llama2.c: tok*.bin). */
export function loadTokenizer(dir: string): Promise<Result<ModelTokenizer, ModelLoadError>> {
  return catchModelLoad(`the tokenizer of ${dir}`, async () => {
    const abs = resolve(dir);
    return new HfModelTokenizer(detectFormat(abs) === 'hf' ? await hfSources(abs) : await llama2cSources(abs));
  });
}
