"""cohort: tensors with autograd, fused distillation losses and CIFAR models from C++.

`cohort.Tensor` shares memory with NumPy and PyTorch (DLPack / `__array__`), `cohort.ops` holds
the ops with autograd, `cohort.models` builds and runs the model zoo, `cohort.optim` has the
optimisers and schedules, `cohort.data` the datasets and the loader, and `cohort.torch` exposes
the fused distillation losses as `torch.autograd.Function`s. docs/python.md has examples.
"""
import contextlib
import ctypes
import sys

from . import _cohort
from ._cohort import (Tensor, arange, built_with_cuda, cuda_device_count, cuda_is_available,
                      cuda_unavailable_reason, data, full, grad_enabled, models, ones, ops,
                      optim, rand, randn, set_grad_enabled, zeros, load_safetensors,
                      save_safetensors)
from .training import Strategy, train

__all__ = ["Strategy", "Tensor", "arange", "built_with_cuda", "cuda_device_count", "cuda_is_available",
           "cuda_unavailable_reason", "data", "from_dlpack", "full", "grad_enabled", "models", "no_grad",
           "load_safetensors", "ones", "ops", "optim", "rand", "randn", "save_safetensors",
           "set_grad_enabled", "tensor", "train", "zeros"]

# The extension's submodules, importable by name (`import cohort.ops`, `from cohort.optim import
# SGD`); the type stubs describe them as packages (cohort/ops/__init__.pyi, ...).
for _name in ("ops", "models", "optim", "data"):
    sys.modules[f"{__name__}.{_name}"] = globals()[_name]


def _is_consumed_capsule(obj):
    """A DLPack capsule is renamed "used_dltensor" once a consumer has taken its tensor."""
    if type(obj).__name__ != "PyCapsule":
        return False
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.restype, is_valid.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
    return not is_valid(obj, b"dltensor")


def from_dlpack(array):
    """A cohort tensor over the memory of a DLPack or buffer-protocol array (no copy).

    The tensor keeps `array` alive. Non-contiguous or read-only arrays and consumed capsules are
    ValueErrors, unsupported element types and objects that are no arrays TypeErrors.
    """
    if getattr(getattr(array, "flags", None), "writeable", True) is False:
        raise ValueError("from_dlpack: the array is read-only and cohort tensors are writable; "
                         "pass a writable copy (numpy.array(a))")
    if _is_consumed_capsule(array):
        raise ValueError("from_dlpack: this DLPack capsule was already consumed (a capsule can be "
                         "imported once; export the array again)")
    return _cohort.from_dlpack(array)


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
