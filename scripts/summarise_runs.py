#!/usr/bin/env python3
"""Tables for docs/reproducing.md from the run directories scripts/reproduce.sh writes
(OUTDIR/<arm>-s<seed>/): per arm and network, mean ± std over seeds of the best and final
test top-1, the train-set posterior entropy (from `cohort eval --split train`), and the gain of
each distilled arm over its independent counterpart.

usage: summarise_runs.py OUTDIR            markdown tables on stdout
       summarise_runs.py --model-of FILE   the model name of a run's <network>.safetensors
"""
import glob
import json
import os
import re
import statistics
import sys

import yaml

# Distilled arm -> the independent arm it is compared with.
BASELINES = {"dml-resnet32": "independent-resnet32",
             "dml-mobilenet-resnet32": "independent-mobilenet-resnet32",
             "fitnet-resnet14": "independent-resnet14", "fsp-resnet14": "independent-resnet14",
             "fsp-resnet14-third": "independent-resnet14"}
# The papers' figures as the issue quotes them (DML: ResNet-32 alone 68.99, DML gains of about
# +1.5 to +2.5 points; FSP: teacher ~64 %, student alone 58.65 %, FSP student ~63 %).
PAPER = {("independent-resnet32", "resnet32"): "68.99", ("dml-resnet32", "resnet32"): "gain +1.5…+2.5",
         ("dml-mobilenet-resnet32", "resnet32"): "gain +1.5…+2.5",
         ("dml-mobilenet-resnet32", "mobilenet"): "gain +1.5…+2.5",
         ("teacher-resnet32", "resnet32"): "≈ 64", ("independent-resnet14", "resnet14"): "58.65",
         ("fsp-resnet14", "resnet14"): "≈ 63"}


def network_models(run_dir):
    with open(os.path.join(run_dir, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    return {n["name"]: n["model"] for n in cfg["networks"]}


def read_run(run_dir):
    """{network: {best, final, entropy_train}} from the summary record and eval outputs."""
    summary = None
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "summary":
                summary = rec
    if summary is None:
        return None
    out = {}
    for row in summary["networks"]:
        r = {"best": row["best_top1"], "final": row["final_top1"]}
        ent = os.path.join(run_dir, row["network"] + ".safetensors.train-entropy.txt")
        if os.path.exists(ent):
            m = re.search(r"mean entropy ([0-9.]+)", open(ent).read())
            if m:
                r["entropy_train"] = float(m.group(1))
        out[row["network"]] = r
    return out


def fmt(values):
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--model-of":
        path = sys.argv[2]
        print(network_models(os.path.dirname(path))[os.path.basename(path)[:-len(".safetensors")]])
        return 0
    root = sys.argv[1]
    arms = {}
    for run_dir in sorted(glob.glob(os.path.join(root, "*-s*"))):
        m = re.match(r"(.+)-s(\d+)$", os.path.basename(run_dir))
        if not m or not os.path.isdir(run_dir):
            continue
        res = read_run(run_dir)
        if res:
            arms.setdefault(m.group(1), []).append(res)
    print("| arm | network | seeds | best top-1 | final top-1 | gain (best) | train entropy | paper |")
    print("|---|---|---|---|---|---|---|---|")
    for arm, runs in arms.items():
        for net in runs[0]:
            best = [r[net]["best"] for r in runs if net in r]
            final = [r[net]["final"] for r in runs if net in r]
            ent = [r[net]["entropy_train"] for r in runs if net in r and "entropy_train" in r[net]]
            gain = "–"
            base = arms.get(BASELINES.get(arm, ""), [])
            # The baseline network of the same name, else the first of the same architecture.
            names = list(base[0]) if base else []
            base_net = net if net in names else next((n for n in names if n.split("_")[0] == net.split("_")[0]), None)
            if base_net:
                b = [r[base_net]["best"] for r in base if base_net in r]
                gain = f"{statistics.mean(best) - statistics.mean(b):+.2f}"
            model = net.split("_")[0]
            print(f"| {arm} | {net} | {len(best)} | {fmt(best)} | {fmt(final)} | {gain} | {fmt(ent)} | "
                  f"{PAPER.get((arm, model), '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
