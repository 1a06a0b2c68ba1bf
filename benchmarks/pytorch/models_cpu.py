"""PyTorch counterpart of benchmarks/cpu/bench_models.cpp: the same models (the architectures of
tests/python/torch_models.py, cohort's names and structure), f32, training mode, one forward +
F.cross_entropy + backward per step (gradients set to None first, as model->zero_grad()), and
the forward alone under no_grad; median of --runs after --warmup.

usage: /usr/bin/python3 models_cpu.py [--models resnet32,wrn-16-4,mobilenet] [--classes 100]
                                      [--batch 64] [--threads N] [--runs 5] [--warmup 2] [--json PATH]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
import torch_models  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_ms  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet32,wrn-16-4,mobilenet")
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__} CPU training step (forward + cross-entropy + backward), f32, "
          f"batch {args.batch}, {args.classes} classes, {torch.get_num_threads()} threads, "
          f"median of {args.runs} runs after {args.warmup} warm-up")
    print(f"{'model':<12} {'params':>10} {'fwd ms':>10} {'step ms':>10} {'images/s':>10}")
    results = []
    for name in args.models.split(","):
        model = torch_models.make_model(name, args.classes).train()
        x = torch.randn(args.batch, 3, 32, 32)
        labels = torch.arange(args.batch) % args.classes

        def forward():
            with torch.no_grad():
                model.forward_features(x)

        def step():
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model.forward_features(x)[0], labels).backward()

        fwd = median_ms(forward, args.warmup, args.runs)
        step_ms = median_ms(step, args.warmup, args.runs)
        params = torch_models.num_parameters(model)
        print(f"{name:<12} {params / 1e6:9.2f}M {fwd:10.1f} {step_ms:10.1f} "
              f"{args.batch / (step_ms / 1e3):10.1f}", flush=True)
        results.append({"name": name, "parameters": params, "fwd_ms": fwd, "step_ms": step_ms})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"framework": "pytorch", "version": torch.__version__,
                       "threads": torch.get_num_threads(), "batch": args.batch,
                       "classes": args.classes, "runs": args.runs, "models": results}, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
