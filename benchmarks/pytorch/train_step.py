"""PyTorch counterpart of benchmarks/train/bench_train.cpp: the same rows (models, losses,
SGD-Nesterov with weight decay), batch and input shapes, and the same timing protocol —
warm-up steps excluded, the device synchronised at the boundaries of each timed step only,
median step time; images/s = batch / median. Peak memory: torch.cuda.max_memory_allocated on
CUDA, the process's max RSS on the CPU (run one row per process).

usage: python3 train_step.py [--row NAME|all] [--batch 64] [--device cpu|cuda] [--warmup 5]
                             [--steps 50] [--compile] [--channels-last] [--json PATH] [--list]
--channels-last keeps the models' weights and the input in torch.channels_last (NHWC), where
oneDNN runs the convolutions without converting every activation between NCHW and its own
layout: the measurement behind the question which layout cohort's CPU tensors should keep.
"""
import argparse
import json
import os
import resource
import statistics
import sys

import torch
import torch.nn.functional as F

# The model zoo in plain PyTorch with cohort's names and layouts (also used by the parity tests).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
from torch_losses import fsp_matrices, kd_kl as kl_to  # noqa: E402
from torch_models import make_model  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import times_ms  # noqa: E402

CLASSES = 100

# name -> (strategy, students, teacher); the same table as bench_train.cpp's rows().
ROWS = {
    "independent-resnet32": ("independent", ["resnet32"], None),
    "dml-resnet32x2": ("dml", ["resnet32", "resnet32"], None),
    "dml-resnet32x4": ("dml", ["resnet32"] * 4, None),
    "dml-mobilenet+resnet32": ("dml", ["mobilenet", "resnet32"], None),
    "kd-wrn28-10-to-resnet32": ("kd", ["resnet32"], "wrn-28-10"),
    "fsp1-resnet32-to-resnet14": ("fsp", ["resnet14"], "resnet32"),
    "independent-wrn28-10": ("independent", ["wrn-28-10"], None),
}


def sgd(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)


def make_step(row, device, compile_models, memory_format):
    strategy, students, teacher_name = ROWS[row]
    nets = [make_model(m, CLASSES).to(device, memory_format=memory_format).train() for m in students]
    if compile_models:
        nets = [torch.compile(n) for n in nets]
    opts = [sgd(n, 0.001 if strategy == "fsp" else 0.1) for n in nets]
    teacher = (make_model(teacher_name, CLASSES).to(device, memory_format=memory_format).eval()
               if teacher_name else None)

    def independent(x, y):
        for net, opt in zip(nets, opts):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()

    def dml(x, y):
        # Sync update: one forward of each network, every loss from the same predictions.
        logits = [net(x) for net in nets]
        probs = [F.softmax(z.detach(), dim=1) for z in logits]
        total = 0
        for k, z in enumerate(logits):
            peers = [kl_to(z, probs[l], 1.0) for l in range(len(nets)) if l != k]
            total = total + F.cross_entropy(z, y) + sum(peers) / len(peers)
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        total.backward()
        for opt in opts:
            opt.step()

    def kd(x, y, T=4.0):
        with torch.no_grad():
            target = F.softmax(teacher(x) / T, dim=1)
        z = nets[0](x)
        opts[0].zero_grad(set_to_none=True)
        (F.cross_entropy(z, y) + kl_to(z, target, T)).backward()
        opts[0].step()

    def fsp(x, y):
        with torch.no_grad():
            gt = fsp_matrices(teacher, x)
        gs = fsp_matrices(nets[0], x)
        loss = sum(((s - t) ** 2).sum() / x.shape[0] for s, t in zip(gs, gt))
        opts[0].zero_grad(set_to_none=True)
        loss.backward()
        opts[0].step()

    return {"independent": independent, "dml": dml, "kd": kd, "fsp": fsp}[strategy]


def run_row(row, args, device):
    torch.manual_seed(0)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    step = make_step(row, device, args.compile, memory_format)
    x = torch.randn(args.batch, 3, 32, 32, device=device).contiguous(memory_format=memory_format)
    y = (torch.arange(args.batch, device=device) * 37) % CLASSES
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(args.warmup):
        step(x, y)
    sync()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()  # the peak of the timed steps only
    times = times_ms(lambda: step(x, y), 0, args.steps, sync)
    median = statistics.median(times)
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
    return {"framework": "pytorch-compile" if args.compile else "pytorch", "torch": torch.__version__,
            "memory_format": "channels_last" if args.channels_last else "contiguous",
            "row": row, "batch": args.batch, "device": str(device), "steps": args.steps,
            "median_ms": median, "min_ms": min(times), "max_ms": max(times),
            "images_per_s": 1000.0 * args.batch / median, "peak_mb": peak,
            "peak_kind": "cuda peak allocated" if device.type == "cuda" else "process max RSS"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--row", default="all")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--device", default="cpu")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave)")
    p.add_argument("--compile", action="store_true", help="torch.compile each network (torch >= 2)")
    p.add_argument("--channels-last", action="store_true", help="NHWC weights and input (torch.channels_last)")
    p.add_argument("--json")
    p.add_argument("--list", action="store_true")
    args = p.parse_args()
    if args.list:
        print("\n".join(ROWS))
        return 0
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("train_step.py: torch.cuda is not available; skipping")
        return 77
    if args.compile and not hasattr(torch, "compile"):
        print(f"train_step.py: torch {torch.__version__} has no torch.compile; skipping")
        return 77
    if args.threads:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # cohort caches its cuDNN algorithm choice too
    rows = list(ROWS) if args.row == "all" else [args.row]
    if any(r not in ROWS for r in rows):
        print(f"train_step.py: no row named {args.row} (--list)", file=sys.stderr)
        return 2
    results = []
    print(f"{'row':28s} {'batch':>6s} {'ms/step':>10s} {'images/s':>10s} {'peak MB':>10s}")
    for row in rows:
        r = run_row(row, args, device)
        print(f"{row:28s} {args.batch:6d} {r['median_ms']:10.2f} {r['images_per_s']:10.1f} {r['peak_mb']:10.1f}",
              flush=True)
        results.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
