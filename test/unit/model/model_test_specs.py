"""Layer specs shared by the model tests (imported by name: pytest puts this folder on sys.path)."""

from fpga_sdf.model import LayerSpec


def conv(**kw) -> LayerSpec:
    """A 3x3 conv, 16 -> 32 channels at 32x32, folded coarse_in 4, coarse_out 8, fine 9;
    keyword arguments override any field."""
    base = dict(name="conv", kind="conv", inputs=((16, 32, 32),), outputs=((32, 32, 32),),
                kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1), coarse_in=4, coarse_out=8,
                fine=9)
    base.update(kw)
    return LayerSpec(**base)
