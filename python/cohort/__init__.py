"""cohort: tensors with autograd, fused distillation losses and CIFAR models from C++.

`cohort.Tensor` shares memory with NumPy and PyTorch (DLPack / `__array__`), `cohort.ops` holds
the ops with autograd, `cohort.models` builds and runs the model zoo, `cohort.optim` has the optimisers and
schedules, and `cohort.torch` exposes
the fused distillation losses as `torch.autograd.Function`s. docs/python.md has examples.
"""
import contextlib
import sys

from ._cohort import (Tensor, arange, built_with_cuda, cuda_device_count, cuda_is_available,
                      cuda_unavailable_reason, data, from_dlpack, full, grad_enabled, models, ones, ops,
                      optim, rand, randn, set_grad_enabled, zeros)

__all__ = ["Tensor", "arange", "built_with_cuda", "cuda_device_count", "cuda_is_available",
           "cuda_unavailable_reason", "data", "from_dlpack", "full", "grad_enabled", "models", "no_grad",
           "ones", "ops", "optim", "rand", "randn", "set_grad_enabled", "tensor", "zeros"]

# The extension's submodules, importable by name (`import cohort.ops`, `from cohort.optim import
# SGD`); the type stubs describe them as packages (cohort/ops/__init__.pyi, ...).
for _name in ("ops", "models", "optim", "data"):
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]


@contextlib.contextmanager
def no_grad():
    """Disables autograd recording inside the block (like torch.no_grad)."""
    previous = grad_enabled()
    set_grad_enabled(False)
    try:
        yield
    finally:
        set_grad_enabled(previous)


def tensor(data, dtype=None):
    """A new cohort tensor holding a copy of `data` (anything numpy.asarray accepts)."""
    import numpy as np

    array = np.ascontiguousarray(np.asarray(data, dtype=dtype))
    return from_dlpack(array).clone()
