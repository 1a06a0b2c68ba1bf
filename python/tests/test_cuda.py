"""The CUDA path (an extension built with CUDA, on a machine with a GPU; skipped elsewhere):
zero-copy exchange of CUDA memory with PyTorch and cohort.torch on CUDA tensors."""
import numpy as np
import pytest
import torch

import cohort
import cohort.torch as ct

pytestmark = pytest.mark.skipif(
    not (cohort.cuda_is_available() and torch.cuda.is_available()),
    reason=f"no usable GPU for cohort ({cohort.cuda_unavailable_reason()}) or for PyTorch")


def test_cuda_tensors_cross_without_copies():
    x = torch.randn(64, 10, device="cuda")
    t = cohort.from_dlpack(x)
    assert t.device == "cuda:0" and t.data_ptr == x.data_ptr()
    y = torch.from_dlpack(cohort.ops.softmax(t))
    assert y.is_cuda
    torch.testing.assert_close(y, torch.softmax(x, dim=1), rtol=1e-5, atol=1e-6)


def test_numpy_of_a_cuda_tensor_is_an_error():
    with pytest.raises(ValueError, match="cuda"):
        np.asarray(cohort.ones([2], device="cuda"))


def test_dml_mimicry_on_cuda_matches_cpu():
    g = torch.Generator().manual_seed(0)
    cpu = [torch.randn(128, 100, generator=g).requires_grad_() for _ in range(3)]
    gpu = [z.detach().cuda().requires_grad_() for z in cpu]
    ours_cpu, ours_gpu = ct.dml_mimicry(cpu, 3.0), ct.dml_mimicry(gpu, 3.0)
    torch.testing.assert_close(ours_gpu.cpu(), ours_cpu, rtol=1e-5, atol=1e-6)
    ours_cpu.sum().backward()
    ours_gpu.sum().backward()
    for a, b in zip(cpu, gpu):
        torch.testing.assert_close(b.grad.cpu(), a.grad, rtol=1e-5, atol=1e-6)


def test_model_on_cuda_matches_cpu():
    model = cohort.models.create("resnet8", 10, seed=1)
    model.eval()
    x = cohort.randn([4, 3, 32, 32], seed=2)
    on_cpu = np.asarray(model(x))
    model.to("cuda")
    on_gpu = model(x.to("cuda")).to("cpu")
    np.testing.assert_allclose(np.asarray(on_gpu), on_cpu, rtol=1e-3, atol=1e-4)
