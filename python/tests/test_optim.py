"""cohort.optim: optimiser steps equal PyTorch's, schedules, a short training loop."""
import numpy as np
import pytest
import torch

import cohort


def _pair(seed):
    values = np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32)
    ours = cohort.tensor(values).requires_grad_()
    theirs = torch.tensor(values, requires_grad=True)
    return ours, theirs


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)),
    ("Adam", dict(lr=0.01, weight_decay=1e-3)),
    ("AdamW", dict(lr=0.01, weight_decay=1e-2)),
])
def test_steps_match_pytorch(name, kwargs):
    ours, theirs = _pair(0)
    opt_ours = getattr(cohort.optim, name)([ours], **kwargs)
    opt_theirs = getattr(torch.optim, name)([theirs], **kwargs)
    for step in range(3):
        grad = np.random.default_rng(10 + step).standard_normal((4, 3)).astype(np.float32)
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        cohort.ops.sum(ours * cohort.tensor(grad)).backward()
        (theirs * torch.tensor(grad)).sum().backward()
        opt_ours.step()
        opt_theirs.step()
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_sgd_needs_a_valid_lr():
    ours, _ = _pair(1)
    with pytest.raises(ValueError, match="lr"):
        cohort.optim.SGD([ours], lr=-1.0)


def test_scheduler_follows_the_schedule():
    ours, _ = _pair(2)
    opt = cohort.optim.SGD([ours], lr=0.1, momentum=0.9)
    sched = cohort.optim.LrScheduler(opt, cohort.optim.multi_step([2, 4], gamma=0.1))
    lrs = []
    for _ in range(5):
        lrs.append(opt.lr())
        sched.step()
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.001])
    warm = cohort.optim.linear_warmup(2, 0.5, cohort.optim.cosine_annealing(10))
    assert warm.lr(1.0, 0) == pytest.approx(0.5)


def test_a_short_training_loop_lowers_the_loss():
    model = cohort.models.create("cnn-small", 10, seed=0)
    images = cohort.randn([16, 3, 32, 32], seed=1)
    labels = cohort.tensor(np.arange(16) % 10)
    opt = cohort.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = []
    for _ in range(8):
        loss = cohort.ops.cross_entropy(model(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]  # memorising 16 images
