"""The DSE's partitioning checks each candidate partition against the board's DDR: what is
live while it runs (its own off-chip tensors, those passing by it, its eviction rings),
including the whole network as one partition, which it prefers when that costs no more."""

from fpga_sdf.dse.explore import Problem, explore, live_bytes
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec
from fpga_sdf.model.performance import image_bytes
from fpga_sdf.model.platforms import load_platform, platform_from_dict

ZC706 = load_platform("zc706")


def test_the_whole_network_is_not_chosen_when_one_frame_of_it_does_not_fit():
    # A 4x4 max pool 16x64x64 -> 16x16x16 then a 1x1 conv to 256x16x16, at 16 bits: as one
    # partition a frame reads the 128 KiB input and writes the 128 KiB output (256 KiB); cut
    # between them, each half holds 128 + 8 KiB. With 200 KiB of DDR beside the weights
    # images only the cut design runs.
    pool = LayerSpec("pool", "pool", ((16, 64, 64),), ((16, 16, 16),), kernel=(4, 4), stride=(4, 4),
                     pad=(0, 0, 0, 0), mode="max")
    conv = LayerSpec("conv", "conv", ((16, 16, 16),), ((256, 16, 16),), kernel=(1, 1), stride=(1, 1),
                     pad=(0, 0, 0, 0), dilation=(1, 1), has_bias=True)
    problem = Problem((pool, conv), (("pool", "conv"),), (0,))
    kib = 1024
    assert (live_bytes(problem, 0, 1), live_bytes(problem, 0, 0), live_bytes(problem, 1, 1)) == \
        (256 * kib, 136 * kib, 136 * kib)
    small = platform_from_dict({**{f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__
                                   if getattr(ZC706, f) is not None},
                                "ddr_mb": (image_bytes(problem.specs) + 200 * kib) / 2**20})
    design = explore(problem, Constraints(small, 200, 1), "throughput", progress=False)
    assert len(design.partitions) == 2 and design.perf.sub_batch == 1
    # with room for the whole network it is one partition (no reconfiguration)
    roomy = explore(problem, Constraints(ZC706, 200, 1), "throughput", progress=False)
    assert len(roomy.partitions) == 1
