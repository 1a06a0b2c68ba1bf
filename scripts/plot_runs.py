#!/usr/bin/env python3
"""Accuracy and loss curves per epoch from cohort runs' metrics.jsonl (used by `cohort plot`).

usage: plot_runs.py --out curves.png RUN_DIR [RUN_DIR ...]
One colour per run, one line style per network and a thick dashed line for the ensemble: test
top-1 by epoch (left) and the train CE by epoch (right).
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


def curves(records):
    """Per network (and "ensemble" when the run has one): the eval records' epochs, test top-1
    and train CE, in log order. The x axis is the record's epoch, never its position: a resumed
    run's log holds each epoch once, but positions would not say which epoch a point is."""
    evals = [r for r in records if r.get("type") == "eval"]
    # Multi-stage runs (fsp, fitnet, kd with a teacher stage) count epochs per stage: continue
    # each stage's epochs after the previous stages' last one.
    offset, stage_end, total = {}, {}, 0
    for r in evals:
        stage = r.get("stage", "")
        if stage not in offset:
            offset[stage] = total
        stage_end[stage] = max(stage_end.get(stage, 0), r["epoch"])
        total = offset[stage] + stage_end[stage]

    def epoch(r):
        return offset[r.get("stage", "")] + r["epoch"]

    nets = sorted({n for r in evals for n in r.get("networks", {})})
    out = {}
    for net in nets:
        rows = [r for r in evals if net in r.get("networks", {})]
        out[net] = {"epoch": [epoch(r) for r in rows],
                    "top1": [r["networks"][net]["top1"] for r in rows],
                    "train_ce": [r.get("train_ce", {}).get(net) for r in rows]}
    ens = [r for r in evals if "ensemble" in r]
    if ens:
        out["ensemble"] = {"epoch": [epoch(r) for r in ens], "top1": [r["ensemble"]["top1"] for r in ens],
                           "train_ce": [None for _ in ens]}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="curves.png")
    ap.add_argument("runs", nargs="+")
    args = ap.parse_args()
    fig, (acc, loss) = plt.subplots(1, 2, figsize=(12, 4.5))
    # One colour per run, one line style per network: a cohort's curves read as one group and
    # runs stay apart beyond the palette's ten colours' worth of lines.
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    net_styles = ["-", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
    for i, run in enumerate(args.runs):
        label = os.path.basename(os.path.normpath(run))
        colour = colours[i % len(colours)]
        for j, (net, c) in enumerate(curves(load(run)).items()):
            style = dict(linestyle="--", linewidth=2) if net == "ensemble" else \
                dict(linestyle=net_styles[j % len(net_styles)], linewidth=1.2)
            acc.plot(c["epoch"], c["top1"], color=colour, label=f"{label}/{net}", **style)
            if any(v is not None for v in c["train_ce"]):
                loss.plot(c["epoch"], [v if v is not None else float("nan") for v in c["train_ce"]],
                          color=colour, label=f"{label}/{net}", **style)
    acc.set_xlabel("epoch")
    acc.set_ylabel("test top-1 (%)")
    acc.grid(alpha=0.3)
    acc.legend(fontsize=7)
    loss.set_xlabel("epoch")
    loss.set_ylabel("train cross-entropy")
    loss.grid(alpha=0.3)
    loss.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
