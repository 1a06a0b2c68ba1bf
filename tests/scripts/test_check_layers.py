#!/usr/bin/env python3
"""scripts/check-layers.py: passes on this repository, and fails — naming the file, the line and
both layers — on a small tree with an upward include (the kernels including the Tensor among
them), and on a file in no layer."""
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


# The repository itself follows its layers.
rc, out = run(REPO)
expect(rc == 0 and "layers OK" in out, "the repository passes", out)

# Kernels on views of the floor; the ops on the Tensor and the kernels.
base = {"core/tensor.h": '#include "core/error.h"\n', "core/error.h": "",
        "kernels/common/view.h": '#include "core/error.h"\n',
        "kernels/reduce.h": '#include "kernels/common/view.h"\n',
        "core/ops/elementwise.h": '#include "core/tensor.h"\n#include "kernels/reduce.h"\n'}

rc, out = run(tree(base))
expect(rc == 0, "a tree with only allowed includes passes", out)

# A kernel including an op front-end (kernels -> ops), and the floor including the Tensor.
rc, out = run(tree({**base, "kernels/cpu/bad.cpp": '#include "core/error.h"\n#include "core/ops/elementwise.h"\n',
                    "kernels/cuda/runtime.cpp": '#include "core/tensor.h"\n'}))
expect(rc == 1, "an upward include fails", out)
expect("kernels/cpu/bad.cpp:2: includes core/ops/elementwise.h (kernels -> ops)" in out, "names file:line and layers", out)
expect("kernels/cuda/runtime.cpp:1: includes core/tensor.h (base -> tensor)" in out, "the floor may not include the Tensor", out)

# A kernel header taking Tensors again (kernels -> tensor).
rc, out = run(tree({**base, "kernels/reduce.h": '#include "kernels/common/view.h"\n#include "core/tensor.h"\n'}))
expect(rc == 1 and "kernels/reduce.h:2: includes core/tensor.h (kernels -> tensor)" in out,
       "the kernels may not include the Tensor", out)

# A library folder the table does not know.
rc, out = run(tree({**base, "newlayer/x.cpp": '#include "core/tensor.h"\n'}))
expect(rc == 1 and "newlayer/x.cpp: in no layer" in out, "a file in no layer fails", out)

print("check-layers OK")
