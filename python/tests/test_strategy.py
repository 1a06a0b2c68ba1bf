"""cohort.Strategy: a distillation strategy driven step by step from Python."""
import numpy as np
import pytest

import cohort

CONFIG = {
    "seed": 1,
    "device": "cpu",
    "networks": ["cnn-small", "cnn-small"],
    "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
    "schedule": {"name": "constant"},
    "strategy": {"name": "dml", "temperature": 2},
}


def _batch():
    images = cohort.randn([16, 3, 32, 32], seed=4)
    labels = cohort.tensor(np.arange(16) % 10)
    return images, labels


def _run(steps):
    strategy = cohort.Strategy(CONFIG, num_classes=10)
    strategy.begin_stage(0, steps_per_epoch=steps)
    images, labels = _batch()
    history = []
    for _ in range(steps):
        losses = strategy.step(images, labels)
        strategy.step_schedules()
        history.append([t.item() for t in losses["total"]])
    return strategy, history


def test_dml_steps_train_both_students():
    strategy, history = _run(6)
    assert strategy.name == "dml"
    assert [name for name, _ in strategy.evaluated()] == ["cnn-small_0", "cnn-small_1"]
    assert strategy.stages()[0][0] == "train"
    assert len(history[0]) == 2
    for k in range(2):
        assert history[-1][k] < history[0][k]


def test_steps_are_reproducible():
    _, a = _run(3)
    _, b = _run(3)
    assert a == b


def test_networks_are_live_models():
    strategy, _ = _run(1)
    name, model = strategy.trained()[0]
    assert model(_batch()[0]).shape == (16, 10)


def test_unknown_strategy_is_a_value_error():
    with pytest.raises(ValueError, match="strategy"):
        cohort.Strategy(dict(CONFIG, strategy={"name": "telepathy"}), num_classes=10)
