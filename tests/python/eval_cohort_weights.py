"""Loads a weights file written by cohort's nn::save_weights into the same architecture built in
PyTorch (torch_models.py), strictly, and writes the eval-mode logits on a given input. Run by
tests/layers/test_weights.cpp as a subprocess (COHORT_TORCH_PYTHON); exits non-zero, with the
reason on stderr, when the file does not load as a PyTorch state_dict.

The file is read with the `safetensors` package when it is installed (the reader PyTorch users
have), else with st.py, this folder's reader of the same format.

usage: eval_cohort_weights.py MODEL NUM_CLASSES OPTIONS_JSON WEIGHTS INPUT OUT
    OPTIONS_JSON  {"in_channels": 3, "width": 1.0, "shortcut_b": false}
    INPUT         safetensors file with "x" [N, C, H, W] f32
    OUT           written: "logits" [N, NUM_CLASSES] f32
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
import torch_models  # noqa: E402

try:
    from safetensors.torch import load_file
    READER = "safetensors"
except ImportError:
    load_file = st.load
    READER = "st.py"


def main():
    name, classes, options, weights, inp, out = sys.argv[1:7]
    options = json.loads(options)
    model = torch_models.make_model(name, int(classes), **options)
    state = load_file(weights)
    expected = model.state_dict()
    # load_state_dict would silently convert dtypes: insist on PyTorch's own (f32, i64 counters).
    for key, t in state.items():
        if key in expected and (t.dtype != expected[key].dtype or t.shape != expected[key].shape):
            sys.exit(f"{weights}: {key} is {t.dtype} {list(t.shape)}, PyTorch's {name} has "
                     f"{expected[key].dtype} {list(expected[key].shape)}")
    model.load_state_dict(state, strict=True)  # raises listing missing/unexpected keys
    model.eval()
    with torch.no_grad():
        logits = model.forward_features(st.load(inp)["x"])[0]
    st.save(out, {"logits": logits}, {"reader": READER})


if __name__ == "__main__":
    main()
