"""A frame's latency in RTL against the model's: the first frame's last output word, from the
first input word, is the model's depth + interval (`partition_performance`, batch 1: what the
AutoWS latency table and every `--dse` latency objective read).

On the zoo's residual, squeeze-excitation and 3D networks at the foldings of
test_rtl_networks.py (its designs and builds, simulated here again from the build cache).
Where they disagree, the model is what moves: the first frame's latency was modelled as
buffers filling ahead of the bottleneck only, which missed the windows a layer behind the
bottleneck emits after its producer's last word (tiny_resnet unrolled: 10,314 cycles
measured, 9,435 modelled) and the second pass a squeeze-excitation gate makes (the rest of
the frame waits for the global pool: tiny_mobilenet 38,234 measured, 22,296 modelled).

The same measurement checks model/latency_bound.py: no folding beats its bound, so at the DSPs
the design uses it must not exceed the frame RTL measures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_rtl_networks as networks  # noqa: E402

from fpga_sdf import network  # noqa: E402
from fpga_sdf.model import Partition  # noqa: E402
from fpga_sdf.model.latency_bound import latency_bound  # noqa: E402
from fpga_sdf.model.resources import partition_resources  # noqa: E402

pytestmark = [pytest.mark.rtlsim]

# Within 5%, the tolerance of the digits CNN's whole-batch check (test_rtl_e2e.py): a frame's
# latency adds every layer's fill and trailing windows, each modelled to a few cycles.
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("rtl_latency"))


@pytest.mark.parametrize("net,folding", [pytest.param(n, f, id=f"{n}-{f}") for n, f in networks.DESIGNS])
def test_first_frame_latency_is_the_models_depth_plus_interval(net, folding, tmp_root):
    module, _, _, stats = networks._simulated(net, folding, tmp_root)
    (part,) = stats["partitions"]
    measured = part["frame_done_cycles"][0] + 1  # cycle 0 is the first input beat's
    model = part["model_depth"] + part["model_cycles_per_frame"]
    print(f"{net}-{folding}: {measured} cycles measured, {model} modelled ({measured / model - 1:+.2%})")
    assert abs(measured - model) <= TOLERANCE * model, f"{measured} measured vs {model} modelled"
    (layers,) = [p for p in network.model_partitions(module, needed_by="test")]
    edges = layers.edges or Partition.chain(layers.layers).edges
    dsp = partition_resources(layers.layers, edges, "zcu102").dsp
    bound = latency_bound(layers.layers, edges, dsp, "ultrascale+")
    print(f"    bound at its {dsp} DSPs: {bound.cycles:.0f} cycles ({bound.cycles / measured:.0%} of the measured)"
          if bound else "    no DSP to bound")
    assert bound is None or bound.cycles <= measured
