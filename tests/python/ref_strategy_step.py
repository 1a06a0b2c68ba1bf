"""PyTorch references for ONE full training step of the dml, kd and fsp strategies on the same
weights and batch as tests/distill/test_strategy_step_torch.cpp: the loss parts of the step and
every parameter and buffer after the SGD update (Nesterov 0.9, weight decay 5e-4), f32.

dml  two resnet8 "net0", "net1", sync update: L_k = CE_k + lambda * mean_{l != k} T^2 KL(p_l || p_k),
     peers detached, T = 2, lambda = 1, lr 0.1
kd   teacher resnet8 "teacher_resnet8" (eval, no gradient), student resnet8 "student":
     L = alpha CE + beta T^2 KL(p_t || p_s), T = 4, alpha = 1, beta = 1, lr 0.1
fsp  stage 1: L = sum over the three (stage input, stage output) pairs of lambda/B ||G_s - G_t||^2,
     G = A B^T / (h w) after max-pooling the larger map, lambda = 1, lr 0.001 (teacher in eval)
"""
import os
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import st  # noqa: E402
from torch_losses import fsp_matrices, kd_kl as kl  # noqa: E402
from torch_models import make_model  # noqa: E402

out = sys.argv[1]
torch.manual_seed(0)
CLASSES, B = 10, 8
x = torch.randn(B, 3, 32, 32)
y = torch.randint(0, CLASSES, (B,))


def sgd(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)


def state(prefix, model):
    return {f"{prefix}.{k}": v.clone() for k, v in model.state_dict().items()}


def randomise_bn(model):
    """Non-trivial BN affine parameters and running statistics, so they are really compared."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


# ---- dml -----------------------------------------------------------------------------------
nets = [randomise_bn(make_model("resnet8", CLASSES)).train() for _ in range(2)]
tensors = {"x": x, "y": y}
for k, n in enumerate(nets):
    tensors.update(state(f"before.net{k}", n))
opts = [sgd(n, 0.1) for n in nets]
T = 2.0
logits = [n(x) for n in nets]
probs = [F.softmax(z.detach() / T, 1) for z in logits]
total = 0
for k, z in enumerate(logits):
    ce = F.cross_entropy(z, y)
    mim = kl(z, probs[1 - k], T)
    tensors[f"ce.net{k}"], tensors[f"transfer.net{k}"], tensors[f"total.net{k}"] = ce, mim, ce + mim
    total = total + ce + mim
for o in opts:
    o.zero_grad()
total.backward()
for o in opts:
    o.step()
for k, n in enumerate(nets):
    tensors.update(state(f"after.net{k}", n))
st.save(f"{out}/strategy_step_dml.safetensors", tensors)

# ---- kd ------------------------------------------------------------------------------------
teacher = randomise_bn(make_model("resnet8", CLASSES)).eval()
student = randomise_bn(make_model("resnet8", CLASSES)).train()
tensors = {"x": x, "y": y}
tensors.update(state("before.teacher_resnet8", teacher))
tensors.update(state("before.student", student))
opt = sgd(student, 0.1)
T = 4.0
with torch.no_grad():
    target = F.softmax(teacher(x) / T, 1)
z = student(x)
ce, kd = F.cross_entropy(z, y), kl(z, target, T)
tensors.update({"ce.student": ce, "transfer.student": kd, "total.student": ce + kd})
opt.zero_grad()
(ce + kd).backward()
opt.step()
tensors.update(state("after.student", student))
tensors.update(state("after.teacher_resnet8", teacher))
st.save(f"{out}/strategy_step_kd.safetensors", tensors)


# ---- fsp stage 1 ---------------------------------------------------------------------------
teacher = randomise_bn(make_model("resnet8", CLASSES)).eval()
student = randomise_bn(make_model("resnet8", CLASSES)).train()
tensors = {"x": x, "y": y}
tensors.update(state("before.teacher_resnet8", teacher))
tensors.update(state("before.student", student))
opt = sgd(student, 0.001)
with torch.no_grad():
    gt = fsp_matrices(teacher, x)
gs = fsp_matrices(student, x)
loss = sum(((s - t) ** 2).sum() / B for s, t in zip(gs, gt))
tensors.update({"transfer.student": loss, "total.student": loss})
opt.zero_grad()
loss.backward()
opt.step()
tensors.update(state("after.student", student))
tensors.update(state("after.teacher_resnet8", teacher))
st.save(f"{out}/strategy_step_fsp.safetensors", tensors)
print("wrote strategy_step_{dml,kd,fsp}.safetensors")
