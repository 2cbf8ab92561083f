"""SMOF eviction of a skip-connection FIFO, or of a sliding window's outer delay lines, to
off-chip memory, against hand computations: the BRAM it saves, the traffic it adds, the
bandwidth-bound interval, and the greedy."""

from dataclasses import replace

from fpga_sdf.dse.evict import candidates, greedy_evictions
from fpga_sdf.model import (LayerSpec, load_platform, module_resources, partition_performance,
                            partition_resources, platform_from_dict)
from fpga_sdf.model import check_folding
from fpga_sdf.model.eviction import (DMA_MODULE, WINDOW_DMA, window_lags, window_reads,
                                     window_traffic)
from fpga_sdf.model.modules import expand, window_problem

ZC706 = load_platform("zc706")
SHAPE = (64, 56, 56)  # a ResNet-18 stage-1 block at 16 bits
T = 64 * 56 * 56 * 16  # bits of one such feature map: 3,211,264
EDGES = (("fork", "conv1"), ("conv1", "relu1"), ("relu1", "conv2"), ("conv2", "add"), ("fork", "add"),
         ("add", "relu2"))


def block(evicted=()):
    """fork -> conv1 -> relu1 -> conv2 -> add(conv2, skip) -> relu2; 3x3 convs 64 -> 64 with
    coarse 8 x 8 and fine 9; the other layers one stream. The add's operand 1 is the skip."""
    def conv(name):
        return LayerSpec(name, "conv", (SHAPE,), (SHAPE,), kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1),
                         coarse_in=8, coarse_out=8, fine=9)
    return (LayerSpec("fork", "split", (SHAPE,), (SHAPE, SHAPE)), conv("conv1"),
            LayerSpec("relu1", "activation", (SHAPE,), (SHAPE,), mode="relu"), conv("conv2"),
            LayerSpec("add", "eltwise", (SHAPE, SHAPE), (SHAPE,), mode="add", evicted=evicted),
            LayerSpec("relu2", "activation", (SHAPE,), (SHAPE,), mode="relu"))


def board_without_ports(bandwidth_gbps, clock_mhz=100):
    """zc706's fabric with a plain memory bound: bits per cycle = bandwidth / clock."""
    data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__
            if f not in ("static_power_w", "axi_ports", "axi_port_bits") and getattr(ZC706, f) is not None}
    return platform_from_dict({**data, "bandwidth_gbps": bandwidth_gbps, "clock_mhz": clock_mhz})


def bram(module):
    return module_resources(module, ZC706.family, ZC706.has_uram).bram18


def test_evicted_skip_fifo_becomes_a_dma_buffer_pair():
    # On chip the skip edge (fork, add) holds the fork's words while the conv branch catches
    # up: a FIFO of 1 stream x 16 bits, its depth from fifo_depths; a BRAM18 holds 1024 words
    # of 16 bits. Evicted, it holds two 4 KB burst buffers: 4096 x 8 / 16 = 2048 words each,
    # 2 BRAM18 apiece (2048 x 9 twice for 16 bits): 4 BRAM18. Nothing else moves (the
    # interval stays compute-bound), so the partition saves exactly the difference.
    kept = partition_performance(block(), EDGES, ZC706, 125)
    gone = partition_performance(block(evicted=(1,)), EDGES, ZC706, 125)
    fifo, dma = dict(kept.fifos)[("fork", "add")], dict(gone.fifos)[("fork", "add")]
    assert fifo.name == "fifo" and dma.name == DMA_MODULE
    assert bram(fifo) == -(-fifo.memories[0].depth // 1024) > 4
    assert dma.instances == 1 and dma.memories[0].depth == 2048 and dma.memories[0].copies == 2
    assert bram(dma) == 4
    assert gone.interval == kept.interval == kept.compute_interval
    saved = partition_resources(block(), EDGES, ZC706, kept).bram18 - \
        partition_resources(block(evicted=(1,)), EDGES, ZC706, gone).bram18
    assert saved == bram(fifo) - 4
    # every other edge keeps its FIFO
    assert {e: m for e, m in gone.fifos if e != ("fork", "add")} == {e: m for e, m in kept.fifos if e != ("fork", "add")}


def test_evicted_skip_stream_is_written_and_read_back_every_frame():
    # The block reads x and writes relu2's output (2 T); the evicted skip adds its write and
    # its read back (2 T), and one frame of DDR for its ring buffer (T / 8 bytes), batch 4.
    kept = partition_performance(block(), EDGES, ZC706, 125, batch=4)
    gone = partition_performance(block(evicted=(1,)), EDGES, ZC706, 125, batch=4)
    assert kept.offchip_bits_per_frame == 2 * T
    assert gone.offchip_bits_per_frame - kept.offchip_bits_per_frame == 2 * T
    assert gone.offchip_tensors == kept.offchip_tensors + (("fork", "evicted", T),)
    assert gone.ddr_bytes == kept.ddr_bytes + T // 8 == 2 * T * 4 // 8 + T // 8
    assert gone.masters == kept.masters + 2


def test_eviction_makes_the_pipeline_bandwidth_bound_uniformly():
    # 4 Gb/s at 100 MHz = 40 bits per cycle. On chip: 2 T / 40 = 160,563.2 -> 160,564 cycles,
    # below the compute interval (201,632: a conv's 3136 x 64 x 64 x 9 / (8 x 8 x 9) = 200,704
    # MAC cycles plus its window's border stall). Evicted: 4 T / 40 = 321,126.4 -> 321,127
    # cycles: every layer runs at that interval.
    board = board_without_ports(4.0)
    kept = partition_performance(block(), EDGES, board)
    gone = partition_performance(block(evicted=(1,)), EDGES, board)
    assert kept.bandwidth_interval == 160_564 < kept.compute_interval == kept.interval
    assert gone.bandwidth_interval == -(-4 * T // 40) == 321_127
    assert gone.interval == 321_127 and gone.bottleneck == "off-chip bandwidth"
    assert gone.compute_interval == kept.compute_interval


def test_eviction_of_an_input_already_off_chip_is_ignored():
    # Cut between the convs: the second partition reads the skip from off-chip (its add has one
    # on-chip producer, so no skip FIFO): its eviction changes nothing.
    layers = block(evicted=(1,))[3:]
    edges = (("conv2", "add"), ("add", "relu2"))
    plain = partition_performance(block()[3:], edges, ZC706, 125)
    assert partition_performance(layers, edges, ZC706, 125) == plain


def test_greedy_evicts_the_most_bram_per_bit_until_the_partition_fits():
    # Two blocks in one partition: the skip FIFOs cost the same BRAM and traffic each, so the
    # greedy takes one (ties: the first found) when one is enough, both when not, and says
    # it cannot fit when even both are not enough.
    a = block()
    b = tuple(replace(s, name=s.name + "_b") for s in block())
    edges = EDGES + tuple((s + "_b", d + "_b") for s, d in EDGES) + (("relu2", "fork_b"),)
    layers = a + b
    before = partition_resources(layers, edges, ZC706, clock_mhz=125).bram18
    found = candidates(layers, edges, ZC706, 125)
    skips = [c for c in found if c.edge in (("fork", "add"), ("fork_b", "add_b"))]
    assert len(skips) == 2 and all(c.operand == 1 and c.bits_per_frame == 2 * T for c in skips)
    saving = skips[0].bram18_saved
    assert saving > 0 and skips[1].bram18_saved == saving
    one = greedy_evictions(layers, edges, ZC706, before - 1, 125)
    assert one.fits and len(one.evictions) == 1 and one.bram18 == before - saving
    assert sum(1 for s in one.layers if s.evicted == (1,)) == 1
    both = greedy_evictions(layers, edges, ZC706, before - saving - 1, 125)
    assert both.fits and len(both.evictions) == 2 and both.bram18 == before - 2 * saving
    short = greedy_evictions(layers, edges, ZC706, before - 2 * saving - 1, 125)
    assert not short.fits and short.bram18 == before - 2 * saving
    assert greedy_evictions(layers, edges, ZC706, before, 125).evictions == ()


def _block_ir(evicted: str = "") -> str:
    t, w, b = "tensor<1x64x56x56xf32>", "tensor<64x64x3x3xf32>", "tensor<64xf32>"
    fold = "coarse_in = 8, coarse_out = 8, fine = 9"
    return f'''
func.func @block(%x: {t}) -> {t} {{
  %w1 = "sdf.weights"() {{value = dense<0.1> : {w}}} : () -> {w}
  %w2 = "sdf.weights"() {{value = dense<0.2> : {w}}} : () -> {w}
  %b = "sdf.weights"() {{value = dense<0.0> : {b}}} : () -> {b}
  %s:2 = "sdf.split"(%x) {{name = "fork"}} : ({t}) -> ({t}, {t})
  %c1 = "sdf.conv"(%s#0, %w1, %b) {{name = "conv1", pad = array<i64: 1, 1, 1, 1>, {fold}}} : ({t}, {w}, {b}) -> {t}
  %r1 = "sdf.activation"(%c1) {{kind = "relu", name = "relu1"}} : ({t}) -> {t}
  %c2 = "sdf.conv"(%r1, %w2, %b) {{name = "conv2", pad = array<i64: 1, 1, 1, 1>, {fold}}} : ({t}, {w}, {b}) -> {t}
  %e = "sdf.eltwise"(%c2, %s#1) {{{evicted}mode = "add", name = "add"}} : ({t}, {t}) -> {t}
  %r = "sdf.activation"(%e) {{kind = "relu", name = "relu2"}} : ({t}) -> {t}
  return %r : {t}
}}'''


def test_the_ir_decision_is_what_the_model_costs_and_the_dse_writes_back():
    # The join's attribute reaches the model (the edge (fork, add) is evicted), the greedy pass
    # writes the same decision under a budget one BRAM18 short of the block's, and the DSE's
    # write-back sets and clears it from the specs.
    from types import SimpleNamespace

    from torch_mlir import ir

    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network, target
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.dse.ir_bridge import problem_of, write_design
    from fpga_sdf.pass_registry import lookup

    with sdf_ir.context(), ir.Location.unknown():
        hand = sdf_ir.parse(_block_ir("evicted = array<i64: 1>, "), "hand.mlir")
        (part,) = network.model_partitions(hand)
        assert {s.name: s.evicted for s in part.layers}["add"] == (1,)
        perf = partition_performance(part.layers, part.edges, ZC706, 125)
        assert dict(perf.fifos)[("fork", "add")].name == DMA_MODULE
        assert perf.offchip_tensors[-1] == ("fork", "evicted", T)

        module = sdf_ir.parse(_block_ir(), "block.mlir")
        target.write(module, target.resolve("zc706"))
        (part,) = network.model_partitions(module)
        used = partition_resources(part.layers, part.edges, ZC706).bram18
        diag = Diagnostics()
        lookup("sdf-evict")(budget=(used - 1) / ZC706.bram18).run(module, diag)
        assert not diag.errors and [d.severity for d in diag.items] == ["remark"]  # naming the eviction
        sdf_ir.verify(module)
        ops = dict(network.named_layers(module))
        assert tuple(ir.DenseI64ArrayAttr(ops["add"].operation.attributes["evicted"])) == (1,)

        problem, ops = problem_of(module)
        assert {s.name: s.evicted for s in problem.specs}["add"] == (1,)
        cleared = tuple(replace(s, evicted=()) for s in problem.specs)
        write_design(module, SimpleNamespace(partitions=(SimpleNamespace(specs=cleared),), cuts=()), ops)
        assert "evicted" not in ops["add"].operation.attributes
        write_design(module, SimpleNamespace(partitions=(SimpleNamespace(specs=problem.specs),), cuts=()), ops)
        assert tuple(ir.DenseI64ArrayAttr(ops["add"].operation.attributes["evicted"])) == (1,)


def test_an_evicted_streams_ddr_frame_is_not_free_for_the_batch():
    # The block reads fork.in and writes relu2.out: 2 x T bits = 802,816 bytes a frame. Its
    # evicted skip keeps one frame (T / 8 = 401,408 bytes) of DDR for itself, so of 10.25 MiB
    # (10,747,904 bytes, less the two convs' images of 2 x 36,864 x 2 bytes = 147,456 leaves
    # 10,600,448: 13 frames a pass) the evicting block's batch gets 10,199,040: 12 frames.
    from fpga_sdf.model import network_performance
    small = platform_from_dict({**{f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__
                                   if getattr(ZC706, f) is not None}, "ddr_mb": 10.25})
    kept = network_performance([(block(), EDGES)], small, 125, 64)
    gone = network_performance([(block(evicted=(1,)), EDGES)], small, 125, 64)
    assert kept.image_bytes == gone.image_bytes == 147_456
    assert kept.ddr_free_bytes == gone.ddr_free_bytes == 10_600_448 and kept.sub_batch == 13
    assert gone.partitions[0].ring_bytes == 401_408 and gone.sub_batch == 12


def test_a_ring_takes_ddr_only_while_its_partition_runs():
    # Two evicting blocks, one a partition: the host allocates a partition's rings when it
    # runs it and frees them after (runtime.ring_buffers), so each pass fits the frames
    # beside one ring, not two. 10.75 MiB (11,272,192 bytes) less 2 x 147,456 of images
    # leaves 10,977,280: (10,977,280 - 401,408) // 802,816 = 13 frames (beside both rings: 12)
    from fpga_sdf.model import network_performance
    small = platform_from_dict({**{f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__
                                   if getattr(ZC706, f) is not None}, "ddr_mb": 10.75})
    net = network_performance([(block(evicted=(1,)), EDGES)] * 2, small, 125, 26)
    assert net.ddr_free_bytes == 10_977_280 and [p.ring_bytes for p in net.partitions] == [401_408] * 2
    assert (net.sub_batch, net.passes) == (13, 2)


# --- a window's outer delay lines (window_evicted) ---------------------------------------

CLIP = (16, 8, 28, 28)  # 8 frames of 28 x 28 x 16 values, 16 bits


def conv3d(**kw):
    """A 3x3x3 conv 16 -> 16, padding 1, two input streams of 8 channels."""
    return LayerSpec("c3", "conv", (CLIP,), (CLIP,), kernel=(3, 3, 3), stride=(1, 1, 1), pad=(1,) * 6,
                     coarse_in=2, coarse_out=2, **kw)


def window(spec):
    return next(m for m in expand(spec) if m.name == "sliding_window")


def test_an_evicted_window_keeps_each_taps_inner_lines_and_three_burst_buffers():
    # On chip, per stream: 2 frame buffers of 30 x 30 x 8 words, 3 x 2 line buffers of 30 x 8
    # (one pair per frame tap) and 9 x 2 window buffers of 8. Evicted: no frame buffers; the
    # same inner lines (the 3 taps along D feed them); 3 burst buffers of 4096 bytes / 2
    # streams = 1024 words (a write, a read for each lagged tap).
    kept, evicted = window(conv3d()), window(conv3d(window_evicted=True))
    assert [(m.role, m.depth, m.copies) for m in kept.memories] == \
        [("line_buffer", 7200, 2), ("line_buffer", 240, 6), ("window_buffer", 8, 18)]
    assert [(m.role, m.depth, m.copies) for m in evicted.memories] == \
        [(WINDOW_DMA, 1024, 3), ("line_buffer", 240, 6), ("window_buffer", 8, 18)]
    assert (evicted.interval, evicted.fill, evicted.words_in) == (kept.interval, kept.fill, kept.words_in)
    # 2 streams x (2 x 8 BRAM18 (7200 x 16 bits) + 6) = 44 on chip; evicted 2 x (3 + 6) = 18
    assert bram(kept) == 44 and bram(evicted) == 18


def test_an_evicted_window_writes_its_frame_and_reads_a_prefix_per_lagged_tap():
    # Lags 2, 1, 0 frames; the walk ends at padded frame 9, so the tap 2 behind reads real
    # frames 0..6 (7 of 8) and the one 1 behind all 8.
    spec = conv3d(window_evicted=True)
    frame = 16 * 8 * 28 * 28 * 16
    assert window_lags(spec) == (2, 1, 0) and window_reads(spec) == (7, 8)
    assert window_traffic(spec) == (frame, frame * 7 // 8, frame)
    perf = partition_performance((spec,), (), ZC706, 125)
    assert ("c3", "window", frame * 23 // 8) in perf.offchip_tensors
    assert perf.master_bits == (frame, frame, frame, frame * 7 // 8, frame)  # in, out, write, reads
    assert perf.ring_bytes == frame // 8
    # a dilation of 2 along D (padding 2): taps 4, 2 and 0 frames behind, reading 6 and 8 frames
    dilated = replace(spec, dilation=(2, 1, 1), pad=(2, 1, 1, 2, 1, 1))
    assert window_lags(dilated) == (4, 2, 0) and window_reads(dilated) == (6, 8)


def test_a_window_that_cannot_run_evicted_is_refused_with_its_reason():
    assert window_problem(conv3d(window_evicted=True)) is None
    assert "several pixels" in window_problem(replace(conv3d(window_evicted=True), kernel=(3, 3, 3), pixels=(2, 1)))
    spatial_only = replace(conv3d(window_evicted=True), kernel=(1, 3, 3), pad=(0, 1, 1, 0, 1, 1))
    assert "does not span the outermost" in window_problem(spatial_only)
    # 2 frames, a lag of 2: the ring of a frame cannot hold it
    short = replace(conv3d(window_evicted=True), inputs=((16, 2, 28, 28),), outputs=((16, 2, 28, 28),))
    assert "lap" in window_problem(short)
    # a 2D conv on rows of 4 pixels x 8 channels a stream: 32 words a row, a burst of 1024
    tiny = LayerSpec("c2", "conv", ((16, 64, 4),), ((16, 64, 4),), kernel=(3, 3), stride=(1, 1),
                     pad=(1, 1, 1, 1), coarse_in=2, coarse_out=2, window_evicted=True)
    assert "nearest lagged tap" in window_problem(tiny)
    assert check_folding(tiny) == [f"c2: window_evicted: {window_problem(tiny)}"]


def test_the_greedy_evicts_a_window_where_it_frees_the_most_bram_per_bit():
    # Alone on a board of 30 BRAM18 the 3D conv (44 in its window, 8 weights) fits only with
    # its frame buffers in DDR: the candidate saves 26 BRAM18 for the traffic above.
    spec = conv3d()
    found = candidates((spec,), (), ZC706, 125)
    assert [(c.window, c.bram18_saved, c.bits_per_frame) for c in found] == \
        [("c3", 26, sum(window_traffic(conv3d(window_evicted=True))))]
    before = partition_resources((spec,), (), ZC706, clock_mhz=125).bram18
    plan = greedy_evictions((spec,), (), ZC706, before - 1, 125)
    assert plan.fits and plan.bram18 == before - 26 and plan.layers[0].window_evicted
