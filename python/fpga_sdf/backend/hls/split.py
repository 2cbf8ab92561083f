"""split: copies of a map for several consumers, each output its own stream (its own FIFO)."""

from __future__ import annotations

from .context import timed
from .process import STAGE


def generate(ctx, module) -> None:
    src = ctx.cur
    lanes = module.instances * ctx.p  # p pixels a word: each lane one pixel of it
    in_t = ctx.t("in_t")
    outs = [ctx.output(module.instances, index=i) for i in range(ctx.values["outputs"])]
    # one stream array per output, so each branch's FIFO gets its own depth
    params = [f"hls::stream<{in_t}> in[{lanes}]"] + [f"hls::stream<{in_t}> out{i}[{lanes}]" for i in range(len(outs))]
    copies = "".join(f"            out{i}[s].write(v);\n" for i in range(len(outs)))
    body = (f"split_loop:\n    for (int i = 0; i < frames * {module.words_in}; i++) {{\n"
            f"#pragma HLS PIPELINE II=1\n        SDF_COUNT_LOOP(\"split_loop\")\n"
            f"        for (int s = 0; s < {lanes}; s++) {{\n#pragma HLS UNROLL\n"
            f"            const {in_t} v = in[s].read();\n{copies}        }}\n    }}\n")
    ctx.process("split", params, [src.name] + [o.expr for o in outs], body,
                timing=[timed("split_loop", module.words_in, 2 * STAGE)])
