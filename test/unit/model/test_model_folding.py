"""Folding legality: choices are divisors of the loops they unroll; violations are named."""

from dataclasses import replace

from fpga_sdf.model import LayerSpec, check_folding, folding_choices
from fpga_sdf.model.folding import divisors


def conv(**kw):
    base = dict(name="c", kind="conv", inputs=((16, 32, 32),), outputs=((32, 32, 32),),
                kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1))
    base.update(kw)
    return LayerSpec(**base)


def test_divisors():
    assert divisors(1) == (1,)
    assert divisors(12) == (1, 2, 3, 4, 6, 12)
    assert divisors(49) == (1, 7, 49)


def test_conv_choices_are_divisors_of_channels_and_kernel():
    legal = folding_choices(conv())
    assert legal.coarse_in == (1, 2, 4, 8, 16)
    assert legal.coarse_out == (1, 2, 4, 8, 16, 32)
    assert legal.coarse_group == (1,)
    assert legal.fine == (1, 3, 9)
    assert legal.wr_factor == (1, 2, 4, 8, 16, 32)


def test_conv3d_fine_divides_k_cubed():
    spec = conv(inputs=((8, 8, 16, 16),), outputs=((16, 8, 16, 16),), kernel=(3, 3, 3),
                stride=(1, 1, 1), pad=(1,) * 6)
    assert folding_choices(spec).fine == (1, 3, 9, 27)
    assert check_folding(spec) == []


def test_depthwise_folds_over_groups():
    spec = conv(inputs=((32, 16, 16),), outputs=((32, 16, 16),), groups=32)
    legal = folding_choices(spec)
    assert legal.coarse_in == (1,) and legal.coarse_out == (1,)
    assert legal.coarse_group == divisors(32)
    assert legal.wr_factor == (1,)


def test_weightless_layers_have_only_coarse_choices():
    relu = LayerSpec("r", "activation", ((24, 8, 8),), ((24, 8, 8),), mode="relu")
    legal = folding_choices(relu)
    assert legal.coarse_in == legal.coarse_out == divisors(24)
    assert legal.fine == legal.wr_factor == legal.coarse_group == (1,)
    pool = LayerSpec("p", "pool", ((24, 8, 8),), ((24, 4, 4),), kernel=(2, 2), stride=(2, 2),
                     mode="max")
    assert folding_choices(pool).fine == (1, 2, 4)


def test_concat_coarse_divides_every_input():
    spec = LayerSpec("cat", "concat", ((32, 8, 8), (48, 8, 8)), ((80, 8, 8),))
    assert folding_choices(spec).coarse_in == divisors(16)


def test_inner_product_flattens_input():
    spec = LayerSpec("fc", "inner_product", ((8, 2, 2),), ((10,),))
    legal = folding_choices(spec)
    assert legal.coarse_in == divisors(32)
    assert legal.coarse_out == divisors(10)
    assert legal.fine == (1,)


def test_legal_folding_has_no_violations():
    assert check_folding(conv(coarse_in=4, coarse_out=8, fine=9, wr_factor=2)) == []


def test_each_violation_is_reported_by_name():
    assert any("coarse_in=3" in p for p in check_folding(conv(coarse_in=3)))
    assert any("fine=2" in p for p in check_folding(conv(fine=2)))
    # wr_factor=8 leaves 4 filters: coarse_out=8 cannot divide them
    assert any("coarse_out=8" in p and "wr_factor=8" in p
               for p in check_folding(conv(coarse_out=8, wr_factor=8)))
    relu = LayerSpec("r", "activation", ((24, 8, 8),), ((24, 8, 8),), mode="relu",
                     coarse_in=4, coarse_out=2)
    assert any("must be equal" in p for p in check_folding(relu))


def test_shape_and_extension_violations():
    assert any("output spatial" in p for p in check_folding(conv(outputs=((32, 30, 30),))))
    assert any("mode" in p for p in check_folding(
        LayerSpec("r", "activation", ((4, 2, 2),), ((4, 2, 2),), mode="tanh")))
    assert any("sparsity has 3 entries" in p for p in check_folding(conv(sparsity=(0.5,) * 3)))
    assert any("[0, 1]" in p for p in check_folding(conv(sparsity=(1.5,) * 16)))
    assert any("pixels p=3 must divide the row width 32" in p for p in check_folding(conv(pixels=(3, 1))))
    assert any("h > 1 duplicates folding" in p for p in check_folding(conv(pixels=(1, 3))))
    assert any("weights_off_chip" in p for p in check_folding(conv(weights_off_chip=1.5)))
    assert any("groups=3" in p for p in check_folding(conv(groups=3)))
    assert any("kernel has 3" in p for p in check_folding(conv(kernel=(3, 3, 3))))


def test_unknown_kind_is_rejected_at_construction():
    import pytest
    with pytest.raises(ValueError, match="unknown kind"):
        LayerSpec("x", "lstm", ((1,),), ((1,),))


def test_multi_pixel_layers_need_rows_and_strides_that_divide_p():
    """pixels = (p, 1): p must divide the row, a stride must divide p, and the p / s windows
    of a word must divide the output row; a vector has no row (a resize takes p pixels like
    the point-wise kinds)."""
    assert check_folding(conv(pixels=(4, 1))) == []
    strided = LayerSpec("s", "conv", ((16, 32, 32),), ((32, 16, 16),), kernel=(3, 3),
                        stride=(2, 2), pad=(1, 1, 1, 1))
    assert check_folding(replace(strided, pixels=(4, 1))) == []  # 2 windows a word
    assert check_folding(replace(strided, pixels=(2, 1))) == []  # 1 window a word
    odd = LayerSpec("s", "conv", ((16, 30, 30),), ((32, 10, 10),), kernel=(3, 3), stride=(3, 3))
    assert any("multiple of the row stride 3" in p for p in check_folding(replace(odd, pixels=(2, 1))))
    # 3x3 / 2 without padding on 16: 7 outputs a row, and q = 4 / 2 = 2 does not divide 7
    ragged = LayerSpec("r", "conv", ((4, 16, 16),), ((4, 7, 7),), kernel=(3, 3), stride=(2, 2))
    assert any("windows per word" in p for p in check_folding(replace(ragged, pixels=(4, 1))))
    fc = LayerSpec("fc", "inner_product", ((64,),), ((10,),))
    assert any("needs a spatial input" in p for p in check_folding(replace(fc, pixels=(2, 1))))
    up = LayerSpec("u", "resize", ((4, 8, 8),), ((4, 16, 16),), mode="nearest")
    assert check_folding(replace(up, pixels=(2, 1))) == []
    assert any("divide the row width 8" in p for p in check_folding(replace(up, pixels=(3, 1))))
