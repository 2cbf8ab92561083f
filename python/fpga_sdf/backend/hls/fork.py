"""fork: each window (or word) of an input stream to the coarse_out filter lanes (on the
sparse engine one fork per input stream, sparse_conv.py)."""

from __future__ import annotations

from ...model.spec import sparse_engine
from . import sparse_conv
from .context import timed
from .process import STAGE, multi


def generate(ctx, module) -> None:
    if sparse_engine(ctx.spec):
        sparse_conv.fork(ctx, module)
        return
    src = ctx.cur
    co = module.words_out // module.words_in  # fork outputs: coarse_out, or coarse_out / 2 unit pairs
    lanes, q = module.instances, src.lanes // module.instances  # q windows (or pixels) a word
    out = ctx.stream(src.elem, lanes * co * q, src.words)
    ctx.process("fork", [f"hls::stream<{src.elem}> in[{lanes * q}]", f"hls::stream<{src.elem}> out[{lanes * co * q}]"],
                [src.name, out.name],
                f"    sdf::fork<{src.elem}, {src.words}, {co}, {lanes}{multi(q)}>(in, out, frames);\n",
                timing=[timed("fork_loop", src.words, 2 * STAGE)])
    ctx.cur = out
