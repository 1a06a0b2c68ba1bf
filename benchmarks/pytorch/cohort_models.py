"""The cohort model zoo written in plain PyTorch, with cohort's parameter names and layouts
(layers/models/*.cpp), so weights move between the two through safetensors and throughput
comparisons run the same networks.

    resnet{8,14,20,26,32,44,56,110}  CIFAR ResNet (He et al.), option-A shortcuts, classifier `linear`
    wrn-{d}-{k}                       Wide ResNet (xternalz layout: block1..3.layer.N, convShortcut, fc)
    mobilenet                         MobileNet v1 for 32x32 inputs (layers.N.conv1/conv2, linear)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CifarBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if (stride != 1 or in_planes != planes) else 0

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        # Option A: subsample by 2 and zero-pad the channels symmetrically.
        shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad)) if self.pad else x
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, depth, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes, stages = 16, []
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for b in range(n):
                blocks.append(CifarBasicBlock(in_planes, planes, 2 if s > 0 and b == 0 else 1))
                in_planes = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.linear = nn.Linear(64, num_classes)

    def forward_features(self, x):
        """Logits and the taps cohort's FSP uses: (input, output) of each stage."""
        h = F.relu(self.bn1(self.conv1(x)))
        taps = []
        for stage in (self.layer1, self.layer2, self.layer3):
            taps.append(h)
            h = stage(h)
            taps.append(h)
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1)), taps

    def forward(self, x):
        return self.forward_features(x)[0]


class WideBasic(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.convShortcut = nn.Conv2d(in_planes, planes, 1, stride, 0, bias=False) if in_planes != planes else None

    def forward(self, x):
        act = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(act))))
        return (self.convShortcut(act) if self.convShortcut is not None else x) + out


class NetworkBlock(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layer = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, k, num_classes):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        for s in range(3):
            blocks = [WideBasic(ch[s] if b == 0 else ch[s + 1], ch[s + 1], 2 if s > 0 and b == 0 else 1)
                      for b in range(n)]
            setattr(self, f"block{s + 1}", NetworkBlock(blocks))
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], num_classes)

    def forward_features(self, x):
        h = self.conv1(x)
        taps = []
        for stage in (self.block1, self.block2, self.block3):
            taps.append(h)
            h = stage(h)
            taps.append(h)
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.bn1(h)), 1).flatten(1)), taps

    def forward(self, x):
        return self.forward_features(x)[0]


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, in_planes, 3, stride, 1, groups=in_planes, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv2 = nn.Conv2d(in_planes, planes, 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class MobileNet(nn.Module):
    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
           (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self, num_classes, width=1.0):
        super().__init__()
        scaled = lambda c: max(1, int(c * width))
        in_planes = scaled(32)
        self.conv1 = nn.Conv2d(3, in_planes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        blocks = []
        for planes, stride in self.CFG:
            blocks.append(DepthwiseSeparable(in_planes, scaled(planes), stride))
            in_planes = scaled(planes)
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(in_planes, num_classes)

    def forward(self, x):
        h = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))


def make_model(name, num_classes=100):
    if name.startswith("resnet"):
        return CifarResNet(int(name[len("resnet"):]), num_classes)
    if name.startswith("wrn-"):
        _, d, k = name.split("-")
        return WideResNet(int(d), int(k), num_classes)
    if name == "mobilenet":
        return MobileNet(num_classes)
    raise ValueError(f"unknown model {name}")
