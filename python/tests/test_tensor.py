"""cohort.Tensor: zero-copy exchange with NumPy and PyTorch, autograd, errors on bad input."""
import gc

import numpy as np
import pytest
import torch

import cohort


def test_numpy_round_trip_shares_memory():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = cohort.from_dlpack(a)
    assert t.shape == (3, 4) and t.dtype == "f32" and t.device == "cpu"
    assert t.data_ptr == a.ctypes.data
    b = np.asarray(t)
    assert b.ctypes.data == a.ctypes.data
    a[1, 2] = 100.0
    assert b[1, 2] == 100.0 and t.numpy()[1, 2] == 100.0


def test_torch_round_trip_shares_memory():
    x = torch.randn(5, 7)
    t = cohort.from_dlpack(x)
    assert t.data_ptr == x.data_ptr()
    y = torch.from_dlpack(t)
    assert y.data_ptr() == x.data_ptr()
    assert torch.equal(y, x)


@pytest.mark.parametrize("np_dtype,name", [(np.float32, "f32"), (np.float64, "f64"),
                                           (np.int64, "i64"), (np.uint8, "u8")])
def test_every_dtype_round_trips(np_dtype, name):
    a = np.arange(6).astype(np_dtype)
    t = cohort.from_dlpack(a)
    assert t.dtype == name
    np.testing.assert_array_equal(np.asarray(t), a)
    assert torch.from_dlpack(t).data_ptr() == a.ctypes.data


def test_imported_memory_outlives_the_exporter():
    t = cohort.from_dlpack(np.full((4,), 3.0, dtype=np.float32))
    gc.collect()
    np.testing.assert_array_equal(np.asarray(t), [3.0] * 4)


def test_exported_memory_outlives_the_cohort_tensor():
    t = cohort.full([3], 2.5)
    y = torch.from_dlpack(t)
    a = np.asarray(t)
    del t
    gc.collect()
    assert y.tolist() == [2.5] * 3 and a.tolist() == [2.5] * 3


def test_non_contiguous_array_is_rejected():
    a = np.ones((4, 6), dtype=np.float32)[:, ::2]
    with pytest.raises(ValueError, match="not contiguous"):
        cohort.from_dlpack(a)
    with pytest.raises(ValueError, match="not contiguous"):
        cohort.from_dlpack(torch.ones(3, 4).t())


@pytest.mark.parametrize("bad", [np.ones(3, dtype=np.float16), np.ones(3, dtype=np.int32)])
def test_unsupported_dtype_is_a_type_error(bad):
    with pytest.raises(TypeError, match="unsupported element type"):
        cohort.from_dlpack(bad)


def test_op_errors_keep_the_cpp_message():
    a, b = cohort.ones([2, 3]), cohort.ones([4, 5])
    with pytest.raises(ValueError, match=r"matmul.*\[2, 3\].*\[4, 5\]"):
        cohort.ops.matmul(a, b)
    with pytest.raises(ValueError, match="dtype"):
        cohort.ops.add(cohort.ones([2]), cohort.ones([2], dtype="f64"))
    with pytest.raises(ValueError, match="unknown dtype 'f16'"):
        cohort.zeros([2], dtype="f16")
    with pytest.raises(TypeError):
        cohort.ops.exp("not a tensor")


def test_autograd_through_ops():
    x = cohort.tensor(np.array([1.0, -2.0, 3.0], dtype=np.float64))
    x.requires_grad = True
    y = cohort.ops.sum(x * x + cohort.ops.exp(x))
    y.backward()
    expected = 2 * np.array([1.0, -2.0, 3.0]) + np.exp([1.0, -2.0, 3.0])
    np.testing.assert_allclose(np.asarray(x.grad), expected, rtol=1e-12)


def test_no_grad_stops_recording():
    x = cohort.ones([2]).requires_grad_()
    with cohort.no_grad():
        y = x * 2.0
    assert not y.requires_grad
    assert cohort.grad_enabled()
    assert (x * 2.0).requires_grad


def test_ops_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    ta, tb = cohort.from_dlpack(a), cohort.from_dlpack(b)
    np.testing.assert_allclose(np.asarray(cohort.ops.matmul(ta, tb)), a @ b, rtol=1e-5, atol=1e-6)
    soft = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(cohort.ops.softmax(ta)), soft, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(cohort.ops.sum(ta, [1])), a.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(1.0 - ta), 1.0 - a)


def test_scalar_and_indexing():
    t = cohort.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert len(t) == 2
    assert t[1].shape == (3,)
    np.testing.assert_array_equal(np.asarray(t[-1]), [3.0, 4.0, 5.0])
    with pytest.raises(IndexError, match="out of range"):
        t[2]
    assert cohort.ops.sum(t).item() == 15.0
    s = cohort.from_dlpack(np.array(2.5))
    assert s.shape == () and s.item() == 2.5
    empty = cohort.from_dlpack(np.zeros((0, 3), dtype=np.float32))
    assert np.asarray(empty).shape == (0, 3)


def test_read_only_arrays_are_rejected():
    a = np.ones(3, dtype=np.float32)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cohort.from_dlpack(a)


def test_dlpack_capsules_import_once():
    from torch.utils.dlpack import to_dlpack

    x = torch.arange(4.0)
    capsule = to_dlpack(x)
    assert cohort.from_dlpack(capsule).data_ptr == x.data_ptr()
    with pytest.raises(ValueError, match="already consumed"):
        cohort.from_dlpack(capsule)


def test_objects_that_are_no_arrays_are_type_errors():
    with pytest.raises(TypeError):
        cohort.from_dlpack([1.0, 2.0])


def test_device_errors():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        cohort.zeros([2], device="tpu")
    if not cohort.cuda_is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            cohort.zeros([2], device="cuda")
    a = cohort.ones([2])
    with pytest.raises(ValueError, match="unknown dtype or device 'gpu'"):
        a.to("gpu")
