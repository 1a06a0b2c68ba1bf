"""PyTorch reference trajectories for the optimisers and LR schedules (tests/optim).

For every case: four f64 parameters on a diagonal quadratic with a fixed noise sequence,
    grad_k(p) = curv * (p - target) + noise_k,
are trained for STEPS steps with torch.optim (+ torch.optim.lr_scheduler). "late.weight" gets a
gradient only from step LATE_START on and "frozen" never does (both are skipped while their
grad is None, as optimisers must). Stored per case, in optim_<case>.safetensors:
    init.<name>, curv.<name>, target.<name>, noise.<k>.<name>   the problem
    after.<k>.<name>   every parameter after step k
    lr.<k>             the learning rate of each group used by step k
and the case's configuration as JSON in the metadata ("config"), which the C++ test reads to
build the same optimiser and schedule.

usage: ref_optim.py OUTDIR
"""
import json
import math
import os
import sys

import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

STEPS = 20
LATE_START = 5
SHAPES = {"fc.weight": (3, 4), "fc.bias": (3,), "late.weight": (5, 2), "frozen": (2,)}

SGD_NESTEROV = {"lr": 0.1, "momentum": 0.9, "nesterov": True}
TWO_LRS = [{"params": ["fc.weight", "late.weight"]}, {"params": ["fc.bias", "frozen"], "lr": 0.05}]

CASES = {
    "sgd_plain": {"optimizer": "sgd", "options": {"lr": 0.1}},
    "sgd_weight_decay": {"optimizer": "sgd", "options": {"lr": 0.1, "weight_decay": 0.05}},
    "sgd_momentum": {"optimizer": "sgd", "options": {"lr": 0.05, "momentum": 0.9}},
    "sgd_momentum_dampening_wd": {"optimizer": "sgd", "options": {
        "lr": 0.05, "momentum": 0.9, "dampening": 0.25, "weight_decay": 0.01}},
    "sgd_nesterov": {"optimizer": "sgd", "options": {"lr": 0.05, "momentum": 0.9, "nesterov": True}},
    "sgd_nesterov_wd": {"optimizer": "sgd", "options": {
        "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.02}},
    # Groups from optim::split_weight_decay (C++) = the rule written out here for PyTorch.
    "sgd_split_weight_decay": {"optimizer": "sgd", "options": SGD_NESTEROV,
                               "split_weight_decay": 0.02},
    "sgd_group_overrides": {"optimizer": "sgd", "options": {"lr": 0.05, "momentum": 0.9},
                            "groups": [{"params": ["fc.weight", "late.weight"]},
                                       {"params": ["fc.bias", "frozen"], "lr": 0.2,
                                        "momentum": 0.5, "weight_decay": 0.1}]},
    "adam": {"optimizer": "adam", "options": {"lr": 0.01}},
    "adam_beta1_05_wd": {"optimizer": "adam", "options": {
        "lr": 0.01, "betas": [0.5, 0.999], "weight_decay": 0.01}},
    "adam_amsgrad": {"optimizer": "adam", "options": {"lr": 0.01, "betas": [0.9, 0.99],
                                                      "amsgrad": True}},
    "adamw": {"optimizer": "adamw", "options": {"lr": 0.01, "weight_decay": 0.1}},
    "adamw_amsgrad_groups": {"optimizer": "adamw", "options": {
        "lr": 0.01, "weight_decay": 0.05, "amsgrad": True},
        "groups": [{"params": ["fc.weight", "late.weight"]},
                   {"params": ["fc.bias", "frozen"], "weight_decay": 0.0, "betas": [0.5, 0.9]}]},
    "sched_step_lr": {"optimizer": "sgd", "options": SGD_NESTEROV, "groups": TWO_LRS,
                      "schedule": {"type": "step_lr", "step_size": 6, "gamma": 0.5}},
    "sched_multi_step": {"optimizer": "sgd", "options": SGD_NESTEROV, "groups": TWO_LRS,
                         "schedule": {"type": "multi_step", "milestones": [5, 12], "gamma": 0.1}},
    "sched_cosine": {"optimizer": "sgd", "options": SGD_NESTEROV, "groups": TWO_LRS,
                     "schedule": {"type": "cosine", "T_max": 15, "eta_min": 0.001}},
    "sched_warmup_cosine": {"optimizer": "sgd", "options": SGD_NESTEROV, "groups": TWO_LRS,
                            "schedule": {"type": "warmup", "steps": 4, "start_factor": 0.1,
                                         "mode": "sequential",
                                         "after": {"type": "cosine", "T_max": 16,
                                                   "eta_min": 0.0}}},
    "sched_warmup_multi_step_chained": {
        "optimizer": "sgd", "options": SGD_NESTEROV, "groups": TWO_LRS,
        "schedule": {"type": "warmup", "steps": 5, "start_factor": 0.25, "mode": "chained",
                     "after": {"type": "multi_step", "milestones": [8, 14], "gamma": 0.1}}},
    "sched_warmup_cosine_adamw": {
        "optimizer": "adamw", "options": {"lr": 0.02, "weight_decay": 0.05},
        "schedule": {"type": "warmup", "steps": 3, "start_factor": 0.2, "mode": "sequential",
                     "after": {"type": "cosine", "T_max": 17, "eta_min": 0.001}}},
}


def no_decay(name, p):
    """optim::is_no_decay: at most one dimension, or a bias by name."""
    return p.dim() <= 1 or name == "bias" or name.endswith(".bias")


def torch_groups(cfg, params):
    if "split_weight_decay" in cfg:
        wd = cfg["split_weight_decay"]
        decay = [p for n, p in params.items() if not no_decay(n, p)]
        rest = [p for n, p in params.items() if no_decay(n, p)]
        return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]
    if "groups" in cfg:
        out = []
        for g in cfg["groups"]:
            group = {k: (tuple(v) if k == "betas" else v) for k, v in g.items() if k != "params"}
            group["params"] = [params[n] for n in g["params"]]
            out.append(group)
        return out
    return [{"params": list(params.values())}]


def make_optimizer(cfg, params):
    opts = dict(cfg["options"])
    if "betas" in opts:
        opts["betas"] = tuple(opts["betas"])
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    return cls[cfg["optimizer"]](torch_groups(cfg, params), **opts)


def make_scheduler(spec, opt):
    t = spec["type"]
    sched = torch.optim.lr_scheduler
    if t == "step_lr":
        return sched.StepLR(opt, step_size=spec["step_size"], gamma=spec["gamma"])
    if t == "multi_step":
        return sched.MultiStepLR(opt, milestones=spec["milestones"], gamma=spec["gamma"])
    if t == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=spec["T_max"], eta_min=spec["eta_min"])
    if t == "warmup":
        warm = sched.LinearLR(opt, start_factor=spec["start_factor"], end_factor=1.0,
                              total_iters=spec["steps"])
        after = make_scheduler(spec["after"], opt)
        if spec["mode"] == "sequential":
            return sched.SequentialLR(opt, [warm, after], milestones=[spec["steps"]])
        return sched.ChainedScheduler([warm, after])
    raise ValueError(t)


def closed_form(spec, base, t):
    """The closed forms docs/optim.md states, to check what PyTorch's recursive forms did."""
    ty = spec["type"]
    if ty == "step_lr":
        return base * spec["gamma"] ** (t // spec["step_size"])
    if ty == "multi_step":
        return base * spec["gamma"] ** sum(1 for m in spec["milestones"] if m <= t)
    if ty == "cosine":
        e = spec["eta_min"]
        return e + (base - e) * (1 + math.cos(math.pi * t / spec["T_max"])) / 2
    w, f0 = spec["steps"], spec["start_factor"]
    factor = f0 + (1 - f0) * min(t, w) / w
    if spec["mode"] == "sequential":
        return base * factor if t < w else closed_form(spec["after"], base, t - w)
    return factor * closed_form(spec["after"], base, t)


def run_case(name, cfg, out_dir):
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    tensors = {}
    params, curv, target = {}, {}, {}
    for n, shape in SHAPES.items():
        params[n] = torch.randn(shape, generator=gen, dtype=torch.float64).requires_grad_()
        curv[n] = 0.5 + 1.5 * torch.rand(shape, generator=gen, dtype=torch.float64)
        target[n] = torch.randn(shape, generator=gen, dtype=torch.float64)
        tensors["init." + n] = params[n].detach().clone()
        tensors["curv." + n] = curv[n]
        tensors["target." + n] = target[n]
    opt = make_optimizer(cfg, params)
    sched = make_scheduler(cfg["schedule"], opt) if "schedule" in cfg else None
    base_lrs = [g.get("initial_lr", g["lr"]) for g in opt.param_groups]
    for k in range(STEPS):
        lrs = [g["lr"] for g in opt.param_groups]
        if sched is not None:
            for base, lr in zip(base_lrs, lrs):
                ref = closed_form(cfg["schedule"], base, k)
                assert abs(lr - ref) <= 1e-12 * abs(ref) + 1e-15, (name, k, lr, ref)
        tensors["lr.%d" % k] = torch.tensor(lrs, dtype=torch.float64)
        for n, p in params.items():
            noise = 0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            tensors["noise.%d.%s" % (k, n)] = noise
            has_grad = n != "frozen" and (n != "late.weight" or k >= LATE_START)
            p.grad = curv[n] * (p.detach() - target[n]) + noise if has_grad else None
        opt.step()
        if sched is not None:
            sched.step()
        for n, p in params.items():
            tensors["after.%d.%s" % (k, n)] = p.detach().clone()
    meta = dict(cfg, steps=STEPS, late_start=LATE_START, names=list(SHAPES))
    st.save(os.path.join(out_dir, "optim_%s.safetensors" % name), tensors,
            {"config": json.dumps(meta)})


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    # SequentialLR calls step(0) on the schedule it switches to, which warns; that is PyTorch's
    # own internal use, not ours.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    for name, cfg in CASES.items():
        run_case(name, cfg, out_dir)
    print("ref_optim: wrote %d cases" % len(CASES))


if __name__ == "__main__":
    main()
