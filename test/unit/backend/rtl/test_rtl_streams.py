"""The shared stream building blocks through Verilator: the skid buffer and FIFOs pass every
word in order under random back-pressure, sustain one word per cycle without it, and the
hardware requantize equals interp/fixed.requantize on every input of a small format."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_sdf.backend.rtl import module_sim
from fpga_sdf.backend.rtl.streams import (StreamType, fifo, pack_words, requantize_hw, skid_buffer,
                                          stream_module, unpack_words, OutputSkid)
from fpga_sdf.interp.fixed import Fixed, requantize

pytestmark = [pytest.mark.rtlsim]


def test_pack_words_roundtrip():
    t = StreamType(13, 5, 7)
    rng = np.random.default_rng(0)
    x = rng.integers(-(1 << 12), 1 << 12, size=(50, 7))
    assert np.array_equal(unpack_words(pack_words(x, t), t), x)


@pytest.mark.parametrize("make", [lambda t: skid_buffer(t), lambda t: fifo(t, 5), lambda t: fifo(t, 64)],
                         ids=["skid", "fifo5", "fifo64"])
def test_buffers_keep_order_and_rate(make):
    t = StreamType(8, 0, 3)
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=(300, 3))
    cls = make(t)
    out, = module_sim.simulate(cls, [t], [t], [x], expect=[len(x)], backpressure=0.4, seed=3)
    assert np.array_equal(out.values, x)
    out, = module_sim.simulate(cls, [t], [t], [x], expect=[len(x)])
    assert out.cycles[-1] - out.cycles[0] == len(x) - 1  # one word per cycle


def test_fifo_holds_its_depth_without_a_reader():
    """A FIFO of depth D accepts D words (plus its output queue) while the output is stalled."""
    t = StreamType(8, 0, 1)
    x = np.arange(40) - 20
    # the sink never takes a word: the simulation stalls once the FIFO is full
    with pytest.raises(module_sim.StallError, match=r"port in0 1 0 (\d+)/40"):
        module_sim.simulate(fifo(t, 16), [t], [t], [x], expect=[40], backpressure=1.0, stall_cycles=200)


def _requant_module(t_in: StreamType, frac_in: int, to: Fixed):
    t_out = StreamType(to.width, to.frac, 1)

    def build(p):
        sk = OutputSkid(p, 0)
        p.in0_ready = sk.ready
        sk.push(p.in0_valid, requantize_hw(p.in0_data, frac_in, to))
    return stream_module(f"requant_{t_in.width}_{frac_in}_{to.width}_{to.frac}".replace("-", "m"),
                         [t_in], [t_out], build), t_out


@pytest.mark.parametrize("frac_in,to", [(6, Fixed(6, 2)), (2, Fixed(5, 4)), (3, Fixed(8, 3)), (9, Fixed(4, 0)),
                                        (1, Fixed(4, -2))])
def test_requantize_matches_executor(frac_in, to):
    t_in = StreamType(10, frac_in, 1)
    x = np.arange(-512, 512)
    cls, t_out = _requant_module(t_in, frac_in, to)
    out, = module_sim.simulate(cls, [t_in], [t_out], [x], expect=[len(x)])
    assert np.array_equal(out.values[:, 0], requantize(x, frac_in, to))
