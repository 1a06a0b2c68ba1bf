"""Kernels, backward passes and model forwards run without the GIL: another Python thread makes
progress while they run."""
import sys
import threading

import pytest

import cohort


def _python_runs_during(call):
    """Counts the main thread's loop iterations while `call` runs in another thread.

    With a long switch interval a thread that holds the GIL is never preempted in between, so
    the count is exactly 0 unless `call` releases the GIL.
    """
    counter, done, result = [0], [False], {}

    def worker():
        before = counter[0]
        call()
        result["during"] = counter[0] - before
        done[0] = True

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        while not done[0]:
            counter[0] += 1
        thread.join()
    finally:
        sys.setswitchinterval(previous)
    return result["during"]


def _backward():
    x = cohort.randn([256, 256], seed=1).requires_grad_()
    y = cohort.ops.sum(cohort.ops.matmul(x, x))
    return lambda: y.backward()


@pytest.mark.parametrize("make_call", [
    lambda: (lambda a: lambda: cohort.ops.matmul(a, a))(cohort.randn([384, 384], seed=0)),
    _backward,
    lambda: (lambda m, x: lambda: m(x))(cohort.models.create("resnet8", 10), cohort.randn([8, 3, 32, 32])),
], ids=["matmul", "backward", "model_forward"])
def test_gil_released(make_call):
    assert _python_runs_during(make_call()) > 0
