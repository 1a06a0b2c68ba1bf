"""PyTorch references for the NCHW ops (tests/ops/test_torch_parity_ops.cpp).

usage: ref_ops.py OUTDIR   (run by make_references.sh with Debian's /usr/bin/python3)

Every case stores its inputs (drawn here with torch.manual_seed), the upstream gradient gy,
PyTorch's outputs and input gradients, all in f64, and its parameters as an i64 tensor.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

torch.set_default_dtype(torch.float64)


def leaf(*shape):
    return torch.randn(*shape).requires_grad_()


def conv_cases():
    # (x shape, w shape, stride, padding, dilation, groups, bias)
    return [
        ((2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1, True),
        ((2, 4, 8, 7), (6, 2, 3, 3), (2, 2), (1, 1), (1, 1), 2, True),       # groups, stride 2
        ((1, 3, 9, 9), (5, 3, 3, 3), (1, 1), (2, 2), (2, 2), 1, False),      # dilation 2
        ((2, 4, 6, 6), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), 4, True),       # depthwise x2
        ((2, 6, 5, 5), (3, 6, 1, 1), (2, 2), (0, 0), (1, 1), 1, False),      # 1x1 stride 2
        ((1, 2, 6, 8), (3, 2, 2, 3), (2, 1), (1, 2), (1, 2), 1, True),       # asymmetric
    ]


def write_conv(out):
    torch.manual_seed(0)
    tensors = {}
    for i, (xs, ws, stride, pad, dil, groups, has_bias) in enumerate(conv_cases()):
        x, w = leaf(*xs), leaf(*ws)
        b = leaf(ws[0]) if has_bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)
        gy = torch.randn_like(y)
        y.backward(gy)
        p = f"case{i}."
        tensors.update({p + "x": x, p + "w": w, p + "y": y, p + "gy": gy,
                        p + "gx": x.grad, p + "gw": w.grad,
                        p + "params": torch.tensor([*stride, *pad, *dil, groups, int(has_bias)])})
        if has_bias:
            tensors.update({p + "b": b, p + "gb": b.grad})
    st.save(os.path.join(out, "ops_conv2d.safetensors"), tensors,
            {"cases": len(conv_cases())})


def write_batch_norm(out):
    torch.manual_seed(1)
    tensors = {}
    for i, (shape, training, momentum) in enumerate([((4, 3, 5, 5), True, 0.1),
                                                      ((2, 5, 3, 4), True, 0.3),
                                                      ((3, 3, 4, 4), False, 0.1)]):
        c = shape[1]
        x = (torch.randn(*shape) * 2 + 0.5).requires_grad_()
        w, b = leaf(c), leaf(c)
        rm0 = torch.randn(c)
        rv0 = torch.rand(c) + 0.5
        rm, rv = rm0.clone(), rv0.clone()
        y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=1e-5)
        gy = torch.randn_like(y)
        y.backward(gy)
        p = f"case{i}."
        tensors.update({p + "x": x, p + "w": w, p + "b": b, p + "running_mean_in": rm0,
                        p + "running_var_in": rv0, p + "running_mean_out": rm,
                        p + "running_var_out": rv, p + "y": y, p + "gy": gy, p + "gx": x.grad,
                        p + "gw": w.grad, p + "gb": b.grad,
                        p + "training": torch.tensor([int(training)]),
                        p + "momentum": torch.tensor([momentum])})
    st.save(os.path.join(out, "ops_batch_norm2d.safetensors"), tensors, {"cases": 3})


def pool_cases():
    # (x shape, kernel, stride, padding, count_include_pad)
    return [
        ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), True),
        ((2, 2, 7, 9), (3, 3), (2, 2), (1, 1), True),
        ((1, 3, 7, 6), (3, 2), (1, 2), (1, 1), False),
        ((2, 2, 5, 5), (3, 3), (1, 1), (1, 1), False),
    ]


def write_pools(out):
    torch.manual_seed(2)
    tensors = {}
    for i, (xs, k, s, pad, include_pad) in enumerate(pool_cases()):
        p = f"case{i}."
        x = leaf(*xs)
        ymax = F.max_pool2d(x, k, s, pad)
        gy = torch.randn_like(ymax)
        ymax.backward(gy)
        tensors.update({p + "x": x, p + "gy": gy, p + "max.y": ymax, p + "max.gx": x.grad.clone()})
        x.grad = None
        yavg = F.avg_pool2d(x, k, s, pad, count_include_pad=include_pad)
        yavg.backward(gy)
        tensors.update({p + "avg.y": yavg, p + "avg.gx": x.grad,
                        p + "params": torch.tensor([*k, *s, *pad, int(include_pad)])})
    st.save(os.path.join(out, "ops_pool2d.safetensors"), tensors, {"cases": len(pool_cases())})


def write_softmax(out):
    torch.manual_seed(3)
    tensors = {}
    x = (torch.randn(6, 10) * 4).requires_grad_()
    for name, fn in (("log_softmax", F.log_softmax), ("softmax", F.softmax)):
        x.grad = None
        y = fn(x, dim=-1)
        gy = torch.randn_like(y)
        y.backward(gy)
        tensors.update({name + ".y": y, name + ".gy": gy, name + ".gx": x.grad.clone()})
    tensors["x"] = x
    st.save(os.path.join(out, "ops_softmax.safetensors"), tensors)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_conv(out)
    write_batch_norm(out)
    write_pools(out)
    write_softmax(out)


if __name__ == "__main__":
    main()
