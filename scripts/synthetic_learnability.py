#!/usr/bin/env python3
"""Checks that the synthetic dataset is learnable but not trivial (docs/datasets.md).

Reads CIFAR-10-format files written by build/bin/dump_dataset and, with PyTorch on the CPU:
  1. prints the per-channel mean/std of the training images (synthetic_stats()),
  2. trains a linear classifier on raw normalised pixels (several epochs): should stay far from
     perfect — the class is not a linear function of the pixels,
  3. trains a small convnet for ONE epoch: should reach high test accuracy.
Usage (Debian's python with torch):
  build/bin/dump_dataset synthetic "" train /tmp/syn_train.bin 20000
  build/bin/dump_dataset synthetic "" test /tmp/syn_test.bin 5000
  /usr/bin/python3 scripts/synthetic_learnability.py /tmp/syn_train.bin /tmp/syn_test.bin [grid.png]
"""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(path):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    images = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return images, labels


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(model, x, y, epochs, lr, batch=64):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xtr, ytr = load(sys.argv[1])
    xte, yte = load(sys.argv[2])
    mean = xtr.mean(dim=(0, 2, 3))
    std = xtr.permute(1, 0, 2, 3).reshape(3, -1).std(dim=1)
    print(f"train {len(xtr)} test {len(xte)} classes {int(ytr.max()) + 1}")
    print("mean", [round(v, 4) for v in mean.tolist()], "std", [round(v, 4) for v in std.tolist()])
    xtr = (xtr - mean[None, :, None, None]) / std[None, :, None, None]
    xte = (xte - mean[None, :, None, None]) / std[None, :, None, None]
    classes = int(ytr.max()) + 1
    if len(sys.argv) > 3:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        raw = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(-1, 3073)
        fig, axes = plt.subplots(classes, 8, figsize=(8, classes))
        for c in range(classes):
            rows = np.nonzero(raw[:, 0] == c)[0][:8]
            for k, r in enumerate(rows):
                axes[c, k].imshow(raw[r, 1:].reshape(3, 32, 32).transpose(1, 2, 0))
                axes[c, k].axis("off")
        fig.savefig(sys.argv[3], dpi=60)

    linear = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, classes))
    train(linear, xtr, ytr, epochs=5, lr=0.01)
    print(f"linear classifier on pixels, 5 epochs: test accuracy {accuracy(linear, xte, yte):.3f}")

    convnet = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1, stride=2), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, stride=2), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))
    train(convnet, xtr, ytr, epochs=1, lr=0.05)
    print(f"small convnet (3 conv layers), 1 epoch: test accuracy {accuracy(convnet, xte, yte):.3f}")


if __name__ == "__main__":
    main()
