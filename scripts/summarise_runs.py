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
             "fsp-resnet14-third": "independent-resnet14",
             # --protocol cpu-scale: the 20-epoch independent ResNet-8 students of
             # independent-resnet8x2 are also the FSP table's "independent" row (same recipe).
             "dml-resnet8x2": "independent-resnet8x2", "dml-resnet8x2-sequential": "independent-resnet8x2",
             "dml-resnet8x3": "independent-resnet8x2", "fitnet-resnet8": "independent-resnet8x2",
             "fsp-resnet8": "independent-resnet8x2", "fsp-resnet8-third": "independent-resnet8-third"}
# The papers' published figures (DML: ResNet-32 alone 68.99, DML gains of about
# +1.5 to +2.5 points; FSP: teacher ~64 %, student alone 58.65 %, FSP student ~63 %).
PAPER = {("independent-resnet32", "resnet32"): "68.99", ("dml-resnet32", "resnet32"): "gain +1.5…+2.5",
         ("dml-mobilenet-resnet32", "resnet32"): "gain +1.5…+2.5",
         ("dml-mobilenet-resnet32", "mobilenet"): "gain +1.5…+2.5",
         ("teacher-resnet32", "resnet32"): "≈ 64", ("independent-resnet14", "resnet14"): "58.65",
         ("fitnet-resnet14", "resnet14"): "61.28", ("fsp-resnet14", "resnet14"): "63.33"}
# The FSP table's rows, in the paper's order: (role, arm of the papers' protocol, arm of the
# cpu-scale protocol). The cpu-scale "independent" student is independent-resnet8x2 (both of its
# networks, same recipe as the students).
FSP_ROWS = [("teacher", "teacher-resnet32", "teacher-resnet14"),
            ("student alone", "independent-resnet14", "independent-resnet8x2"),
            ("FitNet", "fitnet-resnet14", "fitnet-resnet8"),
            ("FSP", "fsp-resnet14", "fsp-resnet8"),
            ("FSP, a third of the training", "fsp-resnet14-third", "fsp-resnet8-third"),
            ("student alone, a third of the training", None, "independent-resnet8-third")]


def network_models(run_dir):
    with open(os.path.join(run_dir, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    return {n["name"]: n["model"] for n in cfg["networks"]}


def read_run(run_dir):
    """{network: {best, final, entropy_train}} from the summary record and eval outputs."""
    summary = None
    if not os.path.exists(os.path.join(run_dir, "metrics.jsonl")):
        return None  # a run that has not started its first epoch
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "summary":
                summary = rec
    if summary is None:
        return None
    last_eval = None
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "eval":
                last_eval = rec
    out = {}
    for row in summary["networks"]:
        r = {"best": row["best_top1"], "final": row["final_top1"], "final5": row.get("final_top5")}
        ent = os.path.join(run_dir, row["network"] + ".safetensors.train-entropy.txt")
        if os.path.exists(ent):
            m = re.search(r"mean entropy ([0-9.]+)", open(ent).read())
            if m:
                r["entropy_train"] = float(m.group(1))
        out[row["network"]] = r
    ensemble = {}
    # Single-network runs of older binaries wrote ensemble_best_top1 = 0: no ensemble there.
    if "ensemble_best_top1" in summary and len(summary["networks"]) > 1:
        ensemble["best"] = summary["ensemble_best_top1"]
    if last_eval and "ensemble" in last_eval:
        ensemble["final"] = last_eval["ensemble"]["top1"]
    return {"networks": out, "ensemble": ensemble, "wall_s": summary.get("wall_time_s")}


def fmt(values, sign=""):
    """mean ± sample std of the values (2 decimals); sign="+" prints the mean's sign."""
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:{sign}.2f}"
    return f"{statistics.mean(values):{sign}.2f} ± {statistics.stdev(values):.2f}"


def print_ensembles(seeds_of):
    """The ensemble (mean of the networks' softmax) of every multi-network arm."""
    rows = [(arm, [r["ensemble"] for r in runs.values() if r["ensemble"]]) for arm, runs in seeds_of.items()]
    rows = [(arm, e) for arm, e in rows if e]
    if not rows:
        return
    print("\n| arm | seeds | ensemble best top-1 | ensemble final top-1 |")
    print("|---|---|---|---|")
    for arm, ens in rows:
        print(f"| {arm} | {len(ens)} | {fmt([e['best'] for e in ens if 'best' in e])} | "
              f"{fmt([e['final'] for e in ens if 'final' in e])} |")


def mean_best(res):
    return statistics.mean(n["best"] for n in res["networks"].values())


def print_paired_gains(seeds_of):
    """Gain over the baseline arm seed by seed (mean best top-1 of the arm's networks minus the
    baseline's), then mean ± std over the seeds both arms have: the std of the gain itself."""
    rows = []
    for arm, runs in seeds_of.items():
        base = seeds_of.get(BASELINES.get(arm, ""), {})
        common = sorted(set(runs) & set(base))
        if common:
            rows.append((arm, BASELINES[arm], common, [mean_best(runs[s]) - mean_best(base[s]) for s in common]))
    if not rows:
        return
    print("\n| arm | vs | seeds | gain in mean best top-1, per seed | mean ± std |")
    print("|---|---|---|---|---|")
    for arm, base, common, gains in rows:
        per = ", ".join(f"s{s}: {g:+.2f}" for s, g in zip(common, gains))
        print(f"| {arm} | {base} | {len(common)} | {per} | {fmt(gains, '+')} |")


def print_fsp_table(seeds_of):
    """The FSP paper's table: teacher / student alone / FitNet / FSP / the fast-optimisation arms.
    Every network of every seed of an arm is one sample (independent-resnet8x2 gives two)."""
    rows = []
    for role, papers_arm, cpu_arm in FSP_ROWS:
        for arm in (papers_arm, cpu_arm):
            runs = seeds_of.get(arm or "", {})
            nets = [n for r in runs.values() for n in r["networks"].values()]
            if nets:
                model = next(iter(next(iter(runs.values()))["networks"])).split("_")[0]
                rows.append((role, arm, len(runs), nets, PAPER.get((arm, model), "")))
    if not any(arm not in ("independent-resnet8x2", "independent-resnet14") for _, arm, *_ in rows):
        return  # no FSP-experiment run yet
    print("\n| FSP table | arm | seeds | networks | best top-1 | final top-1 | final top-5 | paper |")
    print("|---|---|---|---|---|---|---|---|")
    for role, arm, seeds, nets, paper in rows:
        top5 = [n["final5"] for n in nets if n.get("final5") is not None]
        print(f"| {role} | {arm} | {seeds} | {len(nets)} | {fmt([n['best'] for n in nets])} | "
              f"{fmt([n['final'] for n in nets])} | {fmt(top5)} | {paper} |")


def print_runs(seeds_of):
    print("\n| run | wall time of the finishing invocation |")
    print("|---|---|")
    for arm, runs in seeds_of.items():
        for seed, r in sorted(runs.items()):
            w = r["wall_s"]
            print(f"| {arm}-s{seed} | {'–' if w is None else f'{w / 60:.1f} min'} |")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--model-of":
        path = sys.argv[2]
        print(network_models(os.path.dirname(path))[os.path.basename(path)[:-len(".safetensors")]])
        return 0
    root = sys.argv[1]
    arms, seeds_of = {}, {}
    for run_dir in sorted(glob.glob(os.path.join(root, "*-s*"))):
        m = re.match(r"(.+)-s(\d+)$", os.path.basename(run_dir))
        if not m or not os.path.isdir(run_dir):
            continue
        res = read_run(run_dir)
        if res:
            arms.setdefault(m.group(1), []).append(res["networks"])
            seeds_of.setdefault(m.group(1), {})[int(m.group(2))] = res
    print("| arm | network | seeds | best top-1 | final top-1 | final top-5 | gain (best) | train entropy | paper |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arm, runs in arms.items():
        for net in runs[0]:
            best = [r[net]["best"] for r in runs if net in r]
            final = [r[net]["final"] for r in runs if net in r]
            final5 = [r[net]["final5"] for r in runs if net in r and r[net].get("final5") is not None]
            ent = [r[net]["entropy_train"] for r in runs if net in r and "entropy_train" in r[net]]
            gain = "–"
            base = arms.get(BASELINES.get(arm, ""), [])
            # The baseline network of the same name, else every one of the same architecture
            # (fsp-resnet8's "resnet8" against both students of independent-resnet8x2).
            names = list(base[0]) if base else []
            base_nets = [net] if net in names else [n for n in names if n.split("_")[0] == net.split("_")[0]]
            b = [r[n]["best"] for r in base for n in base_nets if n in r]
            if b:
                gain = f"{statistics.mean(best) - statistics.mean(b):+.2f}"
            model = net.split("_")[0]
            print(f"| {arm} | {net} | {len(best)} | {fmt(best)} | {fmt(final)} | {fmt(final5)} | {gain} | "
                  f"{fmt(ent)} | {PAPER.get((arm, model), '')} |")
    print_ensembles(seeds_of)
    print_paired_gains(seeds_of)
    print_fsp_table(seeds_of)
    print_runs(seeds_of)
    return 0


if __name__ == "__main__":
    sys.exit(main())
