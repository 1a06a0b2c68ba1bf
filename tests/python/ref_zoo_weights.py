"""Weights named as other CIFAR zoos name them (tests/layers/test_zoo_weights.cpp).

usage: ref_zoo_weights.py OUTDIR   (run by make_references.sh with Debian's /usr/bin/python3)

The architectures are cohort's, written the way those zoos write them (so only the names differ):
  RepDistiller / mdistiller resnet8 (models/resnet.py): option-B `downsample` Sequential, `fc`
  a WRN-16-2 without the NetworkBlock level: `block1.0.*`, a 1x1 `shortcut`, `linear`
  a MobileNet (width 0.25) as one flat nn.Sequential `layers` of conv, BN, ReLU, and `fc`
Each state_dict gets random BN statistics and affine parameters. Writes, per case:
  zoo_<case>_weights.safetensors  the state_dict in f32 without num_batches_tracked (as old
                                  PyTorch and several zoos saved it)
  zoo_<case>.safetensors          x [4,3,32,32] and logits (eval mode, f32)
and for resnet8 the same weights as F64, F16 and BF16 files (zoo_resnet8_weights_<dtype>), with
logits_f16 / logits_bf16: the f32 model's logits with the weights rounded to that precision.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402


class RepDistillerBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        residual = self.downsample(x) if self.downsample is not None else x
        return torch.relu(out + residual)


class RepDistillerResNet(nn.Module):
    def __init__(self, depth, num_filters, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.inplanes = num_filters[0]
        self.conv1 = nn.Conv2d(3, num_filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(num_filters[1], n)
        self.layer2 = self._make_layer(num_filters[2], n, stride=2)
        self.layer3 = self._make_layer(num_filters[3], n, stride=2)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(num_filters[3], num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [RepDistillerBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [RepDistillerBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class FlatWideBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(in_planes, out_planes, 1, stride, bias=False) if in_planes != out_planes else None

    def forward(self, x):
        act = torch.relu(self.bn1(x))
        out = self.conv2(torch.relu(self.bn2(self.conv1(act))))
        return (self.shortcut(act) if self.shortcut is not None else x) + out


class FlatWideResNet(nn.Module):
    def __init__(self, depth, widen, num_classes):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        for s in range(3):
            blocks = [FlatWideBlock(ch[s] if b == 0 else ch[s + 1], ch[s + 1], 2 if s > 0 and b == 0 else 1)
                      for b in range(n)]
            setattr(self, f"block{s + 1}", nn.Sequential(*blocks))
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.linear = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        h = self.block3(self.block2(self.block1(self.conv1(x))))
        h = torch.relu(self.bn1(h))
        return self.linear(h.mean(dim=(2, 3)))


class FlatMobileNet(nn.Module):
    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1)]

    def __init__(self, num_classes, width):
        super().__init__()
        scaled = lambda c: max(1, int(c * width))  # noqa: E731
        c = scaled(32)
        layers = [nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        for planes, stride in self.CFG:
            p = scaled(planes)
            layers += [nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.Conv2d(c, p, 1, bias=False), nn.BatchNorm2d(p), nn.ReLU()]
            c = p
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.fc(self.layers(x).mean(dim=(2, 3)))


def randomise(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)
                m.running_mean.uniform_(-0.2, 0.2, generator=gen)
                m.running_var.uniform_(0.5, 1.5, generator=gen)
    model.eval()


def without_counters(state):
    return {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}


def main(out):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 32, 32, generator=gen)
    cases = {"resnet8": RepDistillerResNet(8, [16, 16, 32, 64], 10),
             "wrn-16-2": FlatWideResNet(16, 2, 10),
             "mobilenet": FlatMobileNet(10, 0.25)}
    for case, model in cases.items():
        randomise(model, gen)
        state = without_counters(model.state_dict())
        st.save(os.path.join(out, f"zoo_{case}_weights.safetensors"), state, {"format": "pt"})
        refs = {"x": x}
        with torch.no_grad():
            refs["logits"] = model(x)
            if case == "resnet8":
                st.save(os.path.join(out, "zoo_resnet8_weights_f64.safetensors"), {k: v.double() for k, v in state.items()})
                for tag, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
                    rounded = {k: v.to(dtype) for k, v in state.items()}
                    st.save(os.path.join(out, f"zoo_resnet8_weights_{tag}.safetensors"), rounded)
                    model.load_state_dict({k: v.float() for k, v in rounded.items()}, strict=False)
                    refs[f"logits_{tag}"] = model(x)
                    model.load_state_dict(state, strict=False)
        st.save(os.path.join(out, f"zoo_{case}.safetensors"), refs)


if __name__ == "__main__":
    main(sys.argv[1])
