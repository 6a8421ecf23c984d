#!/usr/bin/env python3
# PyTorch decode baseline for issue 9: golden check of stories260K, then prefill + greedy decode step times and
# output tokens/s per model and batch, on the workload of bench/src/runner-throughput.ts (same prompts, fixed
# output length, EOS ignored). Step times: CUDA events on cuda, perf_counter on cpu; median/p90 over all steps.
# Usage: python3 bench/gpu/torch_decode_bench.py --device cuda [--cuda-graphs] --models-dir DIR --json out.json

import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repo (bench/gpu is copied into the bundle as is)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_llama  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN_TOKENS = 64


def default_models_dir():
    shared = os.environ.get('MINI_DYNAMO_SHARED_DIR') or os.path.join(REPO_ROOT, '..', 'shared')
    return os.path.normpath(os.path.join(shared, 'models'))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--models', default='stories260k,smollm2-random')
    p.add_argument('--batch', default='1,8,32,64')
    p.add_argument('--prompt-tokens', type=int, default=32)
    p.add_argument('--output-tokens', type=int, default=64)
    p.add_argument('--rounds', type=int, default=3, help='timed generations per (model, batch) after warm-up')
    p.add_argument('--warmup', type=int, default=2, help='untimed generations per (model, batch)')
    p.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    p.add_argument('--cuda-graphs', action='store_true', help='replay each decode step as a captured CUDA graph')
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads on cpu')
    p.add_argument('--models-dir', default=default_models_dir())
    p.add_argument('--json', default=None)
    p.add_argument('--allow-golden-mismatch', action='store_true',
                   help='record a golden mismatch and measure anyway (default: exit 1 before measuring)')
    args = p.parse_args(argv)
    if args.prompt_tokens < 1 or args.output_tokens < 2:
        p.error('--prompt-tokens must be >= 1 and --output-tokens >= 2')
    return args


def make_prompts(batch, prompt_tokens, vocab):
    """runner-throughput.ts's prompts: [1, 3 + ((r*7919 + i*104729) % (vocab-3)) for i < promptTokens-1]."""
    return [[1] + [3 + ((r * 7919 + i * 104729) % (vocab - 3)) for i in range(prompt_tokens - 1)]
            for r in range(batch)]


class Clock:
    """Marks on the device timeline: CUDA events on cuda, perf_counter on cpu (ops there are synchronous)."""

    def __init__(self, device):
        self.cuda = device.type == 'cuda'

    def mark(self):
        if self.cuda:
            e = torch.cuda.Event(enable_timing=True)
            e.record()
            return e
        return time.perf_counter()

    def ms_between(self, marks):
        if self.cuda:
            torch.cuda.synchronize()
            return [a.elapsed_time(b) for a, b in zip(marks, marks[1:])]
        return [(b - a) * 1000.0 for a, b in zip(marks, marks[1:])]


def p90(values):
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def golden_check(model, models_dir, cuda_graphs):
    with open(os.path.join(models_dir, 'stories260K', 'golden_greedy_bos_64.json')) as f:
        ref = json.load(f)
    golden = ref['greedy_ids_64']
    out = torch_llama.greedy(model, [1], GOLDEN_TOKENS, cuda_graph=cuda_graphs)
    matches = out == golden
    first_diff = next((i for i, (a, b) in enumerate(zip(out, golden)) if a != b), None)
    nll = torch_llama.teacher_forced_nll(model, [1], golden)
    print('golden check (stories260K, greedy from BOS, %d tokens%s): %s; teacher-forced mean NLL %.5f (golden %.5f)' % (
        GOLDEN_TOKENS, ', CUDA graph' if cuda_graphs else '',
        'MATCH' if matches else 'MISMATCH at index %s: got %s' % (first_diff, out), nll, ref['mean_nll_teacher_forced']), flush=True)
    return {'model': 'stories260k', 'numTokens': GOLDEN_TOKENS, 'matches': matches}


def one_generation(dec, prompt, num_steps, clock):
    marks = [clock.mark()]
    dec.prefill(prompt)
    marks.append(clock.mark())
    for _ in range(num_steps):
        dec.step()
        marks.append(clock.mark())
    ms = clock.ms_between(marks)
    return ms[0], ms[1:]


def measure(name, model, batch, opts, clock):
    p, o = opts.prompt_tokens, opts.output_tokens
    prompt = torch.tensor(make_prompts(batch, p, model.shape.vocab_size), dtype=torch.long, device=model.device)
    dec = torch_llama.GreedyDecoder(model, batch, p + o)
    graphs = opts.cuda_graphs and model.device.type == 'cuda'
    with torch.no_grad():
        if graphs:
            dec.prefill(prompt)
            dec.capture()
        for _ in range(opts.warmup):
            one_generation(dec, prompt, o - 1, clock)
        prefills, steps, totals, decodes = [], [], [], []
        for _ in range(opts.rounds):
            prefill_ms, step_ms = one_generation(dec, prompt, o - 1, clock)
            prefills.append(prefill_ms)
            steps.extend(step_ms)
            decodes.append(sum(step_ms))
            totals.append(prefill_ms + sum(step_ms))
    row = {
        'model': name, 'numParams': model.num_params, 'batch': batch,
        'prefillMs': statistics.median(prefills),
        'stepMsMedian': statistics.median(steps), 'stepMsP90': p90(steps),
        # prefill emits the first output token; the o-1 decode steps emit the rest
        'decodeTokensPerSecond': batch * (o - 1) / (statistics.median(decodes) / 1000.0),
        'tokensPerSecond': batch * o / (statistics.median(totals) / 1000.0),
        'cudaGraphs': graphs,
    }
    print('%s B=%d: prefill %.3f ms, step median %.3f ms p90 %.3f ms, %.1f tok/s (decode only %.1f tok/s)%s' % (
        name, batch, row['prefillMs'], row['stepMsMedian'], row['stepMsP90'], row['tokensPerSecond'],
        row['decodeTokensPerSecond'], ', CUDA graph' if graphs else ''), flush=True)
    del dec
    return row


def print_table(result):
    print('\ntorch %s, device %s%s, prompt %d + output %d tokens, CUDA graphs %s' % (
        result['torch'], result['device'], '' if result['gpu'] is None else ' (%s)' % result['gpu'],
        result['opts']['promptTokens'], result['opts']['outputTokens'], result['opts']['cudaGraphs']))
    print('\n| model | params | batch | prefill ms | step ms median | step ms p90 | decode tok/s | output tok/s |')
    print('|---|---|---|---|---|---|---|---|')
    for r in result['rows']:
        print('| %s | %d | %d | %.3f | %.3f | %.3f | %.1f | %.1f |' % (
            r['model'], r['numParams'], r['batch'], r['prefillMs'], r['stepMsMedian'], r['stepMsP90'],
            r['decodeTokensPerSecond'], r['tokensPerSecond']))


def set_ieee_fp32_matmul():
    """Plain fp32 matmuls (no TF32), as the ORT graph computes (measure.sh also sets NVIDIA_TF32_OVERRIDE=0, which
    holds ORT's CUDA EP to fp32). torch >= 2.9 has fp32_precision, older allow_tf32; only one API is used (mixing
    them makes torch 2.9+ raise at the first matmul). Reads the setting back: 'ieee', or raises."""
    try:  # torch 1.13's cuBLASModule raises AssertionError (not AttributeError) for unknown names
        has_new_api = hasattr(torch.backends.cuda.matmul, 'fp32_precision')
    except AssertionError:
        has_new_api = False
    if has_new_api:
        torch.backends.cuda.matmul.fp32_precision = 'ieee'
        mode = torch.backends.cuda.matmul.fp32_precision
    else:
        torch.backends.cuda.matmul.allow_tf32 = False
        mode = 'tf32' if torch.backends.cuda.matmul.allow_tf32 else 'ieee'
    if mode != 'ieee':
        raise RuntimeError('fp32 matmuls are %s, not ieee: the baseline would not be fp32' % mode)
    return mode


def write_json(path, result):
    if path is not None:
        with open(path, 'w') as f:
            json.dump(result, f, indent=2)
        print('wrote %s' % path)


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if opts.device == 'cuda' and not torch.cuda.is_available():
        print('error: --device cuda but torch.cuda.is_available() is False (torch %s); use --device cpu' %
              torch.__version__, file=sys.stderr)
        return 2
    device = torch.device(opts.device)
    fp32_matmul = set_ieee_fp32_matmul() if device.type == 'cuda' else None
    if device.type == 'cpu' and opts.threads is not None:
        torch.set_num_threads(opts.threads)
    graphs = opts.cuda_graphs and device.type == 'cuda'
    if opts.cuda_graphs and not graphs:
        print('note: --cuda-graphs ignored on cpu')
    result = {
        'tool': 'torch-decode', 'torch': torch.__version__, 'device': device.type,
        'gpu': torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
        # cuda: 'ieee' (TF32 off, read back); NVIDIA_TF32_OVERRIDE as the process saw it (measure.sh sets '0')
        'fp32Matmul': fp32_matmul, 'tf32Override': os.environ.get('NVIDIA_TF32_OVERRIDE'),
        'golden': None,
        'opts': {'promptTokens': opts.prompt_tokens, 'outputTokens': opts.output_tokens, 'cudaGraphs': graphs},
        'rows': [],
    }
    print('torch %s on %s%s, fp32 matmuls %s, models from %s' % (
        torch.__version__, device.type, '' if result['gpu'] is None else ' (%s)' % result['gpu'],
        fp32_matmul or 'cpu', opts.models_dir), flush=True)
    clock = Clock(device)
    result['golden'] = golden_check(torch_llama.load_bench_model('stories260k', opts.models_dir, device),
                                    opts.models_dir, graphs)
    if not result['golden']['matches'] and not opts.allow_golden_mismatch:
        write_json(opts.json, result)
        return 1
    for name in opts.models.split(','):
        model = torch_llama.load_bench_model(name, opts.models_dir, device)
        print('%s: %d parameters, KV %d bytes/token' % (name, model.num_params, model.shape.kv_bytes_per_token),
              flush=True)
        for batch in [int(b) for b in opts.batch.split(',')]:
            result['rows'].append(measure(name, model, batch, opts, clock))
        del model
        if device.type == 'cuda':
            torch.cuda.empty_cache()
    print_table(result)
    write_json(opts.json, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
