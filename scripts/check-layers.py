#!/usr/bin/env python3
"""Checks that the include graph of the repository follows its layers (docs/architecture.md).

usage: check-layers.py [SOURCE_DIR] [--graph]

Every C++/CUDA file of the library belongs to one layer (LAYERS, the first matching pattern
wins) and may include files of its own layer and of the layers it names. An include of any other
layer is a violation; the script prints each one (file, line, included file, both layers) and
exits 1. There are no exceptions (the last ones, the kernels' includes of core/tensor.h, went when
the kernels moved to views). --graph prints the layer-to-layer include counts instead.

Only quoted includes that name a file of the repository ("core/tensor.h") count; system and
third-party headers are not part of the graph.
"""
import fnmatch
import os
import re
import sys
from collections import Counter

# The layers, lowest first: (name, path patterns, layers it may include besides itself).
LAYERS = [
    # The floor: errors, dtype/device, the Philox stream and the per-element math shared by both
    # backends, the device runtime (discovery, caching allocator, streams and handles, launch
    # checks), the backend facade with the dispatch macro, the profiler, the loss-kernel switch.
    ("base", [
        "core/error.*", "core/dtype.h", "core/device.h", "core/backend.*", "core/profiler.*",
        "core/cuda_info.*", "core/loss_kernels.*", "core/poison.*",
        "kernels/common/*",
        "kernels/cuda/runtime.*", "kernels/cuda/allocator.*", "kernels/cuda/context.*",
        "kernels/cuda/check.*", "kernels/cuda/memory_stats.h", "kernels/cuda/device_report.cpp",
        "kernels/cuda/device_util.h", "kernels/cuda/scratch.h",
    ], []),
    # The Tensor data type: storage, shape, dtype, device. Its computing members are declared in
    # core/tensor.h and defined in the ops layer (core/tensor.cpp).
    ("tensor", ["core/storage.*", "core/tensor.h"], ["base"]),
    # The kernels work on views of raw buffers (kernels/common/view.h): the floor only, never the
    # Tensor class.
    ("kernels", ["kernels/*"], ["base"]),
    # Op front-ends, autograd, the Tensor members that compute, random fills, init, safetensors.
    ("ops", ["core/*"], ["base", "tensor", "kernels"]),
    ("layers", ["layers/*"], ["base", "tensor", "ops"]),
    # The optimisers dispatch their fused updates to the kernels (kernels/optim.h) themselves.
    ("optim", ["optim/*"], ["base", "tensor", "kernels", "ops"]),
    ("datasets", ["datasets/*"], ["base", "tensor", "ops"]),
    ("distill", ["distill/*"], ["base", "tensor", "ops", "layers", "optim", "datasets"]),
    # Training over several processes: communicators and the strategies that use them; the
    # trainer (distill) receives them as TrainerOptions::make_strategy, never includes them.
    ("distributed", ["distributed/*"], ["base", "tensor", "ops", "layers", "optim", "datasets", "distill"]),
    # Programs on top of the library: everything below is theirs to use.
    ("apps", ["examples/*", "python/*", "tests/*", "benchmarks/*"],
     ["base", "tensor", "kernels", "ops", "layers", "optim", "datasets", "distill", "distributed"]),
]

SOURCE_SUFFIXES = (".h", ".cpp", ".cu", ".cuh", ".inc")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def layer_of(path):
    for name, patterns, _ in LAYERS:
        if any(fnmatch.fnmatch(path, p) for p in patterns):
            return name
    return None


def source_files(root):
    skip = {".git", "build", "build-gpu"}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in skip and not d.startswith(("build", ".")))
        for f in sorted(filenames):
            if f.endswith(SOURCE_SUFFIXES):
                yield os.path.normpath(os.path.join(rel_dir, f))


def includes(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        text = f.read()
    for m in INCLUDE.finditer(text):
        target = m.group(1)
        if os.path.isfile(os.path.join(root, target)):
            yield text.count("\n", 0, m.start()) + 1, target


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    allowed_of = {name: set(deps) | {name} for name, _, deps in LAYERS}

    graph = Counter()
    violations, unassigned = [], []
    for path in source_files(root):
        layer = layer_of(path)
        if layer is None:
            unassigned.append(path)
            continue
        for line, target in includes(root, path):
            target_layer = layer_of(target)
            if target_layer is None:
                continue
            graph[(layer, target_layer)] += 1
            if target_layer not in allowed_of[layer]:
                violations.append(f"{path}:{line}: includes {target} ({layer} -> {target_layer})")

    if "--graph" in argv:
        for (a, b), n in sorted(graph.items()):
            print(f"{a:9s} -> {b:9s} {n:4d}")
        return 0

    for path in unassigned:
        print(f"{path}: in no layer (add its folder to LAYERS in {os.path.basename(__file__)})")
    for v in violations:
        print(f"layer violation: {v}")
    if violations or unassigned:
        return 1
    print("layers OK: every include goes to the same or a lower layer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
