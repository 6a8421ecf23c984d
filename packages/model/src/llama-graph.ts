// The Llama-family step graph: one ONNX graph computes a whole scheduler step (packed prefill chunks and
// decode tokens over a paged KV pool). Standard ONNX ops only (opset 17) so CPU and CUDA EPs run it alike.
//
// Inputs (T new tokens, S logits rows: one per sampled sequence plus prompt-logprobs positions, two attention groups g ∈ {single, multi}):
//   input_ids [T] i32, positions [T] i32, kv_cache [2L*Hkv*numBlocks, blockSize, D] f32 (block row
//   ((2l+kv)*Hkv + h)*numBlocks + block), g_q_index [B,Q] i32 (token index of each query), g_past_blocks [B,NB] i32
//   (pool block of each whole block of past positions, P = NB*blockSize keys; the mask hides the block tails),
//   g_mask [B,Q,P+Q] f32 additive (0 or -1e9), out_index [T] i32 (row of token t in concat(single, multi)),
//   logits_index [S] i32, sample_rows [R] i32 (logits rows picked in the graph), inv_temperature [R] f32, uniform [R] f32,
//   allowed_mask [R, 4*ceil(vocab/32)] u8 (each row's TokenConstraint mask words as little-endian bytes: bit j of
//   byte k allows token 8k+j; all ones = no mask; vocab/8 bytes a row, vs 4*vocab for an additive bias).
//   Outputs: logits [S, vocab], new_kv [2L, T, Hkv*D] (rotated K, V of the new tokens),
//   greedy_ids [S] i32 (ArgMax of each logits row, first index on ties like sampler.argmax: fetching it instead of
//   logits keeps the S*vocab floats on the device), masked rows = row sample_rows[r] with -inf where allowed_mask[r]
//   is clear (logits + 0 elsewhere: bit-exact), sampled_greedy_ids [R] i32 (ArgMax of each masked row, first index on
//   ties), sampled_ids [Rs] i32 (temperature sampling of the masked rows sampled_rows [Rs] i32: the first i whose cumulative
//   exp((row − max)·inv_temperature) exceeds uniform·total, sampler.drawIndex's rule, but in float32: a draw within
//   float32 rounding of a CDF boundary may pick the neighbouring token; min_p [R] zeroes weights below it),
//   top_k_ids [Rk] / top_p_ids [Rp] i32 (top-k / min-p / top-p draws of the picked rows top_k_rows [Rk] / top_p_rows
//   [Rp] i32: TopK over the columns a row can keep, kept while rank < top_k [R] i32, weight ≥ min_p and inside the
//   top_p [R] nucleus, drawn in sorted order as sampler.sampleToken does).
//   ORT runs every node whatever is fetched: R rows (not S) keep the sampling cost off steps that do not use it.

import type { LlamaConfig } from './llama-config.js';
import type { LlamaLayerWeights, LlamaWeights } from './llama-weights.js';
import { ElemType, GraphBuilder } from './onnx-builder.js';
import { addGraphPicks } from './graph-pick-ops.js';
import { ropeInverseFrequencies } from './rope-frequencies.js';

/** Bump whenever the graph's inputs, outputs or computation change: invalidates cached .onnx files. */
export const LLAMA_GRAPH_VERSION = 16;
export const ATTENTION_GROUPS = ['single', 'multi'] as const;
export type AttentionGroup = (typeof ATTENTION_GROUPS)[number];
export const MASKED = -1e9;

export interface LlamaGraphSpec {
  name: string;
  config: LlamaConfig;
  weights: LlamaWeights;
  /** Positions the RoPE tables cover. */
  maxModelLen: number;
}

/** cos and signed-sin tables [maxLen, headDim] for rotate-half RoPE: x*cos + concat(x2, x1)*sin. */
export function ropeTables(config: LlamaConfig, maxLen: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInverseFrequencies(config);
  const d = config.headDim, half = d / 2;
  const cos = new Float32Array(maxLen * d), sin = new Float32Array(maxLen * d);
  for (let p = 0; p < maxLen; p++) {
    for (let j = 0; j < half; j++) {
      const angle = p * inv[j]!;
      const c = Math.cos(angle), s = Math.sin(angle);
      cos[p * d + j] = c; cos[p * d + half + j] = c;
      sin[p * d + j] = -s; sin[p * d + half + j] = s;
    }
  }
  return { cos, sin };
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

interface GroupTensors { qIndex: string; pastBlocks: string; mask: string }

/** Graph values every layer's attention reads. */
interface StepTensors {
  rope: { cos: string; sin: string };
  kvCache: string;
  groups: Map<AttentionGroup, GroupTensors>;
  headSlots: Map<AttentionGroup, string>;
  masks: Map<AttentionGroup, string>;
  outIndex: string;
}

class LlamaGraph {
  readonly g: GraphBuilder;
  private readonly c: LlamaConfig;
  private readonly qDim: number;
  private readonly kvDim: number;
  private readonly groupSize: number;
  private swapMatrix: string | null = null;

  constructor(private readonly spec: LlamaGraphSpec) {
    this.c = spec.config;
    this.g = new GraphBuilder(`${spec.name}-step-v${LLAMA_GRAPH_VERSION}`);
    this.qDim = this.c.numHeads * this.c.headDim;
    this.kvDim = this.c.numKvHeads * this.c.headDim;
    this.groupSize = this.c.numHeads / this.c.numKvHeads;
  }

  build(): GraphBuilder {
    const { g, c, spec } = this;
    const I = ElemType.Int32;
    const inputIds = g.input('input_ids', I, ['T']);
    const positions = g.input('positions', I, ['T']);
    const kvCache = g.input('kv_cache', ElemType.Float, ['kv_block_rows', 'block_size', c.headDim]);
    const groups = this.groupInputs();
    const outIndex = g.input('out_index', I, ['T']);
    const logitsIndex = g.input('logits_index', I, ['S']);
    const rope = this.ropeAt(positions);
    const { numBlocks32, headSlots, masks } = this.poolIndexing(kvCache, groups);
    const step: StepTensors = { rope, kvCache, groups, headSlots, masks, outIndex };

    let x = g.op('Gather', [g.initializer('embed_tokens', spec.weights.embedTokens, [c.vocabSize, c.hiddenSize]), inputIds], { axis: 0 });
    const newKv: string[] = [];
    spec.weights.layers.forEach((w, l) => {
      const slabOffset = (kv: number) =>
        g.op('Mul', [numBlocks32, g.initializer(`kv_slab_${l}_${kv}`, Int32Array.of((2 * l + kv) * c.numKvHeads), [1])]);
      const { k, v, attn } = this.attention(w, l, x, step, { offK: slabOffset(0), offV: slabOffset(1) });
      newKv.push(g.op('Unsqueeze', [k, g.int64([0])]), g.op('Unsqueeze', [v, g.int64([0])]));
      x = g.op('Add', [x, attn]);
      x = g.op('Add', [x, this.mlp(w, l, x)]);
    });
    g.op('Concat', newKv, { axis: 0 }, 'new_kv');
    const last = g.op('Gather', [x, logitsIndex], { axis: 0 });
    const normed = this.rmsNorm(last, g.initializer('final_norm', spec.weights.finalNorm, [c.hiddenSize]));
    const head = spec.weights.lmHead === null ? 'embed_tokens' : g.initializer('lm_head', spec.weights.lmHead, [c.vocabSize, c.hiddenSize]);
    const logits = g.op('Gemm', [normed, head], { transB: 1 }, 'logits');
    const argmax = g.op('ArgMax', [logits], { axis: -1, keepdims: 0, select_last_index: 0 });
    g.op('Cast', [argmax], { to: ElemType.Int32 }, 'greedy_ids');
    addGraphPicks(g, logits, c.vocabSize);
    g.output('logits', ElemType.Float, ['S', c.vocabSize]);
    g.output('new_kv', ElemType.Float, [2 * c.numLayers, 'T', this.kvDim]);
    g.output('greedy_ids', ElemType.Int32, ['S']);
    return g;
  }

  private groupInputs(): Map<AttentionGroup, GroupTensors> {
    const { g } = this;
    const groups = new Map<AttentionGroup, GroupTensors>();
    for (const name of ATTENTION_GROUPS) {
      groups.set(name, {
        qIndex: g.input(`${name}_q_index`, ElemType.Int32, [`${name}_B`, `${name}_Q`]),
        pastBlocks: g.input(`${name}_past_blocks`, ElemType.Int32, [`${name}_B`, `${name}_NB`]),
        mask: g.input(`${name}_mask`, ElemType.Float, [`${name}_B`, `${name}_Q`, `${name}_K`]),
      });
    }
    return groups;
  }

  /** cos / signed sin rows of each new token's position, shaped [T, 1, D] to broadcast over heads. */
  private ropeAt(positions: string): { cos: string; sin: string } {
    const { g, c, spec } = this;
    const tables = ropeTables(c, spec.maxModelLen);
    const row = (name: string, table: Float32Array) => g.op('Unsqueeze', [
      g.op('Gather', [g.initializer(name, table, [spec.maxModelLen, c.headDim]), positions], { axis: 0 }), g.int64([1])]);
    return { cos: row('rope_cos', tables.cos), sin: row('rope_sin', tables.sin) };
  }

  /** numBlocks (from the pool input's shape), per-group head-major past block rows [Hkv,B,NB] and tiled masks. */
  private poolIndexing(kvCache: string, groups: Map<AttentionGroup, GroupTensors>) {
    const { g, c } = this;
    const numSlabs = 2 * c.numLayers * c.numKvHeads;
    const numBlocks = g.op('Div', [g.op('Gather', [g.op('Shape', [kvCache]), g.int64([0])], { axis: 0 }), g.int64([numSlabs])]);
    const numBlocks32 = g.op('Cast', [numBlocks], { to: ElemType.Int32 });
    const headRange = g.initializer('kv_head_range', Int32Array.from({ length: c.numKvHeads }, (_, h) => h), [c.numKvHeads, 1, 1]);
    const headBase = g.op('Mul', [headRange, numBlocks32]);
    const masks = new Map<AttentionGroup, string>();
    const headSlots = new Map<AttentionGroup, string>();
    for (const [name, t] of groups) {
      // [B,Q,K] -> [1,B,G*Q,K]: row g*Q+q of a KV head's query block is query q of head group g.
      const tiled = g.op('Tile', [t.mask, g.int64([1, this.groupSize, 1])]);
      masks.set(name, g.op('Unsqueeze', [tiled, g.int64([0])]));
      // [Hkv,B,NB]: pool block row of each past block in head h's slab of layer 0 keys (slab offsets added per layer).
      headSlots.set(name, g.op('Add', [g.op('Unsqueeze', [t.pastBlocks, g.int64([0])]), headBase]));
    }
    return { numBlocks32, headSlots, masks };
  }

  private rmsNorm(x: string, weight: string): string {
    const { g } = this;
    // Pow → ReduceMean → Add → Sqrt → Div → Mul: the pattern ORT fuses into one SimplifiedLayerNormalization.
    const ms = g.op('ReduceMean', [g.op('Pow', [x, g.float([2])])], { axes: [-1], keepdims: 1 });
    const denom = g.op('Sqrt', [g.op('Add', [ms, g.float([this.c.rmsNormEps])])]);
    return g.op('Mul', [g.op('Div', [x, denom]), weight]);
  }

  private linear(x: string, name: string, weight: Float32Array, rows: number, bias: Float32Array | null = null): string {
    const w = this.g.initializer(name, weight, [rows, weight.length / rows]);
    const inputs = bias === null ? [x, w] : [x, w, this.g.initializer(`${name}_bias`, bias, [rows])];
    return this.g.op('Gemm', inputs, { transB: 1 });
  }

  private rotate(x: string, numHeads: number, rope: { cos: string; sin: string }): string {
    const { g } = this;
    const d = this.c.headDim;
    const heads = g.op('Reshape', [x, g.int64([-1, numHeads, d])]);
    const out = g.op('Add', [g.op('Mul', [heads, rope.cos]), g.op('Mul', [this.swapHalves(heads), rope.sin])]);
    return g.op('Reshape', [out, g.int64([-1, numHeads * d])]);
  }

  /**
   * concat(x2, x1) of each head [.., d] (exact either way). An element-wise Gather on the last axis costs ~4x
   * more: small heads use one GEMM with a [d,d] permutation matrix, larger ones a reversed Slice over the halves.
   */
  private swapHalves(heads: string): string {
    const { g } = this;
    const d = this.c.headDim, half = d / 2;
    if (d <= 16) {
      if (this.swapMatrix === null) {
        const perm = new Float32Array(d * d);
        for (let j = 0; j < d; j++) perm[((j + half) % d) * d + j] = 1;
        this.swapMatrix = g.initializer('rope_swap', perm, [d, d]);
      }
      return g.op('MatMul', [heads, this.swapMatrix]);
    }
    const pairs = g.op('Reshape', [heads, g.int64([0, 0, 2, half])]);
    const reversed = g.op('Slice', [pairs, g.int64([-1]), g.int64([Number.MIN_SAFE_INTEGER]), g.int64([2]), g.int64([-1])]);
    return g.op('Reshape', [reversed, g.int64([0, 0, d])]);
  }

  private attention(w: LlamaLayerWeights, l: number, x: string, step: StepTensors, offsets: { offK: string; offV: string }): { k: string; v: string; attn: string } {
    const { g, c, qDim, kvDim } = this;
    const h = this.rmsNorm(x, g.initializer(`l${l}_input_norm`, w.inputNorm, [c.hiddenSize]));
    const bias = w.qBias === null ? null : concatRows([w.qBias, w.kBias!, w.vBias!]);
    const qkv = this.linear(h, `l${l}_qkv`, concatRows([w.q, w.k, w.v]), qDim + 2 * kvDim, bias);
    const [q0, k0, v] = g.opN('Split', [qkv, g.int64([qDim, kvDim, kvDim])], 3, { axis: 1 });
    const q = g.op('Mul', [this.rotate(q0!, c.numHeads, step.rope), g.float([1 / Math.sqrt(c.headDim)])]);
    const k = this.rotate(k0!, c.numKvHeads, step.rope);
    const rows: string[] = [];
    for (const [name, t] of step.groups) {
      rows.push(this.groupAttention(q, k, v!, step.kvCache, offsets, t, step.headSlots.get(name)!, step.masks.get(name)!));
    }
    const packed = g.op('Gather', [g.op('Concat', rows, { axis: 0 }), step.outIndex], { axis: 0 });
    return { k, v: v!, attn: this.linear(packed, `l${l}_o`, w.o, c.hiddenSize) };
  }

  /**
   * Attention of one group's padded [B,Q] queries over [B, P past + Q new] keys; returns rows [B*Q, qDim].
   * Batched over [Hkv, B]: the head-major pool gathers whole blocks (blockSize·D contiguous floats per index,
   * not one D-float row per token) straight into [Hkv,B,P,D]; scores are q·Kᵀ with the K transpose fused into the
   * GEMM by ORT, so element-wise transposes touch only Q-sized tensors, never the K-sized ones.
   */
  private groupAttention(
    q: string, k: string, v: string, kvCache: string, offsets: { offK: string; offV: string },
    t: GroupTensors, headSlots: string, mask: string,
  ): string {
    const { g, c, groupSize: G } = this;
    const D = c.headDim, Hkv = c.numKvHeads;
    const past = (off: string) => g.op('Reshape', // [Hkv,B,NB,bs,D] -> [Hkv,B,P,D]
      [g.op('Gather', [kvCache, g.op('Add', [headSlots, off])], { axis: 0 }), g.int64([0, 0, -1, D])]);
    const pastK = past(offsets.offK), pastV = past(offsets.offV);
    const newHeads = (x: string) => g.op('Transpose',
      [g.op('Reshape', [g.op('Gather', [x, t.qIndex], { axis: 0 }), g.int64([0, 0, Hkv, D])])], { perm: [2, 0, 1, 3] });
    const keys = g.op('Concat', [pastK, newHeads(k)], { axis: 2 }); // [Hkv,B,K,D]
    const vals = g.op('Concat', [pastV, newHeads(v)], { axis: 2 });
    const qg = g.op('Reshape', [g.op('Gather', [q, t.qIndex], { axis: 0 }), g.int64([0, 0, Hkv, G, D])]); // [B,Q,Hkv,G,D]
    const qh = g.op('Reshape', [g.op('Transpose', [qg], { perm: [2, 0, 3, 1, 4] }), g.int64([0, 0, -1, D])]); // [Hkv,B,G*Q,D]
    // q·Kᵀ: ORT fuses Transpose+MatMul into one FusedMatMul(transB) (no K-sized copy); ~2x faster than K·qᵀ
    // followed by a scores transpose for the batched tiny GEMMs of decode (few query rows per [head, seq]).
    const scores = g.op('Add', [g.op('MatMul', [qh, g.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]), mask]); // [Hkv,B,G*Q,K]
    const out = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vals]); // [Hkv,B,G*Q,D]
    const split = g.op('Reshape', [out, g.int64([0, 0, G, -1, D])]); // [Hkv,B,G,Q,D]
    const perm = g.op('Transpose', [split], { perm: [1, 3, 0, 2, 4] }); // [B,Q,Hkv,G,D]
    return g.op('Reshape', [perm, g.int64([-1, this.qDim])]);
  }

  private mlp(w: LlamaLayerWeights, l: number, x: string): string {
    const { g, c } = this;
    const h = this.rmsNorm(x, g.initializer(`l${l}_post_norm`, w.postAttentionNorm, [c.hiddenSize]));
    const gu = this.linear(h, `l${l}_gate_up`, concatRows([w.gate, w.up]), 2 * c.intermediateSize);
    const [gate, up] = g.opN('Split', [gu, g.int64([c.intermediateSize, c.intermediateSize])], 2, { axis: 1 });
    const act = g.op('Mul', [g.op('Mul', [gate!, g.op('Sigmoid', [gate!])]), up!]);
    return this.linear(act, `l${l}_down`, w.down, c.hiddenSize);
  }
}

/** Builds the step graph of a Llama-family model (weights become initializers). */
export function buildLlamaGraph(spec: LlamaGraphSpec): GraphBuilder {
  return new LlamaGraph(spec).build();
}
