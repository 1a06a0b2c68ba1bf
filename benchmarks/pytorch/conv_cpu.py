"""PyTorch counterpart of benchmarks/cpu/bench_conv_cpu.cpp: the same ResNet-20 conv shapes,
f32, batch 64, forward / backward-data / backward-weight timed separately (aten's
convolution_backward with one output mask each), median of --runs after --warmup runs.

usage: /usr/bin/python3 conv_cpu.py [--threads N] [--batch 64] [--runs 7] [--warmup 2] [--json PATH]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_ms  # noqa: E402

SHAPES = [("3->16 32x32", 3, 16, 32, 1), ("16->16 32x32", 16, 16, 32, 1),
          ("16->32 s2", 16, 32, 32, 2), ("32->32 16x16", 32, 32, 16, 1),
          ("32->64 s2", 32, 64, 16, 2), ("64->64 8x8", 64, 64, 8, 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__} CPU conv2d, f32, batch {args.batch}, 3x3 pad 1, "
          f"{torch.get_num_threads()} threads, median of {args.runs} runs")
    print(f"{'shape':<14} {'fwd ms':>10} {'bwd-x ms':>10} {'bwd-w ms':>10} {'total ms':>10} {'GFLOP/s':>10}")
    results = []
    with torch.no_grad():
        for name, cin, cout, size, stride in SHAPES:
            x = torch.randn(args.batch, cin, size, size)
            w = torch.randn(cout, cin, 3, 3)
            y = F.conv2d(x, w, None, stride, 1)
            gy = torch.randn_like(y)
            conv_args = ([stride, stride], [1, 1], [1, 1], False, [0, 0], 1)

            def bwd(mask):
                return torch.ops.aten.convolution_backward(gy, x, w, None, *conv_args, mask)

            fwd = median_ms(lambda: F.conv2d(x, w, None, stride, 1), args.warmup, args.runs)
            bwd_data = median_ms(lambda: bwd([True, False, False]), args.warmup, args.runs)
            bwd_weight = median_ms(lambda: bwd([False, True, False]), args.warmup, args.runs)
            gflop = 2.0 * args.batch * cout * y.shape[2] * y.shape[3] * cin * 9 / 1e9
            total = fwd + bwd_data + bwd_weight
            print(f"{name:<14} {fwd:10.2f} {bwd_data:10.2f} {bwd_weight:10.2f} {total:10.2f} "
                  f"{3 * gflop / (total / 1e3):10.1f}")
            results.append({"name": name, "fwd_ms": fwd, "bwd_data_ms": bwd_data,
                            "bwd_weight_ms": bwd_weight, "gflop_per_pass": gflop})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"framework": "pytorch", "version": torch.__version__,
                       "threads": torch.get_num_threads(), "batch": args.batch,
                       "runs": args.runs, "shapes": results}, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
