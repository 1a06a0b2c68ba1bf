"""The distillation losses as cohort defines them, in plain PyTorch — shared by the parity
references (ref_strategy_step.py) and the training benchmark (benchmarks/pytorch/train_step.py).

kd_kl(s, p_t, T)   T^2 · KL(p_t || softmax(s/T)), batch mean (cohort's kd_kl / DML term)
fsp_matrix(a, b)   G = A·Bᵀ/(h·w) per sample, the larger map max-pooled to the smaller's size
fsp_matrices(m, x) the three (stage input, stage output) FSP matrices of a CIFAR ResNet
"""
import torch
import torch.nn.functional as F


def kd_kl(student_logits, target_probs, T):
    return F.kl_div(F.log_softmax(student_logits / T, 1), target_probs, reduction="batchmean") * T * T


def fsp_matrix(a, b):
    side = min(a.shape[2], b.shape[2])
    if a.shape[2] != side:
        a = F.max_pool2d(a, a.shape[2] // side)
    if b.shape[2] != side:
        b = F.max_pool2d(b, b.shape[2] // side)
    return torch.bmm(a.flatten(2), b.flatten(2).transpose(1, 2)) / (side * side)


def fsp_matrices(model, x):
    _, taps, _ = model.forward_features(x)
    return [fsp_matrix(taps[2 * s], taps[2 * s + 1]) for s in range(3)]
