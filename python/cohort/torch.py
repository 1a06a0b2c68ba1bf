"""cohort's fused distillation losses as torch.autograd.Functions on PyTorch tensors.

Inputs and outputs cross the boundary through DLPack without copies: the forward runs cohort's
fused kernel on the PyTorch tensors' memory and records cohort's autograd graph; the backward
runs cohort's fused backward kernel and hands its gradients back to PyTorch, again without a
copy. CPU tensors use the CPU kernels; CUDA tensors the CUDA kernels when the extension was
built with CUDA. Non-contiguous inputs are made contiguous first (torch.Tensor.contiguous).
"""
import torch

from . import _cohort

__all__ = ["dml_mimicry", "kd_kl", "cross_entropy", "fsp_matrix", "fsp_loss"]


def _to_cohort(t, requires_grad):
    """A cohort view of a PyTorch tensor (no copy), as a leaf that records gradients if asked."""
    view = _cohort.from_dlpack(t.detach().contiguous())
    view.requires_grad = requires_grad
    return view


def _to_torch(t):
    return torch.from_dlpack(t.detach())


class _CohortFunction(torch.autograd.Function):
    """Runs `ctx.op` (a cohort op on cohort tensors) forward; its cohort graph gives the backward.

    The graph is kept (retain_graph) so the backward may run more than once, as gradcheck does;
    the leaves' gradients are reset before each run.
    """

    @staticmethod
    def forward(ctx, op, grad_mask, *inputs):
        leaves = [_to_cohort(t, needs) for t, needs in zip(inputs, grad_mask)]
        out = op(leaves)
        ctx.cohort_leaves = leaves
        ctx.cohort_out = out
        return _to_torch(out)

    @staticmethod
    def backward(ctx, grad_output):
        out = ctx.cohort_out
        grads = [None] * len(ctx.cohort_leaves)
        if out.requires_grad:
            for leaf in ctx.cohort_leaves:
                leaf.zero_grad()
            if grad_output.is_cuda:
                torch.cuda.current_stream().synchronize()  # see _apply
            out.backward(_to_cohort(grad_output, False), retain_graph=True)
            grads = [None if leaf.grad is None else _to_torch(leaf.grad) for leaf in ctx.cohort_leaves]
        return (None, None, *grads)


def _apply(op, inputs, differentiable):
    """Runs `op` on cohort views of `inputs`; input i gets a gradient when differentiable[i] and
    it requires one."""
    for t in inputs:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"cohort.torch: expected a torch.Tensor, got {type(t).__name__}")
    grad_mask = [d and t.requires_grad for t, d in zip(inputs, differentiable)]
    if any(t.is_cuda for t in inputs):
        # cohort's kernels run on cohort's own stream: let PyTorch's queued work finish first
        # (cohort synchronises its own work before handing results back).
        torch.cuda.current_stream().synchronize()
    return _CohortFunction.apply(op, grad_mask, *inputs)


def dml_mimicry(logits_list, T=1.0, mode="average"):
    """Deep mutual learning mimicry losses [K] of K students' logits ([N, C] each, K >= 2).

    L_k = T^2/N sum_n KL(peers' softmax(z/T) || softmax(z_k/T)) (mode: "average" of the per-peer
    KLs, their "sum", or KL to the peers' mean "ensemble"). As in DML, every peer is a constant
    in L_k: z_k receives only L_k's gradient.
    """
    logits_list = list(logits_list)
    return _apply(lambda xs: _cohort.ops.dml_mimicry(xs, T, mode), logits_list, [True] * len(logits_list))


def kd_kl(student, teacher, T=1.0, teacher_is_probs=False):
    """Hinton's KD loss T^2/N sum_n KL(softmax(teacher/T) || softmax(student/T)); the teacher is
    a constant (detach it or not, it gets no gradient)."""
    return _apply(lambda xs: _cohort.ops.kd_kl(xs[0], xs[1], T, teacher_is_probs),
                  [student, teacher], [True, False])


def cross_entropy(logits, labels, label_smoothing=0.0, ignore_index=-100):
    """F.cross_entropy(logits [N, C], labels int64 [N]) with reduction "mean"."""
    return _apply(lambda xs: _cohort.ops.cross_entropy(xs[0], xs[1], label_smoothing, ignore_index),
                  [logits, labels], [True, False])


def fsp_matrix(f1, f2):
    """FSP matrix G [B, m, n] = F1 F2^T / (h w) of feature maps F1 [B, m, h, w], F2 [B, n, h, w]."""
    return _apply(lambda xs: _cohort.ops.fsp_matrix(xs[0], xs[1]), [f1, f2], [True, True])


def fsp_loss(gs, gt, weight=1.0):
    """weight/B sum_b ||Gs[b] - Gt[b]||_F^2 of FSP matrices [B, m, n]."""
    return _apply(lambda xs: _cohort.ops.fsp_loss(xs[0], xs[1], weight), [gs, gt], [True, True])
