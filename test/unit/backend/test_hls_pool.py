"""C-simulation of sdf::pool_layer / sdf::global_pool against pool_fixed /
global_pool_fixed, bit for bit, 2D and 3D, max and avg (count_include_pad both ways), with
the whole window in one cycle and with fewer taps per cycle (fine)."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_sdf.interp.fixed import Fixed
from fpga_sdf.interp.kernels import global_pool_fixed, pool_fixed

from hls_tb import Bench, T, geometry, rand_fixed, stream_io, to_stream

pytestmark = [pytest.mark.csim]

# name: (C, spatial, mode, kernel, stride, pad, count_include_pad, x_fmt, out_fmt, coarse)
POOLS = {
    "2d_max_k2s2": (4, (6, 6), "max", 2, 2, 0, False, Fixed(8, 4), Fixed(8, 4), 1),
    "2d_max_k3s2_asym_sat": (4, (7, 6), "max", 3, 2, (1, 0, 1, 1), False, Fixed(8, 4),
                             Fixed(6, 4), 2),  # requantize with saturation
    "2d_avg_k3s2_p1": (4, (7, 7), "avg", 3, 2, 1, False, Fixed(8, 4), Fixed(8, 4), 2),
    "2d_avg_k3s2_p1_incl": (4, (7, 7), "avg", 3, 2, 1, True, Fixed(8, 4), Fixed(8, 4), 4),
    "2d_avg_k3s1_asym_morefrac": (2, (5, 6), "avg", (3, 2), 1, (0, 1, 1, 0), False,
                                  Fixed(8, 3), Fixed(10, 6), 1),
    "2d_avg_k2s2_lessfrac_sat": (2, (6, 6), "avg", 2, 2, 0, True, Fixed(8, 5), Fixed(3, 1), 2),
    "3d_max_k2s2": (2, (4, 4, 6), "max", 2, 2, 0, False, Fixed(8, 4), Fixed(8, 4), 2),
    "3d_max_k3s2_p1": (2, (5, 5, 4), "max", 3, 2, 1, False, Fixed(8, 4), Fixed(8, 2), 1),
    "3d_avg_k3s2_p1": (2, (5, 4, 5), "avg", 3, 2, (1, 1, 0, 1, 0, 1), False, Fixed(8, 4),
                       Fixed(9, 5), 2),
    "3d_avg_k3s2_p1_incl": (4, (4, 5, 5), "avg", (2, 3, 3), (1, 2, 2), 1, True, Fixed(8, 4),
                            Fixed(8, 4), 2),
}

# taps reduced per cycle below the kernel volume (ceil(K / fine) cycles per window, the
# last one partly empty when fine does not divide K): name -> (case of POOLS, fine)
FINE = {"2d_avg_k3s2_p1_fine2": ("2d_avg_k3s2_p1", 2), "2d_max_k2s2_fine3": ("2d_max_k2s2", 3),
        "3d_max_k3s2_p1_fine1": ("3d_max_k3s2_p1", 1), "3d_avg_k3s2_p1_incl_fine4": ("3d_avg_k3s2_p1_incl", 4)}

# name: (C, spatial, mode, x_fmt, out_fmt, coarse)
GLOBALS = {
    "g2d_avg": (6, (5, 7), "avg", Fixed(8, 4), Fixed(8, 5), 3),
    "g2d_max": (6, (5, 7), "max", Fixed(8, 4), Fixed(7, 4), 2),
    "g3d_avg": (4, (3, 4, 5), "avg", Fixed(8, 4), Fixed(10, 7), 1),
    "g3d_max": (4, (3, 4, 5), "max", Fixed(8, 4), Fixed(8, 2), 4),
    "g2d_avg_sat": (2, (3, 3), "avg", Fixed(8, 2), Fixed(4, 0), 2),
}

MODE = {"max": "sdf::POOL_MAX", "avg": "sdf::POOL_AVG"}


def _build() -> Bench:
    bench = Bench("pool")
    rng = np.random.default_rng(7)
    cases = [(name, POOLS[name], 0) for name in POOLS] + [(name, POOLS[base], fine) for name, (base, fine) in FINE.items()]
    for name, (c, spatial, mode, k, s, p, incl, xf, of, coarse), fine in cases:
        x = rand_fixed(rng, xf, (1, c) + spatial)
        y = pool_fixed(x, xf, of, mode, k, s, p, incl)
        decls = (f"typedef {T(xf)} in_t;\ntypedef {T(of)} out_t;\n"
                 f"typedef {geometry(spatial, k, s, p)} geom;\n")
        call = (f"sdf::pool_layer<in_t, out_t, geom, {c}, {MODE[mode]}, "
                f"{'true' if incl else 'false'}, {coarse}{f', {fine}' if fine else ''}>(in, out)")
        bench.add(name, decls, stream_io("in_t", coarse, "out_t", coarse, y.size, call),
                  [to_stream(x[0])], [to_stream(y[0])])
    for name, (c, spatial, mode, xf, of, coarse) in GLOBALS.items():
        x = rand_fixed(rng, xf, (1, c) + spatial)
        if name.endswith("_sat"):
            x = np.abs(x)  # large mean: saturates a 4-bit output
        y = global_pool_fixed(x, xf, of, mode)
        decls = f"typedef {T(xf)} in_t;\ntypedef {T(of)} out_t;\n"
        call = (f"sdf::global_pool<in_t, out_t, {c}, {int(np.prod(spatial))}, {MODE[mode]}, "
                f"{coarse}>(in, out)")
        bench.add(name, decls, stream_io("in_t", coarse, "out_t", coarse, y.size, call),
                  [to_stream(x[0])], [to_stream(y[0])])
    return bench


@pytest.fixture(scope="module")
def bench():
    b = _build()
    b.results()
    print(f"\npool bench: {len(b.cases)} cases, compile {b.compile_seconds:.1f}s "
          f"(cached={b.cached}), run {b.run_seconds:.2f}s")
    return b


@pytest.mark.parametrize("name", list(POOLS) + list(FINE))
def test_pool_layer_bit_exact(bench, name):
    bench.check(name)


@pytest.mark.parametrize("name", list(GLOBALS))
def test_global_pool_bit_exact(bench, name):
    bench.check(name)
