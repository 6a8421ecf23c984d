# A minimal fp32 Llama in plain PyTorch (stdlib + torch 1.13 or 2.x): the PyTorch baseline for issue 9.
# Invariants: one RoPE (rotate-half; llama2.c wq/wk rows are permuted on load, as HF's converter and
# packages/model/src/llama2c-loader.ts do); KV cache preallocated [layers, B, Hkv, maxLen, D]; every decode step
# has static shapes (position is a device tensor, attention masks the whole cache), so it can be a CUDA graph.

import json
import math
import os
import struct

import torch
import torch.nn.functional as F


class LlamaShape:
    """The shape of a Llama-family model (names follow packages/model's LlamaConfig)."""

    def __init__(self, hidden_size, intermediate_size, num_layers, num_heads, num_kv_heads, vocab_size,
                 rope_theta, rms_norm_eps, max_positions, tie_word_embeddings):
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = hidden_size // num_heads
        self.vocab_size = vocab_size
        self.rope_theta = rope_theta
        self.rms_norm_eps = rms_norm_eps
        self.max_positions = max_positions
        self.tie_word_embeddings = tie_word_embeddings

    @property
    def kv_bytes_per_token(self):
        return 2 * self.num_layers * self.num_kv_heads * self.head_dim * 4


def permute_interleaved_to_half(w, num_heads, head_dim):
    """Rows of [num_heads*head_dim, cols]: new row (p*half + j) of a head takes old row (2j + p)."""
    cols = w.shape[1]
    return w.view(num_heads, head_dim // 2, 2, cols).transpose(1, 2).reshape(num_heads * head_dim, cols)


def load_llama2c(path):
    """stories260K-style legacy llama2.c checkpoint -> (shape, weights dict) on the CPU, rotate-half layout."""
    with open(path, 'rb') as f:
        data = f.read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack('<7i', data[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    shape = LlamaShape(dim, hidden, n_layers, n_heads, n_kv, vocab, 10000.0, 1e-5, seq_len, shared)
    flat = torch.frombuffer(bytearray(data[28:]), dtype=torch.float32)
    hd = shape.head_dim
    offset = [0]

    def take(*dims):
        n = 1
        for d in dims:
            n *= d
        t = flat[offset[0]:offset[0] + n].view(*dims).clone()
        offset[0] += n
        return t

    emb = take(vocab, dim)
    att_norm = take(n_layers, dim)
    wq = take(n_layers, n_heads * hd, dim)
    wk = take(n_layers, n_kv * hd, dim)
    wv = take(n_layers, n_kv * hd, dim)
    wo = take(n_layers, dim, n_heads * hd)
    ffn_norm = take(n_layers, dim)
    w1 = take(n_layers, hidden, dim)
    w2 = take(n_layers, dim, hidden)
    w3 = take(n_layers, hidden, dim)
    final_norm = take(dim)
    offset[0] += seq_len * hd  # legacy freq_cis_real + freq_cis_imag (seq_len x head_dim/2 each): unused
    lm_head = None if shared else take(vocab, dim)
    if offset[0] != flat.numel():
        raise ValueError('%s: %d unexpected trailing floats' % (path, flat.numel() - offset[0]))
    layers = [{
        'input_norm': att_norm[l], 'q': permute_interleaved_to_half(wq[l], n_heads, hd),
        'k': permute_interleaved_to_half(wk[l], n_kv, hd), 'v': wv[l], 'o': wo[l],
        'post_norm': ffn_norm[l], 'gate': w1[l], 'up': w3[l], 'down': w2[l],
    } for l in range(n_layers)]
    return shape, {'embed': emb, 'layers': layers, 'final_norm': final_norm, 'lm_head': lm_head}


def shape_from_hf_config(path):
    with open(path) as f:
        c = json.load(f)
    if c.get('rope_scaling') is not None:
        raise ValueError('%s: rope_scaling is not supported by this baseline' % path)
    return LlamaShape(c['hidden_size'], c['intermediate_size'], c['num_hidden_layers'], c['num_attention_heads'],
                      c.get('num_key_value_heads', c['num_attention_heads']), c['vocab_size'],
                      float(c.get('rope_theta', 10000.0)), float(c.get('rms_norm_eps', 1e-5)),
                      c.get('max_position_embeddings', 2048), bool(c.get('tie_word_embeddings', False)))


def random_weights(shape, seed=1, scale=0.02):
    """Seeded random weights (normal * scale, norms = 1) drawn on the CPU, so every device gets the same values."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    h, i, hd = shape.hidden_size, shape.intermediate_size, shape.head_dim

    def rnd(*dims):
        return torch.randn(*dims, generator=gen) * scale

    layers = [{
        'input_norm': torch.ones(h), 'q': rnd(shape.num_heads * hd, h), 'k': rnd(shape.num_kv_heads * hd, h),
        'v': rnd(shape.num_kv_heads * hd, h), 'o': rnd(h, shape.num_heads * hd), 'post_norm': torch.ones(h),
        'gate': rnd(i, h), 'up': rnd(i, h), 'down': rnd(h, i),
    } for _ in range(shape.num_layers)]
    lm_head = None if shape.tie_word_embeddings else rnd(shape.vocab_size, h)
    return {'embed': rnd(shape.vocab_size, h), 'layers': layers, 'final_norm': torch.ones(h), 'lm_head': lm_head}


def count_params(weights):
    n = weights['embed'].numel() + weights['final_norm'].numel()
    n += sum(t.numel() for layer in weights['layers'] for t in layer.values())
    if weights['lm_head'] is not None:
        n += weights['lm_head'].numel()
    return n


class KvCache:
    """Preallocated K and V [layers, B, Hkv, maxLen, D] plus the RoPE tables and key positions for maxLen.
    Owned by one decoder: a captured CUDA graph keeps pointing at these tensors."""

    def __init__(self, shape, batch, max_len, device):
        dims = (shape.num_layers, batch, shape.num_kv_heads, max_len, shape.head_dim)
        self.k = torch.zeros(dims, device=device)
        self.v = torch.zeros(dims, device=device)
        self.key_index = torch.arange(max_len, device=device)
        inv = 1.0 / (shape.rope_theta ** (torch.arange(0, shape.head_dim, 2, dtype=torch.float64) / shape.head_dim))
        angles = torch.arange(max_len, dtype=torch.float64)[:, None] * inv[None, :]
        self.cos = torch.cat([angles.cos(), angles.cos()], -1).float().to(device)  # [max_len, D]
        self.sin = torch.cat([angles.sin(), angles.sin()], -1).float().to(device)


class TorchLlama:
    """forward(tokens [B,T], pos [1], cache) writes cache positions pos..pos+T-1 and attends causally."""

    def __init__(self, shape, weights, device):
        self.shape = shape
        self.device = torch.device(device)
        mv = lambda t: t.to(self.device, torch.float32).contiguous()
        self.embed = mv(weights['embed'])
        self.layers = [{k: mv(v) for k, v in layer.items()} for layer in weights['layers']]
        self.final_norm = mv(weights['final_norm'])
        self.lm_head = self.embed if weights['lm_head'] is None else mv(weights['lm_head'])
        self.num_params = count_params(weights)

    def _rms_norm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.shape.rms_norm_eps) * w

    @staticmethod
    def _rotate(x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    def forward(self, tokens, pos, cache, all_positions=False):
        """tokens [B,T] long, pos [1] long (device): logits [B, vocab] of the last position ([B, T, vocab] if
        all_positions)."""
        s = self.shape
        b, t = tokens.shape
        hd, hq, hkv = s.head_dim, s.num_heads, s.num_kv_heads
        group = hq // hkv
        positions = pos + torch.arange(t, device=self.device)  # [T]
        cos = cache.cos.index_select(0, positions)  # [T, D]
        sin = cache.sin.index_select(0, positions)
        allowed = (cache.key_index[None, :] <= positions[:, None]).repeat(group, 1)  # [G*T, maxLen]
        scale = 1.0 / math.sqrt(hd)
        x = F.embedding(tokens, self.embed)  # [B, T, H]
        for l, w in enumerate(self.layers):
            xn = self._rms_norm(x, w['input_norm'])
            q = F.linear(xn, w['q']).view(b, t, hq, hd).transpose(1, 2)
            k = F.linear(xn, w['k']).view(b, t, hkv, hd).transpose(1, 2)
            v = F.linear(xn, w['v']).view(b, t, hkv, hd).transpose(1, 2)
            q = self._rotate(q, cos, sin)
            k = self._rotate(k, cos, sin)
            kc, vc = cache.k[l], cache.v[l]  # [B, Hkv, maxLen, D]
            kc.index_copy_(2, positions, k)
            vc.index_copy_(2, positions, v)
            # GQA: query head h uses KV head h // group; rows of qg are (g, t) pairs.
            qg = q.reshape(b, hkv, group * t, hd)
            scores = torch.matmul(qg, kc.transpose(-1, -2)) * scale  # [B, Hkv, G*T, maxLen]
            probs = torch.softmax(scores.masked_fill(~allowed, float('-inf')), -1)
            attn = torch.matmul(probs, vc).view(b, hq, t, hd).transpose(1, 2).reshape(b, t, hq * hd)
            x = x + F.linear(attn, w['o'])
            xn2 = self._rms_norm(x, w['post_norm'])
            x = x + F.linear(F.silu(F.linear(xn2, w['gate'])) * F.linear(xn2, w['up']), w['down'])
        last = x if all_positions else x[:, -1]
        return F.linear(self._rms_norm(last, self.final_norm), self.lm_head)


class GreedyDecoder:
    """Greedy generation with static buffers: tokens [B, maxLen+1] history and the current position on device.
    step() = one decode step for all B sequences (token at `pos` in, token at `pos+1` out), graph-capturable."""

    def __init__(self, model, batch, max_len):
        self.model = model
        self.batch = batch
        self.max_len = max_len
        self.cache = KvCache(model.shape, batch, max_len, model.device)
        self.hist = torch.zeros(batch, max_len + 1, dtype=torch.long, device=model.device)
        self.pos = torch.zeros(1, dtype=torch.long, device=model.device)
        self.graph = None

    def prefill(self, prompt):
        """prompt [B, T] long on device: fills cache 0..T-1 and writes the first output token at T."""
        t = prompt.shape[1]
        self.hist[:, :t].copy_(prompt)
        self.pos.zero_()
        nxt = self.model.forward(prompt, self.pos, self.cache).argmax(-1)
        self.pos.fill_(t)
        self.hist.index_copy_(1, self.pos, nxt.unsqueeze(1))

    def _step_eager(self):
        cur = self.hist.index_select(1, self.pos)  # [B, 1]
        nxt = self.model.forward(cur, self.pos, self.cache).argmax(-1)
        self.hist.index_copy_(1, self.pos + 1, nxt.unsqueeze(1))
        self.pos.add_(1)

    def capture(self):
        """Capture step() as a CUDA graph (warm-up on a side stream first, as torch.cuda.graph requires)."""
        saved = self.pos.clone()  # before the side stream waits, so the copies below read a finished clone
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self.pos.copy_(saved)
                self._step_eager()
        torch.cuda.current_stream().wait_stream(side)
        self.pos.copy_(saved)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self._step_eager()
        self.pos.copy_(saved)  # capture does not run the kernels; reset anyway for clarity
        torch.cuda.synchronize()

    def step(self):
        if self.graph is not None:
            self.graph.replay()
        else:
            self._step_eager()

    def generated(self, prompt_len, num_tokens):
        return self.hist[:, prompt_len:prompt_len + num_tokens]


def greedy(model, prompt_ids, num_tokens, cuda_graph=False):
    """Greedy continuation of one prompt (list of ids): list of num_tokens ids."""
    dec = GreedyDecoder(model, 1, len(prompt_ids) + num_tokens)
    prompt = torch.tensor([prompt_ids], dtype=torch.long, device=model.device)
    with torch.no_grad():
        if cuda_graph:
            dec.prefill(prompt)
            dec.capture()
        dec.prefill(prompt)
        for _ in range(num_tokens - 1):
            dec.step()
    return dec.generated(len(prompt_ids), num_tokens)[0].tolist()


def teacher_forced_nll(model, prompt_ids, target_ids):
    """Mean negative log-likelihood of target_ids after prompt_ids (one batched prefill; float64 log-softmax)."""
    ids = prompt_ids + target_ids[:-1]
    cache = KvCache(model.shape, 1, len(ids), model.device)
    tokens = torch.tensor([ids], dtype=torch.long, device=model.device)
    with torch.no_grad():
        logits = model.forward(tokens, torch.zeros(1, dtype=torch.long, device=model.device), cache, all_positions=True)
    logp = torch.log_softmax(logits[0, len(prompt_ids) - 1:].double(), -1)
    target = torch.tensor(target_ids, dtype=torch.long, device=model.device)
    return float(-logp.gather(1, target[:, None]).mean())


def load_bench_model(name, models_dir, device):
    """'stories260k' (real weights) or 'smollm2-random' (SmolLM2-135M shape, seed-1 random weights)."""
    if name == 'stories260k':
        shape, weights = load_llama2c(os.path.join(models_dir, 'stories260K', 'stories260K.bin'))
    elif name == 'smollm2-random':
        shape = shape_from_hf_config(os.path.join(models_dir, 'smollm2-135m-instruct-shape', 'config.json'))
        weights = random_weights(shape, seed=1)
    else:
        raise ValueError('unknown model %s (known: stories260k, smollm2-random)' % name)
    return TorchLlama(shape, weights, device)
