#!/usr/bin/env python3
"""Accuracy and loss curves per epoch from cohort runs' metrics.jsonl (used by `cohort plot`).

usage: plot_runs.py --out curves.png RUN_DIR [RUN_DIR ...]
One line per (run, network): test top-1 by epoch (left) and the train CE by epoch (right).
Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(run):
    path = os.path.join(run, "metrics.jsonl")
    if not os.path.exists(path):
        sys.exit(f"plot_runs: {path} does not exist")
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="curves.png")
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()
    fig, (acc, loss) = plt.subplots(1, 2, figsize=(12, 4.5))
    for run in args.runs:
        label = os.path.basename(os.path.normpath(run))
        evals = [r for r in load(run) if r.get("type") == "eval"]
        nets = sorted({n for r in evals for n in r.get("networks", {})})
        for net in nets:
            pts = [(r["epoch"] if "epoch" in r else i, r["networks"][net]["top1"])
                   for i, r in enumerate(evals) if net in r.get("networks", {})]
            xs = list(range(1, len(pts) + 1))
            acc.plot(xs, [p[1] for p in pts], label=f"{label}/{net}")
            ce = [r.get("train_ce", {}).get(net) for r in evals]
            if any(c is not None for c in ce):
                loss.plot(xs, [c if c is not None else float("nan") for c in ce], label=f"{label}/{net}")
    acc.set_xlabel("evaluation (epoch)")
    acc.set_ylabel("test top-1 (%)")
    acc.grid(alpha=0.3)
    acc.legend(fontsize=7)
    loss.set_xlabel("evaluation (epoch)")
    loss.set_ylabel("train cross-entropy")
    loss.grid(alpha=0.3)
    loss.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
