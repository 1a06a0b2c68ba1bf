#!/usr/bin/env python3
"""scripts/check-layers.py: passes on this repository, and fails — naming the file, the line and
both layers — on a small tree with an upward include, on an allow-list entry that no longer
occurs, and on a file in no layer."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(REPO, "scripts", "check-layers.py")


def run(root):
    p = subprocess.run([sys.executable, SCRIPT, root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def tree(files):
    root = tempfile.mkdtemp()
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


def expect(cond, what, out):
    if not cond:
        print(f"FAIL: {what}\n--- output ---\n{out}")
        sys.exit(1)


# The repository itself follows its layers (with the documented allow-list).
rc, out = run(REPO)
expect(rc == 0 and "layers OK" in out, "the repository passes", out)

# Every file of the allow-list is present here, so only the new violations count.
allowed = {f: '#include "core/tensor.h"\n' for f in [
    "kernels/elementwise.h", "kernels/linalg.h", "kernels/losses.h", "kernels/nn.h", "kernels/optim.h",
    "kernels/reduce.h", "kernels/cpu/nn_conv_paths.h", "kernels/cuda/label_check.h",
    "kernels/cuda/tensor_util.h", "kernels/cuda/multi_tensor_apply.cuh"]}
base = {"core/tensor.h": "", "core/error.h": "", "core/ops/elementwise.h": '#include "core/tensor.h"\n', **allowed}

rc, out = run(tree(base))
expect(rc == 0, "a tree with only allowed includes passes", out)

# A kernel including an op front-end (kernels -> ops), and the floor including the Tensor.
rc, out = run(tree({**base, "kernels/cpu/bad.cpp": '#include "core/error.h"\n#include "core/ops/elementwise.h"\n',
                    "kernels/cuda/runtime.cpp": '#include "core/tensor.h"\n'}))
expect(rc == 1, "an upward include fails", out)
expect("kernels/cpu/bad.cpp:2: includes core/ops/elementwise.h (kernels -> ops)" in out, "names file:line and layers", out)
expect("kernels/cuda/runtime.cpp:1: includes core/tensor.h (base -> tensor)" in out, "the floor may not include the Tensor", out)

# An allow-list entry that was fixed must be removed from the list.
fixed = dict(base)
fixed["kernels/reduce.h"] = '#include "core/error.h"\n'
rc, out = run(tree(fixed))
expect(rc == 1 and "stale allow-list entry: kernels/reduce.h" in out, "a stale allow-list entry fails", out)

# A library folder the table does not know.
rc, out = run(tree({**base, "newlayer/x.cpp": '#include "core/tensor.h"\n'}))
expect(rc == 1 and "newlayer/x.cpp: in no layer" in out, "a file in no layer fails", out)

print("check-layers OK")
