#!/usr/bin/env python3
# Memory bandwidth for issue 9's floors: device-to-device copy of a large buffer (HBM; reported as the copy rate and
# as bytes read + written, METHOD.md's convention) and host<->device copies, pageable and pinned, per size.
# CUDA events, median of --repeats after --warmup, random data. Sizes in MB = 1e6 bytes; GB/s = 1e9 bytes/s.
# Usage: python3 bench/gpu/bandwidth.py --json out.json [--sizes-mb 0.1,1,10,50,200] [--d2d-mb 1024] [--allow-cpu]

import argparse
import json
import statistics
import sys
import time

import torch

MB = 1000 * 1000
GIB = 1024 ** 3


def parse_args(argv):
    p = argparse.ArgumentParser(description='device-to-device and host<->device copy bandwidth (PyTorch)')
    p.add_argument('--json', default=None)
    p.add_argument('--sizes-mb', default='0.1,1,10,50,200',
                   help='host<->device buffer sizes, MB (1e6 bytes); the small ones match per-step logits and K/V copies')
    p.add_argument('--d2d-mb', type=float, default=GIB / MB, help='device-to-device buffer size (default 1 GiB)')
    p.add_argument('--repeats', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--allow-cpu', action='store_true',
                   help='without CUDA: time a CPU memcpy instead (smoke test; gpu is null, no transfers)')
    return p.parse_args(argv)


def random_bytes(num_bytes, device, pin=False):
    """uint8 view of uniform random floats (not zeros: zeros can take faster paths)."""
    t = torch.rand(num_bytes // 4, device=device).view(torch.uint8)
    return t.pin_memory() if pin else t


def time_cuda_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def time_cpu_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def gbps(num_bytes, ms):
    return num_bytes / 1e9 / (ms / 1000.0)


def d2d(num_bytes, opts):
    src = random_bytes(num_bytes, 'cuda')
    dst = torch.empty_like(src)
    ms = time_cuda_ms(lambda: dst.copy_(src), opts.warmup, opts.repeats)
    if not torch.equal(dst[:MB], src[:MB]) or not torch.equal(dst[-MB:], src[-MB:]):
        raise RuntimeError('device-to-device copy check failed')
    del src, dst
    torch.cuda.empty_cache()
    return ms


def transfer(direction, pinned, num_bytes, opts):
    host = random_bytes(num_bytes, 'cpu', pin=pinned)
    dev = torch.empty(host.numel(), dtype=torch.uint8, device='cuda')
    if direction == 'h2d':
        fn = lambda: dev.copy_(host, non_blocking=pinned)
    else:
        dev.copy_(host)
        host = torch.empty_like(host).pin_memory() if pinned else torch.empty_like(host)
        fn = lambda: host.copy_(dev, non_blocking=pinned)
    ms = time_cuda_ms(fn, opts.warmup, opts.repeats)
    torch.cuda.synchronize()
    if not torch.equal(host[:1024], dev[:1024].cpu()):
        raise RuntimeError('%s copy check failed' % direction)
    return {'direction': direction, 'pinned': pinned, 'bytes': host.numel(), 'GBps': gbps(host.numel(), ms),
            'msMedian': ms}


def d2d_bytes(requested_mb):
    """Requested size, capped to a quarter of free memory (two buffers plus headroom), rounded to 4 bytes."""
    free, _total = torch.cuda.mem_get_info()
    return int(min(requested_mb * MB, free / 4)) // 4 * 4


def run_cuda(opts, result):
    result['gpu'] = torch.cuda.get_device_name(0)
    n = d2d_bytes(opts.d2d_mb)
    ms = d2d(n, opts)
    result['d2dGBps'] = gbps(n, ms)
    result['d2dReadWriteGBps'] = gbps(2 * n, ms)
    print('%s: device-to-device copy of %.1f MiB: %.3f ms median -> %.1f GB/s copied, %.1f GB/s read+write' % (
        result['gpu'], n / 2 ** 20, ms, result['d2dGBps'], result['d2dReadWriteGBps']), flush=True)
    for size_mb in [float(s) for s in opts.sizes_mb.split(',')]:
        for direction in ('h2d', 'd2h'):
            for pinned in (False, True):
                row = transfer(direction, pinned, int(size_mb * MB) // 4 * 4, opts)
                result['transfers'].append(row)
                print('%s %-8s %7.1f MB: %.3f ms median, %.2f GB/s' % (
                    direction, 'pinned' if pinned else 'pageable', row['bytes'] / MB, row['msMedian'], row['GBps']),
                      flush=True)


def run_cpu(opts, result):
    n = 64 * MB
    src = random_bytes(n, 'cpu')
    dst = torch.empty_like(src)
    ms = time_cpu_ms(lambda: dst.copy_(src), opts.warmup, opts.repeats)
    result['d2dGBps'] = gbps(n, ms)
    result['d2dReadWriteGBps'] = gbps(2 * n, ms)
    print('no CUDA (--allow-cpu): CPU memcpy of %d MB: %.3f ms median -> %.2f GB/s copied, %.2f GB/s read+write; '
          'no host<->device transfers' % (n // MB, ms, result['d2dGBps'], result['d2dReadWriteGBps']), flush=True)


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    result = {'tool': 'bandwidth', 'torch': torch.__version__, 'gpu': None, 'd2dGBps': None,
              'd2dReadWriteGBps': None, 'transfers': []}
    if torch.cuda.is_available():
        run_cuda(opts, result)
    elif opts.allow_cpu:
        run_cpu(opts, result)
    else:
        print('error: CUDA is not available to torch %s (torch.cuda.is_available() is False); '
              'this script measures GPU bandwidth. --allow-cpu runs a CPU memcpy smoke test instead.'
              % torch.__version__, file=sys.stderr)
        return 2
    if result['transfers']:
        print('\n| direction | host memory | MB | ms median | GB/s |\n|---|---|---|---|---|')
        for r in result['transfers']:
            print('| %s | %s | %.1f | %.3f | %.2f |' % (r['direction'], 'pinned' if r['pinned'] else 'pageable',
                                                      r['bytes'] / MB, r['msMedian'], r['GBps']))
    if opts.json is not None:
        with open(opts.json, 'w') as f:
            json.dump(result, f, indent=2)
        print('wrote %s' % opts.json)
    return 0


if __name__ == '__main__':
    sys.exit(main())
