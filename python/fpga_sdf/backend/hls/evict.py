"""evict: a join's skip stream through off-chip memory (SMOF eviction, --sdf-evict), as
model/eviction.py costs it (`window`, at the end: a window_evicted layer's ring, a writer and
a reader per lagged tap). A skip stream: no skip FIFO on the edge, but the model's two burst buffers
(`dma_buffers`: per stream `depth` words, one to write, one read back) and two m_axi masters
moving the tensor once each per frame, through a ring of one frame in memory.

The writer (`sdf::evict_write`, templates/evict.hpp) reads the producer's stream, whose
FIFO is the write burst buffer, and writes bursts of at most `depth` words per stream; the
reader (`sdf::evict_read`) reads them back into the join's stream, whose FIFO is the read
burst buffer. A token per burst, pushed after the burst's write response into a FIFO of
R - 2 tokens (R >= 3 the ring's bursts), orders them on hardware: see evict.hpp.
"""

from __future__ import annotations

from .process import AXI, STAGE, Process, Ring, Timing, per_beat


def geometry(bus: int, bundle, depth: int) -> tuple[int, int]:
    """(values per beat, beats per burst): beats as dma_out packs them, a burst at most the
    model's `depth` words per stream."""
    per = per_beat(bus, bundle.fmt.width, bundle.streams)
    return per, max(1, depth * bundle.streams // per)


def refusal(bus: int, bundle, depth: int, on_chip_depth: int | None) -> str | None:
    """Why the edge cannot be evicted as the model costs it, or None. `on_chip_depth`: the
    FIFO the model gives the edge when it is not evicted, how far its words run ahead of the
    join (None when every input of the join is evicted: no FIFO left on chip limits how far
    the branches drift apart, the rings hold it). The join reads a burst's first word only
    once the whole burst is written, so a burst must not gather more than that lead: else
    the other branch, with no room for the rest, stalls the producer of both."""
    if bundle.pixels > 1:
        return "a skip stream of several pixels a word evicted to off-chip memory is modelled, " \
               "but the HLS backend does not emit it yet"
    per, burst = geometry(bus, bundle, depth)
    gathered = burst * per // bundle.streams
    ring = Ring("", ("", ""), bundle, per, burst, depth)
    if ring.bursts < 3:
        return (f"evicting this input needs a ring of at least three bursts, but its frame is "
                f"{ring.beats * ring.beat_bits // 8} bytes, {ring.bursts} burst(s) of {burst} beats: the "
                f"writer may refill a slot only once the reader has taken the next burst's token "
                f"(keep its FIFO on chip)")
    if on_chip_depth is not None and gathered > on_chip_depth:
        return (f"evicting this input deadlocks: a burst gathers {gathered} words per stream before the "
                f"join can read its first, but this input runs only {on_chip_depth} words ahead of the join "
                f"(the FIFO the model gives it on chip) and the other branch has no room for the rest "
                f"(keep it on chip)")
    return None


def credit_depth(bursts: int) -> int:
    """Tokens the credit stream holds for a ring of `bursts` (>= 3) bursts: R - 2, so the
    writer refills a slot only after the reader has read all of it (evict.hpp)."""
    return bursts - 2


def generate(part, bundle, edge: tuple, depth: int):
    """Writer, credit stream and reader for the evicted `edge` whose producer streams
    `bundle`; returns the bundle the join reads."""
    per, burst = geometry(part.bus, bundle, depth)
    ring = Ring(f"evict{len(part.rings)}", tuple(edge), bundle, per, burst, depth)
    part.rings.append(ring)
    src, dst = edge
    credit = part.stream("ap_uint<1>", 1, ring.bursts)
    credit.depth = credit_depth(ring.bursts)
    credit.why = f"evicted {src} -> {dst}: a token per burst in memory, R - 2 of the ring's R bursts"
    out = part.bundle(bundle.fmt, bundle.shape, bundle.ways, bundle.origin, bundle.pixels)
    bundle.stream.depth = out.stream.depth = depth
    bundle.stream.why = f"evicted {src} -> {dst}: the model's write burst buffer"
    out.stream.why = f"evicted {src} -> {dst}: the model's read burst buffer"
    t, lanes, words = bundle.stream.elem, bundle.streams, bundle.words
    beat = f"hls::burst_maxi<{part.name}_{ring.name}_beat_t> ring"
    targs = f"{t}, {words}, {lanes}, {per}, {burst}"
    steps = words // lanes
    part.add(Process(f"{part.name}_{ring.name}_write", "evict_write", dst,
                     [f"hls::stream<{t}> in[{lanes}]", beat, "hls::stream<ap_uint<1> >& credit"],
                     [bundle.expr, ring.ports[0], f"{credit.name}[0]"],
                     f"    sdf::evict_write<{targs}>(in, ring, credit, frames);\n",
                     timing=[Timing("evict_write_loop", steps, AXI + STAGE),
                             Timing("evict_write_response", ring.bursts, 0, ii=AXI)]), None)
    part.add(Process(f"{part.name}_{ring.name}_read", "evict_read", dst,
                     [beat, "hls::stream<ap_uint<1> >& credit", f"hls::stream<{t}> out[{lanes}]"],
                     [ring.ports[1], f"{credit.name}[0]", out.expr],
                     f"    sdf::evict_read<{targs}>(ring, credit, out, frames);\n",
                     timing=[Timing("evict_read_loop", steps, AXI + STAGE),
                             Timing("evict_read_request", ring.bursts, 0, ii=AXI)]), None)
    return out


# --- a window_evicted layer's dim-0 delay lines ------------------------------------------


def window(part, layer: str, bundle, depth: int, reads: tuple, evict_stream, lag_stream) -> Ring:
    """The ring of a window_evicted layer (model/eviction.py window_*): the writer of every
    real input word the window reads (`evict_stream`, the model's write burst buffer of
    `depth` words per stream) into a ring of one frame, with one credit stream per lagged tap,
    and a reader per lagged tap k of the first `reads[k]` words of the frame (all lanes) into
    `lag_stream[k]` (its read burst buffer). `bundle` is the window's input."""
    per, burst = geometry(part.bus, bundle, depth)
    ring = Ring(f"window{len(part.rings)}", (layer, layer), bundle, per, burst, depth, tuple(reads))
    if ring.bursts < 3:  # the model's window_evictable refuses these (four bursts and the lag)
        raise ValueError(f"internal: a window ring of {ring.bursts} burst(s)")
    part.rings.append(ring)
    lagged = len(reads)
    credit = part.stream("ap_uint<1>", lagged, ring.bursts)
    credit.depth = credit_depth(ring.bursts)
    credit.why = f"window_evicted {layer}: a token per burst in memory for each lagged tap, R - 2 of the ring's R bursts"
    evict_stream.depth = lag_stream.depth = depth
    evict_stream.why = f"window_evicted {layer}: the model's write burst buffer"
    lag_stream.why = f"window_evicted {layer}: the model's read burst buffers, one per lagged tap"
    t, lanes, words = bundle.stream.elem, bundle.streams, bundle.words
    beat = f"hls::burst_maxi<{part.name}_{ring.name}_beat_t> ring"
    steps = words // lanes
    part.add(Process(f"{part.name}_{ring.name}_write", "evict_write", layer,
                     [f"hls::stream<{t}> in[{lanes}]", beat, f"hls::stream<ap_uint<1> > credit[{lagged}]"],
                     [evict_stream.name, ring.ports[0], credit.name],
                     f"    sdf::evict_write<{t}, {words}, {lanes}, {per}, {burst}, {lagged}>(in, ring, credit, frames);\n",
                     timing=[Timing("evict_write_loop", steps, AXI + STAGE),
                             Timing("evict_write_response", ring.bursts, 0, ii=AXI)]), None)
    for k, read in enumerate(reads):
        bursts = ring.read_bursts(k)
        timing = [Timing("evict_read_loop", read // lanes, AXI + STAGE),
                  Timing("evict_read_request", bursts, 0, ii=AXI)]
        if ring.bursts > bursts:  # the tokens of the bursts past its prefix, one a cycle
            timing.append(Timing("evict_read_drain", ring.bursts - bursts, 0))
        part.add(Process(f"{part.name}_{ring.name}_read{k}", "evict_read", layer,
                         [beat, "hls::stream<ap_uint<1> >& credit", f"hls::stream<{t}> out[{lanes}]"],
                         [ring.ports[1 + k], f"{credit.name}[{k}]", f"{lag_stream.name}[{k}]"],
                         f"    sdf::evict_read<{t}, {words}, {lanes}, {per}, {burst}, {read}>(ring, credit, out, frames);\n",
                         timing=timing), None)
    return ring
