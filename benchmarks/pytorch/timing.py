"""The PyTorch benchmarks' timer, twin of benchmarks/timing.h: `warmup` untimed calls, then
`runs` timed calls, each followed by `sync()` (torch.cuda.synchronize on a GPU)."""
import statistics
import time


def times_ms(fn, warmup, runs, sync=lambda: None):
    """Sorted wall-clock times of the timed calls, in milliseconds."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)


def median_ms(fn, warmup, runs, sync=lambda: None):
    return statistics.median(times_ms(fn, warmup, runs, sync))
