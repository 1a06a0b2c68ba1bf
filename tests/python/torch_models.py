"""The cohort model zoo (layers/models/) written in plain PyTorch, with the same module names,
so `model.state_dict()` here and `Module::state_dict()` in cohort have identical keys, order,
shapes and dtypes. Each architecture follows the PyTorch implementation cohort names itself
after:
    resnetD (D = 6n+2)   akamaster/pytorch_resnet_cifar10 (option A: strided zero-pad shortcut;
                         option B: shortcut.0 = 1x1 conv, shortcut.1 = BN)
    wrn-D-K (D = 6n+4)   xternalz/WideResNet-pytorch (pre-activation, convShortcut)
    mobilenet            kuangliu/pytorch-cifar MobileNet, every width times `width`
    resnet18/34          torchvision's BasicBlock ResNets (conv1 7x7/2, maxpool, fc)
    cnn-small            cohort's own small convnet (layers/models/cnn_small.h)

Every model has forward_features(x) -> (logits, features, embedding) with cohort's taps
(layers/models/*.h, docs/models.md). Used by ref_models.py (parity references),
eval_cohort_weights.py (weights written by cohort, evaluated here) and
benchmarks/pytorch/models_cpu.py.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _pool(h):
    return F.adaptive_avg_pool2d(h, 1).flatten(1)


# ---- CIFAR ResNet (akamaster) ----------------------------------------------------------------
class Model(nn.Module):
    """A whole network: forward(x) -> logits; forward_features(x) -> (logits, taps, embedding)."""

    def forward(self, x):
        return self.forward_features(x)[0]


class LambdaLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class CifarBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            if option == "A":
                pad = planes // 4
                self.shortcut = LambdaLayer(
                    lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0))
            else:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(Model):
    def __init__(self, depth, num_classes, in_channels=3, option="A"):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        for s, planes in enumerate((16, 32, 64)):
            blocks = []
            for b in range(n):
                blocks.append(CifarBasicBlock(in_planes, planes, 2 if s > 0 and b == 0 else 1, option))
                in_planes = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(64, num_classes)
        for m in self.modules():  # akamaster's _weights_init
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward_features(self, x):
        feats = []
        h = F.relu(self.bn1(self.conv1(x)))
        for stage in (self.layer1, self.layer2, self.layer3):
            feats.append(h)
            h = stage(h)
            feats.append(h)
        emb = _pool(h)
        return self.linear(emb), feats, emb


# ---- Wide ResNet (xternalz) ------------------------------------------------------------------
class WideBasicBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride, drop_rate=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.convShortcut = None if self.equal_in_out else \
            nn.Conv2d(in_planes, out_planes, 1, stride, 0, bias=False)

    def forward(self, x):
        act = F.relu(self.bn1(x))
        out = F.relu(self.bn2(self.conv1(act)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        return (x if self.equal_in_out else self.convShortcut(act)) + out


class NetworkBlock(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layer = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layer(x)


class WideResNet(Model):
    def __init__(self, depth, widen_factor, num_classes, in_channels=3, drop_rate=0.0):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.conv1 = nn.Conv2d(in_channels, ch[0], 3, 1, 1, bias=False)
        for s in range(3):
            blocks = [WideBasicBlock(ch[s] if b == 0 else ch[s + 1], ch[s + 1],
                                     2 if s > 0 and b == 0 else 1, drop_rate) for b in range(n)]
            setattr(self, f"block{s + 1}", NetworkBlock(blocks))
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward_features(self, x):
        feats = []
        h = self.conv1(x)
        for stage in (self.block1, self.block2, self.block3):
            feats.append(h)
            h = stage(h)
            feats.append(h)
        emb = _pool(F.relu(self.bn1(h)))
        return self.fc(emb), feats, emb


# ---- MobileNet v1 (kuangliu) -----------------------------------------------------------------
MOBILENET_CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
                 (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class DepthwiseSeparableBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.stride = stride
        self.conv1 = nn.Conv2d(in_planes, in_planes, 3, stride, 1, groups=in_planes, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv2 = nn.Conv2d(in_planes, out_planes, 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)))


class MobileNet(Model):
    def __init__(self, num_classes, in_channels=3, width=1.0):
        super().__init__()

        def scaled(c):
            return max(1, int(c * width))

        in_planes = scaled(32)
        self.conv1 = nn.Conv2d(in_channels, in_planes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        blocks = []
        for planes, stride in MOBILENET_CFG:
            blocks.append(DepthwiseSeparableBlock(in_planes, scaled(planes), stride))
            in_planes = scaled(planes)
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(in_planes, num_classes)

    def forward_features(self, x):
        feats = []
        h = F.relu(self.bn1(self.conv1(x)))
        blocks = list(self.layers)
        for i, block in enumerate(blocks):
            h = block(h)
            if i + 1 == len(blocks) or blocks[i + 1].stride != 1:
                feats.append(h)
        emb = _pool(h)
        return self.linear(emb), feats, emb


# ---- torchvision ResNet-18/34 ----------------------------------------------------------------
class TorchvisionBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ImageNetResNet(Model):
    def __init__(self, depth, num_classes, in_channels=3):
        super().__init__()
        blocks = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}[depth]
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_planes = 64
        for s in range(4):
            planes = 64 << s
            stage = []
            for b in range(blocks[s]):
                stage.append(TorchvisionBasicBlock(in_planes, planes, 2 if s > 0 and b == 0 else 1))
                in_planes = planes
            setattr(self, f"layer{s + 1}", nn.Sequential(*stage))
        self.fc = nn.Linear(512, num_classes)

    def forward_features(self, x):
        feats = []
        h = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            feats.append(h)
            h = stage(h)
            feats.append(h)
        emb = _pool(h)
        return self.fc(emb), feats, emb


# ---- cnn-small -------------------------------------------------------------------------------
class CnnSmall(Model):
    def __init__(self, num_classes, in_channels=3):
        super().__init__()
        side = (28 if in_channels == 1 else 32) // 4  # cohort's input_size() / 4
        self.conv1 = nn.Conv2d(in_channels, 32, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * side * side, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward_features(self, x):
        h1 = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        h2 = F.max_pool2d(F.relu(self.bn2(self.conv2(h1))), 2)
        emb = F.relu(self.fc1(h2.flatten(1)))
        return self.fc2(emb), [h1, h2], emb


# ---- registry (layers/models/registry.cpp) ---------------------------------------------------
def make_model(name, num_classes, in_channels=3, width=1.0, shortcut_b=False, dropout=0.0):
    """Builds `name` as cohort's make_model does (same names, same options)."""
    if name == "mobilenet":
        return MobileNet(num_classes, in_channels, width)
    if name == "cnn-small":
        return CnnSmall(num_classes, in_channels)
    if name in ("resnet18", "resnet34"):
        return ImageNetResNet(int(name[6:]), num_classes, in_channels)
    if name.startswith("resnet"):
        return CifarResNet(int(name[6:]), num_classes, in_channels, "B" if shortcut_b else "A")
    if name.startswith("wrn-"):
        depth, widen = (int(v) for v in name[4:].split("-"))
        return WideResNet(depth, widen, num_classes, in_channels, dropout)
    raise ValueError(f"unknown model {name}")


def num_parameters(model):
    return sum(p.numel() for p in model.parameters())
