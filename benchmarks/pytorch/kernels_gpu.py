#!/usr/bin/env python3
"""PyTorch GPU side of the distillation-kernel benchmarks (docs/kernels.md).

Times forward+backward of what a PyTorch user writes for the same losses, at the sizes of
benchmarks/kernels/bench_*.cpp, with CUDA events, warm-up, an L2 flush (memset of a buffer of
2x the L2 size) before every run and the median of --runs runs:
  softmax-KL  F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction='batchmean') * T^2
  CE          F.cross_entropy(z, y)
  cohort      sum over students of mean_{l!=k} KL(p_l || p_k) (peers detached), K in {2, 4}
  FSP         torch.bmm Gram products / hw + lambda/B * ||Gs - Gt||^2, backward to the student
Prints a table and writes JSON with --json PATH. Exits 77 when torch.cuda is unavailable.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", default="")
    ap.add_argument("--max-elems", type=int, default=1 << 29)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("kernels_gpu.py: PyTorch is not installed; skipping")
        return 77
    if not torch.cuda.is_available():
        print("kernels_gpu.py: torch.cuda is unavailable; skipping")
        return 77
    if args.quick:
        args.runs = 10
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32 like the cohort kernels
    l2 = torch.cuda.get_device_properties(dev).L2_cache_size
    flush_buf = torch.empty(max(2 * l2, 64 << 20), dtype=torch.uint8, device=dev)

    def time_it(fn):
        for _ in range(args.warmup):
            fn()
        times = []
        for _ in range(args.runs):
            flush_buf.zero_()
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) * 1e3)
        times.sort()
        n = len(times)
        return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])

    rows = []

    def add(kernel, shape, us, nbytes, flops=0.0):
        rows.append({"kernel": kernel, "shape": shape, "median_us": us, "bytes": nbytes,
                     "gbs": nbytes / (us * 1e3), "tflops": flops / (us * 1e6) if flops else None})

    Ns = [256, 4096] if args.quick else [64, 128, 256, 4096, 65536]
    Cs = [10, 100, 1000, 32000]
    T = 4.0
    for N in Ns:
        for C in Cs:
            if N * C > args.max_elems:
                continue
            s = (torch.randn(N, C, device=dev) * 3).requires_grad_()
            t = torch.randn(N, C, device=dev) * 3
            y = torch.randint(0, C, (N,), device=dev)

            def kd():
                s.grad = None
                loss = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean") * T * T
                loss.backward()

            def ce():
                s.grad = None
                F.cross_entropy(s, y).backward()

            add("softmax_kl", f"N={N} C={C}", time_it(kd), 12.0 * N * C)
            add("cross_entropy", f"N={N} C={C}", time_it(ce), 8.0 * N * C + 8.0 * N)
    for K in (2, 4):
        for N in ([256] if args.quick else Ns):
            for C in Cs:
                if K * N * C > args.max_elems:
                    continue
                zs = [(torch.randn(N, C, device=dev) * 2).requires_grad_() for _ in range(K)]

                def cohort():
                    for z in zs:
                        z.grad = None
                    total = 0.0
                    for k in range(K):
                        logp_k = F.log_softmax(zs[k] / 3.0, dim=1)
                        for l in range(K):
                            if l != k:
                                total = total + F.kl_div(logp_k, F.softmax(zs[l].detach() / 3.0, dim=1),
                                                         reduction="batchmean") * 9.0 / (K - 1)
                    total.backward()

                add("cohort_kl", f"K={K} N={N} C={C}", time_it(cohort), 8.0 * K * N * C)
    shapes = [("resnet32", 16, 16, 1024), ("resnet32", 32, 32, 256), ("resnet32", 64, 64, 64),
              ("wrn-28-10", 160, 160, 1024), ("wrn-28-10", 320, 320, 256), ("wrn-28-10", 640, 640, 64)]
    for B in ([64] if args.quick else [64, 128]):
        for net, m, n, hw in shapes:
            fs1 = torch.randn(B, m, hw, device=dev).requires_grad_()
            fs2 = torch.randn(B, n, hw, device=dev).requires_grad_()
            ft1, ft2 = torch.randn(B, m, hw, device=dev), torch.randn(B, n, hw, device=dev)

            def fsp():
                fs1.grad = fs2.grad = None
                gs = torch.bmm(fs1, fs2.transpose(1, 2)) / hw
                with torch.no_grad():
                    gt = torch.bmm(ft1, ft2.transpose(1, 2)) / hw
                ((gs - gt) ** 2).sum().div(B).backward()

            feat = B * (m + n) * hw * 4.0
            add("fsp_loss+grad", f"{net} B={B} {m}x{n}x{hw}", time_it(fsp), 4.0 * feat, 8.0 * B * m * n * hw)

    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(dev)} — median of {args.runs} runs, "
          "L2 flushed, forward+backward")
    print(f"{'kernel':<14} {'shape':<28} {'us':>10} {'GB/s':>8} {'TFLOP/s':>8}")
    for r in rows:
        tf = f"{r['tflops']:.2f}" if r["tflops"] else "-"
        print(f"{r['kernel']:<14} {r['shape']:<28} {r['median_us']:>10.1f} {r['gbs']:>8.0f} {tf:>8}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "pytorch kernels_gpu", "torch": torch.__version__,
                       "device": torch.cuda.get_device_name(dev), "runs": args.runs, "rows": rows}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
