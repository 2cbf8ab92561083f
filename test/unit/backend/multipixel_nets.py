"""A network for the multi-pixel tests of both backends (test_hls_multipixel.py,
rtl/test_rtl_multipixel.py): one small model with every layer kind the zoo's nets leave out
at p > 1. (This directory is on sys.path through its conftest.py.)"""


def every_kind_net():
    """A 16x16 network with every kind built at p > 1: a stride-2 conv, leaky_relu, a batch
    norm after it (scale_shift), a split into a 3x3 conv + relu6, a 1x1 conv + sigmoid (a
    table) and the skip, the residual add (eltwise), concat, a 2x2 average pool, the global
    average pool and the classifier."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.c2 = nn.Conv2d(4, 4, 3, padding=1)
            self.c3 = nn.Conv2d(4, 4, 1)
            self.pool = nn.AvgPool2d(2)
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            y = self.bn(F.leaky_relu(self.c1(x), 0.1))
            a = F.relu6(self.c2(y))
            b = torch.sigmoid(self.c3(y))
            z = torch.cat([a + y, b], 1)
            return self.fc(self.pool(z).mean((2, 3)))

    torch.manual_seed(0)
    net = Net().eval()
    with torch.no_grad():  # a batch norm that is not the identity
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.5, 0.5)
        net.bn.running_mean.uniform_(-0.2, 0.2)
        net.bn.running_var.uniform_(0.5, 2.0)
    return net, torch.randn(2, 3, 16, 16)


def zoo_quantized(net: str, tmp, quantize: str = ""):
    """The zoo's `net` quantized (with the `--sdf-quantize` options `quantize`) on its example
    input and a seeded noise frame, on the ZC706; returns (module, the two frames)."""
    from pathlib import Path

    import numpy as np

    from fpga_sdf.api import run_pass
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, x = zoo.build(net)
    frames = np.concatenate([x.numpy(), np.random.default_rng(7).standard_normal((1, *x.shape[1:])).astype(np.float32)])
    module = import_model(model, x)
    calib = Path(tmp) / f"{net}_calib.npy"
    np.save(calib, frames)
    run_pass(module, "sdf-quantize", f"{quantize} calibration={calib}".strip())
    run_pass(module, "sdf-target", "platform=zc706")
    return module, frames
