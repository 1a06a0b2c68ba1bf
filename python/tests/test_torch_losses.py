"""cohort.torch: the fused losses inside PyTorch autograd, checked by gradcheck (f64) and against
the same losses written with PyTorch ops (f32)."""
import pytest
import torch
import torch.nn.functional as F

import cohort
import cohort.torch as ct


def _logits(n, c, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, c, generator=g, dtype=dtype) * 2).requires_grad_()


def _kl_to_peer(student, peer, T):
    """T^2/N sum_n KL(softmax(peer/T) || softmax(student/T)), the peer a constant."""
    log_p = F.log_softmax(student / T, dim=1)
    q = F.softmax(peer.detach() / T, dim=1)
    return F.kl_div(log_p, q, reduction="batchmean") * T * T


def _dml_reference(logits, T, mode):
    K = len(logits)
    losses = []
    for k in range(K):
        peers = [logits[l] for l in range(K) if l != k]
        if mode == "ensemble":
            mean_p = torch.stack([F.softmax(p.detach() / T, dim=1) for p in peers]).mean(0)
            log_p = F.log_softmax(logits[k] / T, dim=1)
            losses.append(F.kl_div(log_p, mean_p, reduction="batchmean") * T * T)
        else:
            per_peer = torch.stack([_kl_to_peer(logits[k], p, T) for p in peers])
            losses.append(per_peer.sum() if mode == "sum" else per_peer.mean())
    return torch.stack(losses)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("mode", ["average", "sum", "ensemble"])
def test_dml_mimicry_gradcheck(K, mode):
    # Peers are constants in L_k (DML), so the check is of L_k against z_k with the peers fixed.
    logits = [_logits(4, 5, seed) for seed in range(K)]
    for k in range(K):
        peers = [z.detach() for z in logits]

        def loss_k(z):
            return ct.dml_mimicry(peers[:k] + [z] + peers[k + 1:], 2.0, mode)[k]

        assert torch.autograd.gradcheck(loss_k, (logits[k],))


@pytest.mark.parametrize("mode", ["average", "sum", "ensemble"])
def test_dml_mimicry_matches_pytorch(mode):
    a = [_logits(16, 10, seed, torch.float32) for seed in range(3)]
    b = [z.detach().clone().requires_grad_() for z in a]
    ours, ref = ct.dml_mimicry(a, 3.0, mode), _dml_reference(b, 3.0, mode)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
    weights = torch.tensor([1.0, 0.5, 2.0])
    (ours * weights).sum().backward()
    (ref * weights).sum().backward()
    for x, y in zip(a, b):
        torch.testing.assert_close(x.grad, y.grad, rtol=1e-5, atol=1e-6)


def test_kd_kl_gradcheck_and_reference():
    s, t = _logits(6, 7, 0), _logits(6, 7, 1).detach()
    assert torch.autograd.gradcheck(lambda x: ct.kd_kl(x, t, 4.0), (s,))
    s32, t32 = s.detach().float().requires_grad_(), t.float()
    s_ref = s32.detach().clone().requires_grad_()
    ours, ref = ct.kd_kl(s32, t32, 4.0), _kl_to_peer(s_ref, t32, 4.0)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(s32.grad, s_ref.grad, rtol=1e-5, atol=1e-7)


def test_cross_entropy_gradcheck_and_reference():
    z = _logits(8, 5, 2)
    labels = torch.tensor([0, 4, 2, 1, 3, 3, 0, 2])
    assert torch.autograd.gradcheck(lambda x: ct.cross_entropy(x, labels, 0.1), (z,))
    z32 = z.detach().float().requires_grad_()
    z_ref = z32.detach().clone().requires_grad_()
    ours = ct.cross_entropy(z32, labels, label_smoothing=0.1)
    ref = F.cross_entropy(z_ref, labels, label_smoothing=0.1)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(z32.grad, z_ref.grad, rtol=1e-5, atol=1e-7)


def _fsp_reference(f1, f2):
    b, m, h, w = f1.shape
    return torch.bmm(f1.reshape(b, m, h * w), f2.reshape(b, f2.shape[1], h * w).transpose(1, 2)) / (h * w)


def test_fsp_matrix_and_loss_gradcheck():
    g = torch.Generator().manual_seed(3)
    f1 = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    f2 = torch.randn(2, 5, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ct.fsp_matrix, (f1, f2))
    gs = torch.randn(2, 3, 5, generator=g, dtype=torch.float64, requires_grad=True)
    gt = torch.randn(2, 3, 5, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: ct.fsp_loss(a, b, 0.5), (gs, gt))


def test_fsp_matches_pytorch():
    g = torch.Generator().manual_seed(4)
    f1 = torch.randn(3, 4, 5, 5, generator=g)
    f2 = torch.randn(3, 6, 5, 5, generator=g)
    gs = ct.fsp_matrix(f1, f2)
    torch.testing.assert_close(gs, _fsp_reference(f1, f2), rtol=1e-5, atol=1e-6)
    gt = torch.randn(3, 4, 6, generator=g)
    ref = 0.5 / 3 * ((gs - gt) ** 2).sum()
    torch.testing.assert_close(ct.fsp_loss(gs, gt, 0.5), ref, rtol=1e-5, atol=1e-6)


def test_inputs_cross_without_copies():
    z = torch.randn(4, 3)
    assert ct._to_cohort(z, False).data_ptr == z.data_ptr()
    out = cohort.ops.softmax(cohort.from_dlpack(z))
    assert torch.from_dlpack(out).data_ptr() == out.data_ptr


def test_non_contiguous_input_is_made_contiguous():
    z = torch.randn(5, 4, dtype=torch.float64).t().requires_grad_()
    labels = torch.tensor([0, 1, 2, 3])
    loss = ct.cross_entropy(z, labels)
    torch.testing.assert_close(loss, F.cross_entropy(z, labels))
    loss.backward()
    assert z.grad.shape == z.shape


def test_bad_input_raises():
    with pytest.raises(ValueError, match="dml_mimicry"):
        ct.dml_mimicry([torch.randn(4, 5), torch.randn(4, 6)], 1.0)
    with pytest.raises(ValueError, match="unknown mode"):
        ct.dml_mimicry([torch.randn(4, 5), torch.randn(4, 5)], 1.0, "median")
    with pytest.raises(TypeError, match="unsupported element type"):
        ct.kd_kl(torch.randn(4, 5, dtype=torch.float16), torch.randn(4, 5, dtype=torch.float16))
    with pytest.raises(TypeError, match="expected a torch.Tensor"):
        ct.cross_entropy([[1.0]], torch.tensor([0]))
