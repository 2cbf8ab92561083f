"""Model zoo: the CNNs the compiler is tested and benchmarked on, in plain PyTorch.

Why our own code instead of torchvision: torchvision is not available in this
environment, and writing the networks out keeps them restricted to the small
set of layers the fpga-sdf frontend supports (Conv2d/3d, Linear, BatchNorm,
Max/AvgPool, AdaptiveAvgPool to 1, ReLU/ReLU6/LeakyReLU/Sigmoid/Hardsigmoid/
Hardswish/SiLU, add, mul, channel concat, flatten, dropout, nearest upsample).
The large models (ResNet, MobileNetV2, VGG, AlexNet, R(2+1)D) follow the
torchvision architectures layer for layer, so parameter counts and layer
shapes match the published networks.

Weights are random but deterministic: every builder seeds its own
``torch.Generator``, so two ``build(name)`` calls give bit-identical models
and the global torch RNG is left alone.  The initialisation is chosen so that
the compiler sees realistic numbers rather than degenerate ones:

* conv / linear weights are kaiming-normal (fan_in, ReLU gain), biases small
  but non-zero, so activations keep roughly unit scale through deep stacks;
* batch-norm gamma/beta are drawn from the seed, and the running statistics
  are *calibrated* by one forward pass over a seeded random batch.  This gives
  non-trivial running_mean/running_var (so batch-norm folding is really
  exercised) while keeping eval-mode activations normalised, which random
  running stats alone would not do in a 50-layer network.

Usage::

    model, x = build("resnet18")    # model is in eval mode
    names()                         # all registered names
"""

from __future__ import annotations

import zlib
from typing import Callable

import torch
import torch.nn as nn

__all__ = ["ZOO", "build", "names", "output_shape"]


# --------------------------------------------------------------------------
# Deterministic initialisation
# --------------------------------------------------------------------------

_CONV = (nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm2d, nn.BatchNorm3d)


def _seed_of(name: str) -> int:
    """A stable per-model seed (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _init_weights(model: nn.Module, gen: torch.Generator) -> None:
    """Overwrite every parameter from ``gen`` (see module docstring for why)."""
    for m in model.modules():
        if isinstance(m, _CONV + (nn.Linear,)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu", generator=gen)
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, 0.05, generator=gen)
        elif isinstance(m, _BN):
            nn.init.uniform_(m.weight, 0.5, 1.5, generator=gen)
            nn.init.normal_(m.bias, 0.0, 0.2, generator=gen)


@torch.no_grad()
def _calibrate_bn(model: nn.Module, x: torch.Tensor) -> None:
    """Set BN running stats to the exact batch statistics of ``x``.

    Only the BN layers are put in training mode (dropout stays off), and
    ``momentum=None`` makes the running average equal to the single batch.
    """
    bns = [m for m in model.modules() if isinstance(m, _BN)]
    if not bns:
        return
    model.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    model(x)
    for bn in bns:
        bn.momentum = 0.1
        bn.eval()


def _finish(name: str, model: nn.Module, input_shape: tuple[int, ...]):
    """Seed, initialise, calibrate; return ``(model.eval(), example_input)``."""
    gen = torch.Generator().manual_seed(_seed_of(name))
    _init_weights(model, gen)
    calib = torch.randn((2,) + tuple(input_shape[1:]), generator=gen)
    _calibrate_bn(model, calib)
    example = torch.randn(input_shape, generator=gen)
    return model.eval(), example


# --------------------------------------------------------------------------
# Small building blocks
# --------------------------------------------------------------------------


def _conv_bn(cin, cout, k, stride=1, padding=0, groups=1, act=nn.ReLU):
    """Conv2d (no bias) + BatchNorm2d (+ activation): the usual CNN unit."""
    layers = [
        nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------
# Tiny test networks (fast; each targets a few frontend features)
# --------------------------------------------------------------------------


def tiny_conv():
    """conv-bn-relu-maxpool-linear: the smallest network that needs BN folding."""
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 10),
    )
    return _finish("tiny_conv", model, (1, 3, 16, 16))


class _TinyResNet(nn.Module):
    """Stem + one BasicBlock whose shortcut is a strided 1x1 conv + BN."""

    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 8, 3, padding=1)
        self.block = BasicBlock(8, 16, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.block(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def tiny_resnet():
    return _finish("tiny_resnet", _TinyResNet(), (1, 3, 16, 16))


class SqueezeExcite(nn.Module):
    """MobileNetV3-style SE: global pool -> 1x1 convs -> hardsigmoid -> channel mul."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return x * s


class _TinyInvertedResidual(nn.Module):
    """Expand 1x1 -> depthwise 3x3 (ReLU6) -> SE -> project 1x1, plus residual add."""

    def __init__(self, c, expand=4):
        super().__init__()
        h = c * expand
        self.expand = _conv_bn(c, h, 1, act=nn.ReLU6)
        self.dw = _conv_bn(h, h, 3, padding=1, groups=h, act=nn.ReLU6)
        self.se = SqueezeExcite(h, h // 4)
        self.project = _conv_bn(h, c, 1, act=None)

    def forward(self, x):
        return x + self.project(self.se(self.dw(self.expand(x))))


def tiny_mobilenet():
    model = nn.Sequential(
        _conv_bn(3, 8, 3, stride=2, padding=1, act=nn.Hardswish),
        _TinyInvertedResidual(8),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(8, 10),
    )
    return _finish("tiny_mobilenet", model, (1, 3, 16, 16))


def tiny_c3d():
    """3D conv + BN3d + 3D max/avg pool + linear: the video path in miniature."""
    model = nn.Sequential(
        nn.Conv3d(3, 8, 3, padding=1),
        nn.BatchNorm3d(8),
        nn.ReLU(),
        nn.MaxPool3d((1, 2, 2)),
        nn.Conv3d(8, 8, 3, padding=1),
        nn.ReLU(),
        nn.AvgPool3d(2),
        nn.Flatten(),
        nn.Linear(8 * 2 * 4 * 4, 10),
    )
    return _finish("tiny_c3d", model, (1, 3, 4, 16, 16))


class _TinyConcat(nn.Module):
    """Two branches concatenated on channels (inception/densenet style).

    The BN after the concat follows ReLU/LeakyReLU/SiLU, so it cannot be
    folded into a preceding conv and must survive as a standalone affine op.
    Also covers asymmetric zero padding, dilation, grouped conv, ceil_mode
    max pooling, nearest upsampling, sigmoid and average pooling.
    """

    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 8, 3, padding=1)
        self.branch_a = nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU())
        self.branch_b = nn.Sequential(
            nn.ZeroPad2d((0, 1, 0, 1)),  # (left, right, top, bottom): "same" for k=2
            nn.Conv2d(8, 8, 2),
            nn.LeakyReLU(0.1),
            nn.Conv2d(8, 8, 3, padding=2, dilation=2),
            nn.SiLU(),
        )
        self.bn = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)  # 16 -> 8
        self.up = nn.Upsample(scale_factor=2, mode="nearest")  # 8 -> 16
        self.mix = nn.Conv2d(16, 8, 3, padding=1, groups=2)
        self.act = nn.Sigmoid()
        self.avg = nn.AvgPool2d(2)  # 16 -> 8
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.branch_a(x), self.branch_b(x)], dim=1)
        x = self.up(self.pool(self.bn(x)))
        x = self.avg(self.act(self.mix(x)))
        return self.fc(torch.flatten(x, 1))


def tiny_concat():
    return _finish("tiny_concat", _TinyConcat(), (1, 3, 16, 16))


class _Fire(nn.Module):
    """SqueezeNet fire module: a 1x1 squeeze, then 1x1 and 3x3 expands concatenated."""

    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU())
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.ReLU())
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.e1(x), self.e3(x)], 1)


def tiny_fire():
    """Two fire modules (SqueezeNet): branches that join in a concat after a shared squeeze."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), _Fire(8, 4, 4),
                          nn.MaxPool2d(2), _Fire(8, 4, 4), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(8, 10))
    return _finish("tiny_fire", model, (1, 3, 16, 16))


class _TinyDense(nn.Module):
    """A DenseNet block: every conv's output concatenated to its own input (skip concats)."""

    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 4, 3, stride=2, padding=1)
        self.c1 = _conv_bn(4, 4, 3, padding=1)
        self.c2 = _conv_bn(8, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([x, self.c1(x)], 1)
        x = torch.cat([x, self.c2(x)], 1)
        return self.fc(torch.flatten(self.pool(x), 1))


def tiny_dense():
    return _finish("tiny_dense", _TinyDense(), (1, 3, 16, 16))


class _TinyInception(nn.Module):
    """An inception block: 1x1, 1x1-3x3, 1x1-5x5 and 3x3 max pool-1x1 branches concatenated."""

    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 8, 3, stride=2, padding=1)
        self.b1 = _conv_bn(8, 4, 1)
        self.b3 = nn.Sequential(_conv_bn(8, 4, 1), _conv_bn(4, 4, 3, padding=1))
        self.b5 = nn.Sequential(_conv_bn(8, 2, 1), _conv_bn(2, 4, 5, padding=2))
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), _conv_bn(8, 4, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)
        return self.fc(torch.flatten(self.pool(x), 1))


def tiny_inception():
    return _finish("tiny_inception", _TinyInception(), (1, 3, 16, 16))


# --------------------------------------------------------------------------
# Classic image CNNs
# --------------------------------------------------------------------------


def lenet():
    """LeNet-5 on 1x32x32 (the original paper's input size), ReLU + max pool."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    return _finish("lenet", model, (1, 1, 32, 32))


def alexnet():
    """torchvision AlexNet.

    torchvision's AdaptiveAvgPool2d((6, 6)) is omitted: at 224x224 the feature
    map is already 6x6, so it is an identity (and only pool-to-1 is supported).
    """
    model = nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, 1000),
    )
    return _finish("alexnet", model, (1, 3, 224, 224))


_VGG_CFG = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
}


def _vgg(name):
    """torchvision VGG (configs A and D, without BN).

    As for AlexNet, the AdaptiveAvgPool2d((7, 7)) is an identity at 224x224
    and is omitted.
    """
    layers, cin = [], 3
    for v in _VGG_CFG[name]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, stride=2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    layers += [
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 1000),
    ]
    return _finish(name, nn.Sequential(*layers), (1, 3, 224, 224))


def vgg11():
    return _vgg("vgg11")


def vgg16():
    return _vgg("vgg16")


# --------------------------------------------------------------------------
# ResNet (torchvision resnet18 / resnet50, v1.5)
# --------------------------------------------------------------------------


def _downsample(cin, cout, stride):
    """Shortcut projection: 1x1 conv + BN, only when the shape changes."""
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _downsample(cin, planes, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: the stride sits on the 3x3 conv, as in torchvision."""

    expansion = 4

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = _downsample(cin, cout, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin, stages = 64, []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(block(cin, planes, stride))
                cin = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18():
    return _finish("resnet18", ResNet(BasicBlock, [2, 2, 2, 2]), (1, 3, 224, 224))


def resnet50():
    return _finish("resnet50", ResNet(Bottleneck, [3, 4, 6, 3]), (1, 3, 224, 224))


# --------------------------------------------------------------------------
# MobileNetV1 (Howard et al. 2017, width 1.0, 224x224; ReLU after every BN)
# --------------------------------------------------------------------------


class MobileNetV1(nn.Module):
    # (output channels, stride) of the 13 depthwise-separable blocks
    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
             [(1024, 2), (1024, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, cin = [_conv_bn(3, 32, 3, stride=2, padding=1)], 32
        for cout, stride in self.BLOCKS:
            layers += [_conv_bn(cin, cin, 3, stride=stride, padding=1, groups=cin), _conv_bn(cin, cout, 1)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def mobilenetv1():
    return _finish("mobilenetv1", MobileNetV1(), (1, 3, 224, 224))


# --------------------------------------------------------------------------
# MobileNetV2 (torchvision, width 1.0)
# --------------------------------------------------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand_ratio):
        super().__init__()
        hidden = cin * expand_ratio
        self.use_res = stride == 1 and cin == cout
        layers = []
        if expand_ratio != 1:
            layers.append(_conv_bn(cin, hidden, 1, act=nn.ReLU6))
        layers += [
            _conv_bn(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, act=nn.ReLU6),
            _conv_bn(hidden, cout, 1, act=None),  # linear bottleneck
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    # (expand ratio t, channels c, repeats n, first stride s), from the paper / torchvision
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, cin = [_conv_bn(3, 32, 3, stride=2, padding=1, act=nn.ReLU6)], 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(_conv_bn(cin, 1280, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def mobilenetv2():
    return _finish("mobilenetv2", MobileNetV2(), (1, 3, 224, 224))


# --------------------------------------------------------------------------
# Video networks
# --------------------------------------------------------------------------


def c3d():
    """C3D (Tran et al. 2015), Sports-1M head (487 classes), input 3x16x112x112."""

    def conv(cin, cout):
        return [nn.Conv3d(cin, cout, 3, padding=1), nn.ReLU()]

    model = nn.Sequential(
        *conv(3, 64), nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2)),
        *conv(64, 128), nn.MaxPool3d(2, stride=2),
        *conv(128, 256), *conv(256, 256), nn.MaxPool3d(2, stride=2),
        *conv(256, 512), *conv(512, 512), nn.MaxPool3d(2, stride=2),
        *conv(512, 512), *conv(512, 512), nn.MaxPool3d(2, stride=2, padding=(0, 1, 1)),
        nn.Flatten(),
        nn.Linear(8192, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 487),
    )
    return _finish("c3d", model, (1, 3, 16, 112, 112))


class Conv2Plus1D(nn.Sequential):
    """(2+1)D factorisation: spatial 1xkxk conv, BN, ReLU, temporal kx1x1 conv."""

    def __init__(self, cin, cout, mid, stride=1):
        super().__init__(
            nn.Conv3d(cin, mid, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(mid),
            nn.ReLU(),
            nn.Conv3d(mid, cout, (3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False),
        )


class VideoBasicBlock(nn.Module):
    def __init__(self, cin, planes, stride=1):
        super().__init__()
        # torchvision: keep the parameter count of a full 3x3x3 conv
        mid = (cin * planes * 27) // (cin * 9 + 3 * planes)
        self.conv1 = nn.Sequential(Conv2Plus1D(cin, planes, mid, stride), nn.BatchNorm3d(planes), nn.ReLU())
        self.conv2 = nn.Sequential(Conv2Plus1D(planes, planes, mid), nn.BatchNorm3d(planes))
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(
                nn.Conv3d(cin, planes, 1, stride=stride, bias=False), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class R2Plus1D18(nn.Module):
    """torchvision r2plus1d_18 (Kinetics-400 head)."""

    def __init__(self, num_classes=400):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(),
            nn.Conv3d(45, 64, (3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(),
        )
        cin, stages = 64, []
        for i, planes in enumerate((64, 128, 256, 512)):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(VideoBasicBlock(cin, planes, stride), VideoBasicBlock(planes, planes)))
            cin = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def r2plus1d_18():
    return _finish("r2plus1d_18", R2Plus1D18(), (1, 3, 16, 112, 112))


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------


def _digits():
    # Imported lazily: digits pulls in scikit-learn only when it is asked for.
    from . import digits

    return digits.build()


ZOO: dict[str, Callable[[], tuple[nn.Module, torch.Tensor]]] = {
    "tiny_conv": tiny_conv,
    "tiny_resnet": tiny_resnet,
    "tiny_mobilenet": tiny_mobilenet,
    "tiny_c3d": tiny_c3d,
    "tiny_concat": tiny_concat,
    "tiny_fire": tiny_fire,
    "tiny_dense": tiny_dense,
    "tiny_inception": tiny_inception,
    "digits": _digits,
    "lenet": lenet,
    "alexnet": alexnet,
    "vgg11": vgg11,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenetv1": mobilenetv1,
    "mobilenetv2": mobilenetv2,
    "c3d": c3d,
    "r2plus1d_18": r2plus1d_18,
}

# Expected output shape of each model on its example input (batch 1).
_OUTPUT_SHAPES = {
    "tiny_conv": (1, 10), "tiny_resnet": (1, 10), "tiny_mobilenet": (1, 10),
    "tiny_c3d": (1, 10), "tiny_concat": (1, 10), "tiny_fire": (1, 10), "tiny_dense": (1, 10),
    "tiny_inception": (1, 10), "digits": (1, 10), "lenet": (1, 10),
    "alexnet": (1, 1000), "vgg11": (1, 1000), "vgg16": (1, 1000),
    "resnet18": (1, 1000), "resnet50": (1, 1000), "mobilenetv1": (1, 1000), "mobilenetv2": (1, 1000),
    "c3d": (1, 487), "r2plus1d_18": (1, 400),
}


def names() -> list[str]:
    """All registered model names, small test networks first."""
    return list(ZOO)


def output_shape(name: str) -> tuple[int, ...]:
    """The output shape ``build(name)``'s model gives on its example input."""
    return _OUTPUT_SHAPES[name]


def build(name: str) -> tuple[nn.Module, torch.Tensor]:
    """Return ``(model in eval mode, example input)`` for a zoo model.

    Deterministic: repeated calls give identical weights and inputs.  The
    global torch RNG state is not touched.
    """
    if name not in ZOO:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(ZOO)}")
    with torch.random.fork_rng(devices=[]):
        model, example = ZOO[name]()
    return model.eval(), example


def calibration_data(name: str):
    """Representative inputs for quantization, for the zoo models trained on real data
    (float32 numpy, batch first), or None where the weights are random anyway."""
    if name == "digits":
        from . import digits

        x, _ = digits.load_train_set()
        return x[:256].numpy()
    return None
