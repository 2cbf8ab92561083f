"""sparse_buffer: PASS's FIFO of `spec.sparse_buffer` windows per input stream before the
sparse engines (seed 003, buffer sizing), built as the depth of the stream it sits on.

Which and why: in HLS a FIFO between two DATAFLOW processes is what an `hls::stream` with a
`#pragma HLS STREAM depth=D` already is (Vitis builds it in SRL/LUTRAM, as the model costs
the buffer), so the window stream from the sliding window to the fork (or the engines) is
made D windows deep instead of adding a copying process (which would add a register pair and
a process but no buffering). At least 2 deep: a depth-1 FIFO cannot move a window per cycle
(the RTL builds depth 1 as its 2-word skid buffer). The sliding window may then run D
windows ahead of its consumer, which its burst term in cycles.py uses (the stream's slack).
"""

from __future__ import annotations


def generate(ctx, module) -> None:
    depth = ctx.spec.sparse_buffer
    s = ctx.cur
    if depth > s.depth:
        s.depth = depth
    s.why = f"sparse_buffer: {depth} windows per input stream (the model's FIFO)"
    if ctx.layer.window is not None:
        ctx.layer.window["slack"] = s.depth
