// Converts a llama2.c tokenizer (tok*.bin: SentencePiece BPE pieces + scores) to a Hugging Face tokenizer.json.
// Invariant: encoding with the result equals llama2.c's encode(): dummy-prefix space, byte fallback, then
// repeatedly merging the adjacent pair whose merged piece has the highest score (merges are ranked by that score).

import { fail } from './model-load-error.js';

export interface Llama2cVocab {
  maxTokenLength: number;
  /** Pieces in HF spelling: '▁' for space, '<unk>' / '<s>' / '</s>' for ids 0..2. */
  pieces: string[];
  scores: number[];
}

const SPECIAL_PIECES = ['<unk>', '<s>', '</s>'];

/** Parse tok*.bin; the file has no count, so tokens are read to EOF and checked against the checkpoint's vocab. */
export function parseLlama2cVocab(buf: Buffer, file: string, expectedVocabSize: number | null = null): Llama2cVocab {
  if (buf.length < 4) fail('invalid_model', `${file}: too short for a llama2.c tokenizer`);
  const maxTokenLength = buf.readInt32LE(0);
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4;
  while (offset < buf.length) {
    if (offset + 8 > buf.length) fail('invalid_model', `${file}: truncated at token ${pieces.length}`);
    const score = buf.readFloatLE(offset);
    const len = buf.readInt32LE(offset + 4);
    offset += 8;
    if (len < 0 || offset + len > buf.length) fail('invalid_model', `${file}: token ${pieces.length} has a bad length ${len}`);
    const raw = buf.toString('utf8', offset, offset + len);
    offset += len;
    const id = pieces.length;
    pieces.push(id < SPECIAL_PIECES.length ? SPECIAL_PIECES[id]! : raw.replaceAll(' ', '▁'));
    scores.push(score);
  }
  if (expectedVocabSize !== null && pieces.length !== expectedVocabSize) {
    fail('invalid_model', `${file}: ${pieces.length} tokens, but the checkpoint's vocab size is ${expectedVocabSize}`);
  }
  return { maxTokenLength, pieces, scores };
}

/** Every adjacent pair whose concatenation is a piece, best merged-piece score first (ties: lower id first). */
export function mergesByScore(vocab: Llama2cVocab): [string, string][] {
  const idOf = new Map(vocab.pieces.map((p, i) => [p, i] as const));
  const mergeable = vocab.pieces.map((p, i) => i >= SPECIAL_PIECES.length && !/^<0x[0-9A-F]{2}>$/.test(p));
  const found: { pair: [string, string]; id: number }[] = [];
  vocab.pieces.forEach((a, i) => {
    if (!mergeable[i]) return;
    vocab.pieces.forEach((b, j) => {
      if (!mergeable[j]) return;
      const id = idOf.get(a + b);
      if (id !== undefined && mergeable[id]) found.push({ pair: [a, b], id });
    });
  });
  found.sort((x, y) => vocab.scores[y.id]! - vocab.scores[x.id]! || x.id - y.id);
  return found.map((f) => f.pair);
}

const added = (id: number, content: string) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
});

/** tokenizer.json in the Llama-2 (legacy SentencePiece) shape: Prepend+Replace normalizer, BPE byte_fallback. */
export function llama2cTokenizerJson(vocab: Llama2cVocab): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_PIECES.map((p, i) => added(i, p)),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab.pieces.map((p, i) => [p, i])),
      merges: mergesByScore(vocab),
    },
  };
}

/** tokenizer_config.json for a converted llama2.c tokenizer (no chat template: the fallback applies). */
export function llama2cTokenizerConfig(): object {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: 512,
    tokenizer_class: 'LlamaTokenizer',
  };
}
