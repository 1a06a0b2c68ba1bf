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


def _matmul():
    a = cohort.randn([1024, 1024], seed=0)
    return lambda: cohort.ops.matmul(a, a)


def _backward():
    x = cohort.randn([768, 768], seed=1).requires_grad_()
    return lambda: cohort.ops.sum(cohort.ops.matmul(x, x)).backward()


def _model_forward():
    model, x = cohort.models.create("resnet8", 10), cohort.randn([32, 3, 32, 32])
    return lambda: model(x)


@pytest.mark.parametrize("make_call", [_matmul, _backward, _model_forward])
def test_gil_released(make_call):
    # Calls of tens of milliseconds, so the waiting thread gets scheduled; a few tries because a
    # busy machine may still not run it in time. With the GIL held every try counts 0.
    call = make_call()
    assert any(_python_runs_during(call) > 0 for _ in range(3))
