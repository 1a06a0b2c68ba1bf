"""PyTorch references for the whole models (tests/layers/test_models_torch.cpp).

usage: ref_models.py OUTDIR   (run by make_references.sh with Debian's /usr/bin/python3)

Writes, with the architectures of torch_models.py (cohort's names):
  models_param_counts.safetensors   count.<case> (i64 []): sum of p.numel() over the PyTorch
                                    model's parameters, for every case of COUNT_CASES;
                                    flops.<case> (i64 []): 2 x multiply-adds of its Conv2d and
                                    Linear layers on one 32x32 image (forward hooks), except
                                    the NO_FLOPS cases; metadata "cases": the cases' options (JSON).
  models_<case>_weights.safetensors the f32 state_dict of a PARITY_CASES model as PyTorch
                                    would save it (metadata format=pt), BN weights, biases and
                                    running statistics randomised so that every term matters.
  models_<case>.safetensors         in f64 (the model converted with .double()):
      x [B,C,H,W], labels [B] (i64)                      the batch
      train.logits, train.features.<i>, train.embedding  forward_features in train mode
      loss                                               F.cross_entropy (mean)
      grad.<param>                                       every parameter's gradient
      after.<buffer>                                     every BN buffer after that step
      eval.logits                                        eval mode with the updated statistics
    metadata: model, num_classes, in_channels, width, shortcut_b, batch, size, state_keys
    (the state_dict keys in order, JSON).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
import torch_models  # noqa: E402

# (case, registry name, num_classes, options)
COUNT_CASES = [
    ("resnet8", "resnet8", 100, {}), ("resnet14", "resnet14", 100, {}),
    ("resnet20", "resnet20", 100, {}), ("resnet26", "resnet26", 100, {}),
    ("resnet32", "resnet32", 100, {}), ("resnet110", "resnet110", 100, {}),
    ("resnet32_c10", "resnet32", 10, {}), ("resnet20_b", "resnet20", 100, {"shortcut_b": True}),
    ("wrn-28-10", "wrn-28-10", 100, {}), ("wrn-16-4", "wrn-16-4", 100, {}),
    ("wrn-16-2", "wrn-16-2", 10, {}),
    ("mobilenet", "mobilenet", 100, {}), ("mobilenet_w0.5", "mobilenet", 100, {"width": 0.5}),
    ("resnet18", "resnet18", 100, {}), ("cnn-small", "cnn-small", 10, {}),
]

# Their FLOPs take the C++ test seconds (a forward each) and cover nothing new: smaller members
# of the same families are counted.
NO_FLOPS = {"wrn-28-10", "wrn-16-4", "resnet110"}

# (case, registry name, num_classes, options, batch, image size). Batch 6 keeps the deepest
# BN layers (2x2 in MobileNet) on 24 values per channel.
PARITY_CASES = [
    ("resnet8", "resnet8", 10, {}, 6, 32),
    ("resnet32", "resnet32", 10, {}, 4, 32),
    ("wrn-16-2", "wrn-16-2", 10, {}, 6, 32),
    ("mobilenet_w0.25", "mobilenet", 100, {"width": 0.25}, 6, 32),
    ("cnn-small", "cnn-small", 10, {"in_channels": 1}, 8, 28),
]


def count_flops(model, in_channels):
    """2 x multiply-adds of every Conv2d and Linear for one 32x32 image (cohort's convention)."""
    macs = []

    def hook(m, inputs, output):
        if isinstance(m, torch.nn.Conv2d):
            k = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        else:
            k = m.in_features
        macs.append(output.numel() * k)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    model.eval()
    with torch.no_grad():
        model.forward_features(torch.zeros(1, in_channels, 32, 32))
    for h in handles:
        h.remove()
    return 2 * sum(macs)


def write_counts(out):
    counts, cases = {}, []
    for case, name, classes, opts in COUNT_CASES:
        torch.manual_seed(0)
        model = torch_models.make_model(name, classes, **opts)
        counts[f"count.{case}"] = torch.tensor(torch_models.num_parameters(model), dtype=torch.int64)
        if case not in NO_FLOPS:
            counts[f"flops.{case}"] = torch.tensor(count_flops(model, 3), dtype=torch.int64)
        cases.append({"case": case, "model": name, "num_classes": classes,
                      "width": opts.get("width", 1.0), "shortcut_b": opts.get("shortcut_b", False)})
    st.save(os.path.join(out, "models_param_counts.safetensors"), counts,
            {"cases": json.dumps(cases)})


def randomise_bn(model, gen):
    """BN weights/biases/statistics and classifier biases away from 1/0 so each one matters."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(3)
            elif isinstance(m, torch.nn.Linear) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def write_parity(out, case, name, classes, opts, batch, size):
    gen = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)
    model = torch_models.make_model(name, classes, **opts)
    randomise_bn(model, gen)
    state = model.state_dict()
    st.save(os.path.join(out, f"models_{case}_weights.safetensors"), state, {"format": "pt"})

    in_channels = opts.get("in_channels", 3)
    x = torch.randn(batch, in_channels, size, size, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    model.double().train()
    logits, feats, emb = model.forward_features(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    ref = {"x": x, "labels": labels, "train.logits": logits, "train.embedding": emb, "loss": loss}
    for i, f in enumerate(feats):
        ref[f"train.features.{i}"] = f
    for k, p in model.named_parameters():
        ref[f"grad.{k}"] = p.grad
    for k, b in model.named_buffers():
        ref[f"after.{k}"] = b
    model.eval()
    with torch.no_grad():
        ref["eval.logits"] = model.forward_features(x)[0]
    meta = {"model": name, "num_classes": classes, "in_channels": in_channels,
            "width": opts.get("width", 1.0), "shortcut_b": int(opts.get("shortcut_b", False)),
            "batch": batch, "size": size, "features": len(feats),
            "state_keys": json.dumps(list(state.keys()))}
    st.save(os.path.join(out, f"models_{case}.safetensors"), ref, meta)


def main():
    out = sys.argv[1]
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    write_counts(out)
    for case in PARITY_CASES:
        write_parity(out, *case)


if __name__ == "__main__":
    main()
