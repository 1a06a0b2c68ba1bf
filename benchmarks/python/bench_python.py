"""Python-side costs of the cohort package (not a test: prints figures for docs/benchmarks.md).

    .venv/bin/python benchmarks/python/bench_python.py [--quick] [--device cpu|cuda]

1. Per-call overhead: one small op (add of two 16-element f32 tensors) through cohort.ops and
   through torch, median per call.
2. cohort.torch.dml_mimicry against the same loss written with PyTorch ops (forward + backward,
   mode "average", T = 3) for K = 2, 4 students, N = 64, 512, 4096 rows, C = 10, 100, 1000.
"""
import argparse
import pathlib
import sys

import torch
import torch.nn.functional as F

import cohort
import cohort.torch as ct

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "pytorch"))
from timing import median_ms  # noqa: E402


def dml_pytorch(logits, T):
    """DML mimicry with PyTorch ops: L_k = T^2/(N(K-1)) sum_{l != k} KL(p_l || p_k), peers constant."""
    K = len(logits)
    log_p = [F.log_softmax(z / T, dim=1) for z in logits]
    p = [lp.detach().exp() for lp in log_p]
    losses = []
    for k in range(K):
        kl = sum(F.kl_div(log_p[k], p[l], reduction="batchmean") for l in range(K) if l != k)
        losses.append(kl * (T * T / (K - 1)))
    return torch.stack(losses)


def overhead(device, runs):
    a, b = cohort.ones([16], device=device), cohort.ones([16], device=device)
    x, y = torch.ones(16, device=device), torch.ones(16, device=device)
    n = 1000
    ours = median_ms(lambda: [cohort.ops.add(a, b) for _ in range(n)], 2, runs) / n * 1e3
    theirs = median_ms(lambda: [torch.add(x, y) for _ in range(n)], 2, runs) / n * 1e3
    print(f"per-call overhead, add of 16 floats: cohort {ours:.2f} us, torch {theirs:.2f} us")


def dml_table(device, sizes, runs):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    print("| K | N | C | cohort.torch ms | PyTorch ms | ratio |")
    print("|---|---|---|---|---|---|")
    for K in (2, 4):
        for N in sizes:
            for C in (10, 100, 1000):
                g = torch.Generator().manual_seed(0)
                logits = [torch.randn(N, C, generator=g).to(device).requires_grad_() for _ in range(K)]

                def step(fn):
                    def run():
                        fn(logits, 3.0).sum().backward()
                    return run

                ours = median_ms(step(lambda zs, T: ct.dml_mimicry(zs, T, "average")), 3, runs, sync)
                theirs = median_ms(step(dml_pytorch), 3, runs, sync)
                print(f"| {K} | {N} | {C} | {ours:.3f} | {theirs:.3f} | {theirs / ours:.2f}x |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, N up to 512")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    runs = 5 if args.quick else 21
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    overhead(args.device, runs)
    dml_table(args.device, (64, 512) if args.quick else (64, 512, 4096), runs)


if __name__ == "__main__":
    main()
