"""PyTorch references for the distillation losses (values and gradients), f64.

kd_kl      = F.kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') * T^2
cross_ent  = F.cross_entropy (label smoothing, ignore_index)
dml        = each student's mimicry term built from torch ops with peers detached
fsp        = G = F1 F2^T / (hw), loss = lambda/B sum ||Gs - Gt||_F^2
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

out = sys.argv[1]
torch.manual_seed(0)
dt = torch.float64


def kd(s, t, T):
    return F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T


# ---- kd_kl ---------------------------------------------------------------------------------
s = (torch.randn(7, 10, dtype=dt) * 3).requires_grad_()
t = (torch.randn(7, 10, dtype=dt) * 3).requires_grad_()
T = 4.0
loss = kd(s, t, T)
loss.backward()
st.save(f"{out}/losses_kd_kl.safetensors",
        {"s": s, "t": t, "T": torch.tensor(T, dtype=dt), "loss": loss, "grad_s": s.grad, "grad_t": t.grad})

# teacher given as probabilities (an ensemble's mean)
s2 = torch.randn(5, 6, dtype=dt).requires_grad_()
probs = F.softmax(torch.randn(5, 6, dtype=dt), 1)
loss2 = F.kl_div(F.log_softmax(s2 / 2.0, 1), probs, reduction="batchmean") * 4.0
loss2.backward()
st.save(f"{out}/losses_kd_kl_probs.safetensors",
        {"s": s2, "probs": probs, "loss": loss2, "grad_s": s2.grad})

# ---- cross-entropy -------------------------------------------------------------------------
z = (torch.randn(9, 13, dtype=dt) * 2).requires_grad_()
y = torch.randint(0, 13, (9,))
y[3] = -100
y[7] = -100
tensors = {"z": z.detach().clone(), "y": y}
for name, eps in (("plain", 0.0), ("smooth", 0.1)):
    zz = z.detach().clone().requires_grad_()
    l = F.cross_entropy(zz, y, ignore_index=-100, label_smoothing=eps)
    l.backward()
    tensors[f"loss_{name}"] = l
    tensors[f"grad_{name}"] = zz.grad
st.save(f"{out}/losses_cross_entropy.safetensors", tensors)

# ---- DML mimicry (K = 3) -------------------------------------------------------------------
K, N, C, T = 3, 6, 8, 2.0
zs = [(torch.randn(N, C, dtype=dt) * 2).requires_grad_() for _ in range(K)]
tensors = {f"z{k}": z.detach().clone() for k, z in enumerate(zs)}
for mode in ("average", "sum", "ensemble"):
    zz = [z.detach().clone().requires_grad_() for z in zs]
    total = 0
    for k in range(K):
        peers = [zz[l].detach() for l in range(K) if l != k]
        if mode == "ensemble":
            q = sum(F.softmax(p / T, 1) for p in peers) / (K - 1)
            lk = F.kl_div(F.log_softmax(zz[k] / T, 1), q, reduction="batchmean") * T * T
        else:
            lk = sum(kd(zz[k], p, T) for p in peers)
            if mode == "average":
                lk = lk / (K - 1)
        tensors[f"{mode}_loss{k}"] = lk.detach()
        total = total + lk
    total.backward()
    for k in range(K):
        tensors[f"{mode}_grad{k}"] = zz[k].grad
st.save(f"{out}/losses_dml.safetensors", tensors)

# ---- FSP -----------------------------------------------------------------------------------
B, m, n, h, w = 3, 4, 5, 6, 6
f1s = torch.randn(B, m, h, w, dtype=dt, requires_grad=True)
f2s = torch.randn(B, n, h, w, dtype=dt, requires_grad=True)
f1t = torch.randn(B, m, h, w, dtype=dt)
f2t = torch.randn(B, n, h, w, dtype=dt)


def fsp(a, b):
    return torch.bmm(a.flatten(2), b.flatten(2).transpose(1, 2)) / (a.shape[2] * a.shape[3])


gs, gt = fsp(f1s, f2s), fsp(f1t, f2t)
lam = 0.5
fl = lam / B * ((gs - gt) ** 2).sum()
fl.backward()
st.save(f"{out}/losses_fsp.safetensors",
        {"f1s": f1s, "f2s": f2s, "f1t": f1t, "f2t": f2t, "gs": gs, "gt": gt, "loss": fl,
         "grad_f1s": f1s.grad, "grad_f2s": f2s.grad})
