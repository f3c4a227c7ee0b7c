"""Torchvision image classifiers, re-implemented by hand for Ember's model zoo.

There is no torchvision in the environment and nothing may be downloaded, so
each architecture here mirrors torchvision's module tree, layer order, default
hyper-parameters, activations and norm layers closely enough that the
full-size builds have torchvision's published parameter counts and state-dict
keys. Every builder also takes size knobs so that tests can use a small
variant of the same graph.

Weights are random (no checkpoints): torchvision's own initialisation, then
`randomize_norms` gives batch-norm, layer-norm, layer-scale and bias values
that are not the trivial 0/1 defaults, so a wrongly folded or skipped norm
changes the output. Eval mode makes dropout and stochastic depth identities.

`VISION_MODELS[name](full)` returns `(model.eval(), example_inputs)`;
`python tests/models/vision.py` runs the self-check, full size included.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

# Published torchvision parameter counts (the `num_params` of the ImageNet
# weights) for the default, 1000-class builds.
FULL_PARAM_COUNTS: dict[str, int] = {
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856,
    "efficientnet_b0": 5_288_548,
    "convnext_tiny": 28_589_128,
}

# ---------------------------------------------------------------------------
# Shared pieces (torchvision.ops.misc, torchvision.ops.stochastic_depth)
# ---------------------------------------------------------------------------


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never going below 90%
    of `v` (the TensorFlow MobileNet rule torchvision copies)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Conv2dNormActivation(nn.Sequential):
    """conv -> norm -> activation, as a Sequential so the state-dict keys are
    `<i>.0.weight`, `<i>.1.running_mean`, ... as in torchvision. The conv has a
    bias only when there is no norm, unless `bias` says otherwise."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, padding: int | None = None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation: int = 1, bias: bool | None = None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                      dilation=dilation, groups=groups, bias=bias)
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=True))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Channel attention: input * scale_act(fc2(act(fc1(avgpool(input)))))."""

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return self.scale_activation(scale) * x


class StochasticDepth(nn.Module):
    """Drops whole residual branches per sample ("row" mode) while training;
    the identity in eval mode, which is all an exported inference graph sees."""

    def __init__(self, p: float, mode: str = "row"):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * noise.div_(keep)


class Permute(nn.Module):
    """torch.permute as a module, for use inside nn.Sequential."""

    def __init__(self, dims: Sequence[int]):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.permute(x, self.dims)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor: permute to NHWC, normalise
    the last dimension, permute back (torchvision.models.convnext.LayerNorm2d)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def _init_convs_kaiming(model: nn.Module, linear: Callable[[nn.Linear], None]) -> None:
    """The MobileNet/EfficientNet initialisation: conv kaiming-normal (fan_out),
    zero conv bias, norms at 1/0, and `linear` for the linear layers."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            linear(m)


# ---------------------------------------------------------------------------
# ResNet (torchvision "v1.5": the stride-2 conv of a Bottleneck is the 3x3)
# ---------------------------------------------------------------------------


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """`width` is the channel count of the stem and of layer1 (64 in
    torchvision); stage i has width * 2**i planes."""

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: Sequence[int],
                 num_classes: int = 1000, width: int = 64):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block: type[BasicBlock | Bottleneck], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet18(num_classes: int = 1000, width: int = 64,
             layers: Sequence[int] = (2, 2, 2, 2)) -> ResNet:
    """Full size: 11,689,512 parameters."""
    return ResNet(BasicBlock, layers, num_classes, width)


def resnet50(num_classes: int = 1000, width: int = 64,
             layers: Sequence[int] = (3, 4, 6, 3)) -> ResNet:
    """Full size: 25,557,032 parameters."""
    return ResNet(Bottleneck, layers, num_classes, width)


# ---------------------------------------------------------------------------
# MobileNetV2
# ---------------------------------------------------------------------------

# t (expansion), c (output channels), n (repeats), s (first stride)
MOBILENET_V2_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class InvertedResidualV2(nn.Module):
    """[1x1 expand ->] 3x3 depthwise -> 1x1 linear projection, ReLU6,
    residual when the shape is kept."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
        super().__init__()
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 setting: Sequence[tuple[int, int, int, int]] = MOBILENET_V2_SETTING,
                 round_nearest: int = 8, dropout: float = 0.2):
        super().__init__()
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [
            Conv2dNormActivation(3, input_channel, stride=2, activation_layer=nn.ReLU6)
        ]
        for t, c, n, s in setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(InvertedResidualV2(input_channel, output_channel,
                                                   s if i == 0 else 1, expand_ratio=t))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
        _init_convs_kaiming(self, _init_linear_normal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


def _init_linear_normal(m: nn.Linear) -> None:
    nn.init.normal_(m.weight, 0, 0.01)
    nn.init.zeros_(m.bias)


def mobilenet_v2(num_classes: int = 1000, width_mult: float = 1.0,
                 setting: Sequence[tuple[int, int, int, int]] = MOBILENET_V2_SETTING
                 ) -> MobileNetV2:
    """Full size (width 1.0): 3,504,872 parameters."""
    return MobileNetV2(num_classes, width_mult, setting)


# ---------------------------------------------------------------------------
# MobileNetV3-Small
# ---------------------------------------------------------------------------


class InvertedResidualConfig:
    """One bneck row of the MobileNetV3 paper's table, channels scaled by
    `width_mult`."""

    def __init__(self, input_channels: int, kernel: int, expanded_channels: int,
                 out_channels: int, use_se: bool, activation: str, stride: int, dilation: int,
                 width_mult: float):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: float, width_mult: float) -> int:
        return _make_divisible(channels * width_mult, 8)


class InvertedResidualV3(nn.Module):
    """[1x1 expand ->] kxk depthwise [-> SE with hardsigmoid] -> 1x1 projection;
    ReLU or hardswish per the config."""

    def __init__(self, cnf: InvertedResidualConfig, norm_layer: Callable[..., nn.Module]):
        super().__init__()
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers: list[nn.Module] = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=act))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels,
                                           kernel_size=cnf.kernel, stride=stride,
                                           dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=act))
        if cnf.use_se:
            squeeze_channels = _make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(SqueezeExcitation(cnf.expanded_channels, squeeze_channels,
                                            scale_activation=nn.Hardsigmoid))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.block(x)
        if self.use_res_connect:
            result += x
        return result


class MobileNetV3(nn.Module):
    def __init__(self, setting: Sequence[InvertedResidualConfig], last_channel: int,
                 num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = setting[0].input_channels
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer,
                                 activation_layer=nn.Hardswish)
        ]
        layers += [InvertedResidualV3(cnf, norm_layer) for cnf in setting]
        last_in = setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        _init_convs_kaiming(self, _init_linear_normal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def mobilenet_v3_small(num_classes: int = 1000, width_mult: float = 1.0,
                       reduced_tail: bool = False, dilated: bool = False) -> MobileNetV3:
    """Full size (width 1.0): 2,542,856 parameters."""
    rd = 2 if reduced_tail else 1
    dil = 2 if dilated else 1
    bneck = partial(InvertedResidualConfig, width_mult=width_mult)
    setting = [
        bneck(16, 3, 16, 16, True, "RE", 2, 1),  # C1
        bneck(16, 3, 72, 24, False, "RE", 2, 1),  # C2
        bneck(24, 3, 88, 24, False, "RE", 1, 1),
        bneck(24, 5, 96, 40, True, "HS", 2, 1),  # C3
        bneck(40, 5, 240, 40, True, "HS", 1, 1),
        bneck(40, 5, 240, 40, True, "HS", 1, 1),
        bneck(40, 5, 120, 48, True, "HS", 1, 1),
        bneck(48, 5, 144, 48, True, "HS", 1, 1),
        bneck(48, 5, 288 // rd, 96 // rd, True, "HS", 2, dil),  # C4
        bneck(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
        bneck(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
    ]
    last_channel = InvertedResidualConfig.adjust_channels(1024 // rd, width_mult)  # C5
    return MobileNetV3(setting, last_channel, num_classes)


# ---------------------------------------------------------------------------
# EfficientNet-B0
# ---------------------------------------------------------------------------


class MBConvConfig:
    """One stage of the EfficientNet paper's Table 1, scaled by width/depth."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))

    @staticmethod
    def adjust_channels(channels: float, width_mult: float) -> int:
        return _make_divisible(channels * width_mult, 8)


class MBConv(nn.Module):
    """[1x1 expand ->] kxk depthwise -> SE (SiLU, sigmoid) -> 1x1 projection,
    SiLU activations; the residual branch goes through stochastic depth."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]):
        super().__init__()
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(SqueezeExcitation(expanded, squeeze_channels,
                                        activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += x
        return result


class EfficientNet(nn.Module):
    def __init__(self, setting: Sequence[MBConvConfig], dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000):
        super().__init__()
        norm_layer = nn.BatchNorm2d
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, setting[0].input_channels, kernel_size=3, stride=2,
                                 norm_layer=norm_layer, activation_layer=nn.SiLU)
        ]
        total_blocks = sum(cnf.num_layers for cnf in setting)
        block_id = 0
        for cnf in setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = MBConvConfig.__new__(MBConvConfig)
                block_cnf.__dict__.update(cnf.__dict__)
                if stage:  # later blocks of a stage keep the shape
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(MBConv(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = setting[-1].out_channels
        last_out = 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        _init_convs_kaiming(self, _init_linear_uniform)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def _init_linear_uniform(m: nn.Linear) -> None:
    init_range = 1.0 / math.sqrt(m.out_features)
    nn.init.uniform_(m.weight, -init_range, init_range)
    nn.init.zeros_(m.bias)


def efficientnet_b0(num_classes: int = 1000, width_mult: float = 1.0,
                    depth_mult: float = 1.0) -> EfficientNet:
    """Full size (width 1.0, depth 1.0): 5,288,548 parameters."""
    bneck = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    setting = [
        bneck(1, 3, 1, 32, 16, 1),
        bneck(6, 3, 2, 16, 24, 2),
        bneck(6, 5, 2, 24, 40, 2),
        bneck(6, 3, 2, 40, 80, 3),
        bneck(6, 5, 1, 80, 112, 3),
        bneck(6, 5, 2, 112, 192, 4),
        bneck(6, 3, 1, 192, 320, 1),
    ]
    return EfficientNet(setting, dropout=0.2, num_classes=num_classes)


# ---------------------------------------------------------------------------
# ConvNeXt-Tiny
# ---------------------------------------------------------------------------


class CNBlock(nn.Module):
    """7x7 depthwise conv -> NHWC LayerNorm -> Linear 4x -> GELU -> Linear,
    scaled per channel (layer scale), through stochastic depth, plus input."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.layer_scale * self.block(x)
        result = self.stochastic_depth(result)
        result += x
        return result


class ConvNeXt(nn.Module):
    """`dims[i]` channels and `depths[i]` blocks in stage i; a LayerNorm2d plus
    2x2 stride-2 conv between stages; a 4x4 stride-4 patchify stem."""

    def __init__(self, dims: Sequence[int], depths: Sequence[int],
                 stochastic_depth_prob: float = 0.0, layer_scale: float = 1e-6,
                 num_classes: int = 1000):
        super().__init__()
        norm_layer = partial(LayerNorm2d, eps=1e-6)
        layers: list[nn.Module] = [
            Conv2dNormActivation(3, dims[0], kernel_size=4, stride=4, padding=0,
                                 norm_layer=norm_layer, activation_layer=None, bias=True)
        ]
        total_blocks = sum(depths)
        block_id = 0
        for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
            stage: list[nn.Module] = []
            for _ in range(depth):
                sd_prob = stochastic_depth_prob * block_id / max(total_blocks - 1.0, 1.0)
                stage.append(CNBlock(dim, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i + 1 < len(dims):
                layers.append(nn.Sequential(norm_layer(dim),
                                            nn.Conv2d(dim, dims[i + 1], kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(norm_layer(dims[-1]), nn.Flatten(1),
                                        nn.Linear(dims[-1], num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)))


def convnext_tiny(num_classes: int = 1000, dims: Sequence[int] = (96, 192, 384, 768),
                  depths: Sequence[int] = (3, 3, 9, 3),
                  stochastic_depth_prob: float = 0.1) -> ConvNeXt:
    """Full size: 28,589,128 parameters."""
    return ConvNeXt(dims, depths, stochastic_depth_prob, num_classes=num_classes)


# ---------------------------------------------------------------------------
# Non-trivial weights and the registry
# ---------------------------------------------------------------------------


@torch.no_grad()
def randomize_norms(model: nn.Module, image_size: int, seed: int = 0,
                    batch: int = 2) -> nn.Module:
    """Make every norm and bias matter, keeping activations at a sane scale.

    1. Norm affine weights ~ U(0.5, 1.5) and biases ~ N(0, 0.1); zero conv and
       linear biases ~ N(0, 0.02); ConvNeXt layer scales ~ U(0.1, 0.5) rather
       than 1e-6, so the residual branches are visible in the output.
    2. Batch-norm running statistics are measured, as training would, on a
       random `batch` of images (not the example input): torchvision's fan-out
       initialisation shrinks depthwise-conv outputs by ~sqrt(channels), so
       made-up statistics would let activations vanish or blow up.
    3. Each layer's measured statistics are perturbed (mean + 0.2 std N(0, 1),
       variance x U(0.7, 1.4)) before the layer runs, so later layers measure
       what the perturbed layer gives and the errors do not compound, while an
       inference that used batch statistics instead would not match eager.
    """
    g = torch.Generator().manual_seed(seed)

    def rand(shape: torch.Size, lo: float, hi: float) -> torch.Tensor:
        return torch.rand(shape, generator=g) * (hi - lo) + lo

    def randn(shape: torch.Size, std: float) -> torch.Tensor:
        return torch.randn(shape, generator=g) * std

    for m in model.modules():  # 1.
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            m.weight.copy_(rand(m.weight.shape, 0.5, 1.5))
            m.bias.copy_(randn(m.bias.shape, 0.1))
        elif isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
            if not m.bias.any():
                m.bias.copy_(randn(m.bias.shape, 0.02))
        elif isinstance(m, CNBlock):
            m.layer_scale.copy_(rand(m.layer_scale.shape, 0.1, 0.5))

    def measure(bn: nn.BatchNorm2d, args: tuple[torch.Tensor, ...]) -> None:  # 2. and 3.
        var, mean = torch.var_mean(args[0], dim=(0, 2, 3), unbiased=False)
        bn.running_mean.copy_(mean + randn(mean.shape, 0.2) * var.sqrt())
        bn.running_var.copy_(var * rand(var.shape, 0.7, 1.4))

    model.eval()
    hooks = [m.register_forward_pre_hook(measure) for m in model.modules()
             if isinstance(m, nn.BatchNorm2d)]
    if hooks:
        model(torch.randn(batch, 3, image_size, image_size, generator=g))
    for h in hooks:
        h.remove()
    return model


SMALL_IMAGE = 64
FULL_IMAGE = 224

# The small variants: same graph structure and op mix, few channels and blocks.
SMALL_BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "resnet18": partial(resnet18, num_classes=10, width=16, layers=(1, 1, 1, 1)),
    "resnet50": partial(resnet50, num_classes=10, width=16, layers=(1, 1, 1, 1)),
    "mobilenet_v2": partial(mobilenet_v2, num_classes=10, width_mult=0.25),
    "mobilenet_v3_small": partial(mobilenet_v3_small, num_classes=10, width_mult=0.25),
    "efficientnet_b0": partial(efficientnet_b0, num_classes=10, width_mult=0.25,
                               depth_mult=0.34),
    "convnext_tiny": partial(convnext_tiny, num_classes=10, dims=(16, 32, 64, 128),
                             depths=(1, 1, 1, 1)),
}

FULL_BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_small": mobilenet_v3_small,
    "efficientnet_b0": efficientnet_b0,
    "convnext_tiny": convnext_tiny,
}


def build(name: str, full: bool, seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The model `name` in eval mode with non-trivial weights, and a seeded
    1x3xSxS example input (S = 224 full size, 64 small)."""
    size = FULL_IMAGE if full else SMALL_IMAGE
    with torch.random.fork_rng(devices=[]):  # the initialisers use the global generator
        torch.manual_seed(seed)
        model = (FULL_BUILDERS if full else SMALL_BUILDERS)[name]()
    # Enough positions per channel at the 2x2 end of a small model for stable statistics.
    randomize_norms(model, size, seed, batch=2 if full else 8)
    g = torch.Generator().manual_seed(seed + 1)
    return model.eval(), (torch.randn(1, 3, size, size, generator=g),)


VISION_MODELS: dict[str, Callable[[bool], tuple[nn.Module, tuple[torch.Tensor, ...]]]] = {
    name: partial(build, name) for name in FULL_BUILDERS
}


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def full_param_count(name: str) -> int:
    """The full-size parameter count, built on the meta device (no memory, no
    initialisation cost)."""
    with torch.device("meta"):
        return count_params(FULL_BUILDERS[name]())


def self_check(full: bool = True) -> None:
    """Parameter counts against torchvision's, and a sane, finite output for
    every model (small, and full size when `full`)."""
    for name in VISION_MODELS:
        got, want = full_param_count(name), FULL_PARAM_COUNTS[name]
        assert got == want, f"{name}: {got:,} parameters, expected {want:,}"
        for is_full in (False, True) if full else (False,):
            model, inputs = VISION_MODELS[name](is_full)
            with torch.no_grad():
                out = model(*inputs)
            std = out.std().item()
            assert out.shape == (1, 1000 if is_full else 10), (name, out.shape)
            assert torch.isfinite(out).all() and 1e-3 < std < 1e3, f"{name}: logits std {std}"
            print(f"{name:20s} {'full' if is_full else 'small':5s} params "
                  f"{count_params(model):>11,}  logits std {std:.3g}")


if __name__ == "__main__":
    self_check()
