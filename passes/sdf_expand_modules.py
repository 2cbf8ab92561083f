"""--sdf-expand-modules: lower layer ops to hardware modules (`sdf_hw`), one op per instance.

Each layer becomes the modules the hardware model costs for it (`model.expand(spec)`), with
the folding realised as parallel instances joined by `!sdf_hw.stream` values: a conv with
coarse_in = ci, coarse_out = co, coarse_group = cg becomes ci*cg sliding windows, ci*cg forks
(co > 1), ci*co*cg MAC units (`sdf_hw.conv`) each with its `sdf_hw.weights_memory`, co*cg
glues (ci > 1) adding the ci units' dot products (a 1x1 conv's ci units of a stream are one
conv op that adds them itself, model.dsp.sums_coarse_in), co*cg accumulators behind them (when a
stream carries more than one channel per group) and co*cg biases. Between layers whose
stream counts differ a `sdf_hw.squeeze` re-streams the map; a partition's (or the
function's) input and output become `sdf_hw.dma_in` / `dma_out`.
A multi-pixel layer (pixels = (p, 1)) gets streams of p-pixel words (lanes x p, see
docs/notes/rtl-backend.md); where a producer's words hold q pixels and its consumer takes
p' != q a `sdf_hw.squeeze` between them re-packs the words (`channels`: channels per stream),
after a re-streaming squeeze when it narrows, before it when it widens, so the pair moves
min(a q, b p') features a cycle as the model's `edge_converter` costs it.
Every module op of a layer gets `layer`, `instance` and the model's per-instance `words_in` / `words_out`, and
the pass checks its own op counts against the model. See dialects/SdfHwRationale.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from torch_mlir import ir

from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.dialects import sdf, sdf_hw
from fpga_sdf.dialects.sdf_attrs import get_int, get_str, shape
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import pairs_units, sums_coarse_in
from fpga_sdf.model.modules import pixels_in, pixels_out
from fpga_sdf.model.spec import sparse_engine
from fpga_sdf.pass_registry import Pass, register


def _i64(v: int):
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(v))


def _lanes(value) -> int:
    """Values per word of a `!sdf_hw.stream<format, lanes>` value."""
    m = re.search(r",\s*(\d+)(?:\s*:\s*i64)?\s*>$", str(value.type))
    return int(m.group(1)) if m else 1


def _format(value):
    """The stream format of a value: its #sdf.fixed, or f32 before quantization."""
    from fpga_sdf.backend.hls.emit import value_format

    fmt = value_format(value)
    return sdf.fixed(fmt.width, fmt.frac) if fmt else ir.TypeAttr.get(ir.F32Type.get())


@register
@dataclass(frozen=True)
class SdfExpandModules(Pass):
    """Lower layer ops to sdf_hw module ops, one per parallel instance (the folding made explicit)."""

    name = "sdf-expand-modules"

    def run(self, module, diag: Diagnostics) -> None:
        _Expander().run(module, diag)


class _Expander:
    """The state of one expansion (the pass object itself is frozen)."""

    def run(self, module, diag: Diagnostics) -> None:
        self.names = {op.operation: name for name, op in network.named_layers(module)}
        with module.context:
            for func in network.functions(module):
                block = func.operation.regions[0].blocks[0]
                parts = [op for op in block.operations if op.operation.name == "sdf.partition"]
                if parts:
                    for p in parts:
                        inner = p.operation.regions[0].blocks[0]
                        self._expand_block(inner, diag)
                else:
                    self._expand_block(block, diag)

    # ----------------------------------------------------------------------------------

    def _expand_block(self, block, diag: Diagnostics) -> None:
        ops = list(block.operations)
        layer_ops = [op for op in ops if op.operation.name in sdf.LAYER_KINDS]
        if not layer_ops:
            return
        terminator = ops[-1]
        self.bundles: dict = {}
        args = list(block.arguments)  # a partition cut inside a block has several inputs
        for op in layer_ops:
            self.op = op
            self.layer = self.names[op.operation]
            self.counts: Counter = Counter()
            self.spec = network.layer_spec(self.layer, op)
            self.models = {m.name: m for m in expand(self.spec)}
            with ir.InsertionPoint(op.operation), op.location:
                for i, value in enumerate(network.stream_operands(op)):
                    if value not in self.bundles and value in args:
                        self.bundles[value] = self._dma_in(value, self._needed(op))
                getattr(self, "_" + sdf.LAYER_KINDS[op.operation.name])(op)
            expected = {m.name: m.instances for m in expand(self.spec)}
            got = {k: v for k, v in self.counts.items() if k != "squeeze"}
            if got != expected:
                diag.error(op, f"internal: module-level ops {dict(sorted(got.items()))} disagree with the hardware "
                               f"model {dict(sorted(expected.items()))}")
        with ir.InsertionPoint(terminator.operation), terminator.location:
            for i, value in enumerate(terminator.operation.operands):
                if value in self.bundles:
                    out = sdf_hw.DmaOutOp(inputs=self.bundles[value], output=value.type)
                    fmt = _format(value)  # a later partition reads the tensor in this format
                    if not isinstance(fmt, ir.TypeAttr):
                        out.operation.attributes["output_format"] = fmt
                    terminator.operation.operands[i] = out.operation.results[0]
        for op in reversed(layer_ops):
            op.operation.erase()

    def _needed(self, op) -> int:
        ci, cg = get_int(op, "coarse_in", 1), get_int(op, "coarse_group", 1)
        return ci * cg if op.operation.name == "sdf.conv" else ci

    def _dma_in(self, value, n: int) -> list:
        t = sdf_hw.stream(_format(value), pixels_in(self.spec))
        op = sdf_hw.DmaInOp(input=value, outputs=[t] * n)
        return list(op.operation.results)

    # -- op construction ---------------------------------------------------------------

    def _attrs(self, op, module_name: str, extra: dict) -> None:
        attrs = op.operation.attributes
        attrs["layer"] = ir.StringAttr.get(self.layer)
        attrs["instance"] = _i64(self.counts[module_name])
        self.counts[module_name] += 1
        model = self.models.get(module_name)
        if model is not None:
            attrs["words_in"] = _i64(model.words_in)
            attrs["words_out"] = _i64(model.words_out)
        for k, v in extra.items():
            attrs[k] = ir.StringAttr.get(v) if isinstance(v, str) else _i64(v)

    def _make(self, cls, kind: str, extra: dict | None = None, **kwargs):
        op = cls(**kwargs)
        self._attrs(op, kind, extra or {})
        return op

    def _input(self, op, index: int, n: int, pixels: int | None = None) -> list:
        """The streams of operand `index`, re-streamed to n streams and re-packed to `pixels`
        (default: the layer's) pixels a word when they differ."""
        value = op.operation.operands[index]
        streams = self.bundles[value]
        fmt = _format(value)
        p, q = pixels or pixels_in(self.spec), _lanes(streams[0])

        def restream(streams):
            if len(streams) == n:
                return streams
            sq = self._make(sdf_hw.SqueezeOp, "squeeze", inputs=streams,
                            outputs=[sdf_hw.stream(fmt, _lanes(streams[0]))] * n)
            return list(sq.operation.results)

        def repack(streams):  # q-pixel words into p-pixel ones, stream by stream
            sq = self._make(sdf_hw.SqueezeOp, "squeeze", {"channels": shape(value)[1] // len(streams)},
                            inputs=streams, outputs=[sdf_hw.stream(fmt, p)] * len(streams))
            return list(sq.operation.results)

        # the narrow side of the pair moves min(a q, b p) features a cycle (the model's
        # edge_converter): narrowing after the re-stream, widening before it
        if q > p:
            return repack(restream(streams))
        if q < p:
            return restream(repack(streams))
        return restream(streams)

    def _result(self, op, streams: list, index: int = 0) -> None:
        self.bundles[op.operation.results[index]] = streams

    # -- layers ------------------------------------------------------------------------

    def _mac(self, op, is_conv: bool) -> None:
        ci, co, cg = (get_int(op, a, 1) for a in ("coarse_in", "coarse_out", "coarse_group"))
        fine = get_int(op, "fine", 1)
        x, w, b = op.operation.operands
        ins = self._input(op, 0, ci * cg if is_conv else ci)
        x_fmt, out_fmt = _format(x), _format(op.operation.results[0])
        kvol = math.prod(shape(w)[2:]) if is_conv else 1
        if isinstance(x_fmt, ir.TypeAttr) or "acc_width" not in op.operation.attributes:
            acc_fmt = ir.TypeAttr.get(ir.F32Type.get())
        else:
            xf, wf = sdf.fixed_value(x_fmt)[1], sdf.fixed_value(_format(w))[1]
            acc_fmt = sdf.fixed(get_int(op, "acc_width"), xf + wf)
        q = pixels_out(self.spec) if is_conv else 1  # windows (results) per word
        paired = 2 if pairs_units(self.spec) else 1  # units j, j + 1 as one conv op (two weights, two results)
        windows = []
        for s in ins:
            if "sliding_window" in self.models:
                sw = self._make(sdf_hw.SlidingWindowOp, "sliding_window", {"kernel_volume": kvol},
                                input=s, output=sdf_hw.stream(x_fmt, q * kvol))
                s = sw.operation.results[0]
            if "sparse_buffer" in self.models:
                buf = self._make(sdf_hw.SparseBufferOp, "sparse_buffer", {"depth": self.spec.sparse_buffer},
                                 input=s, output=s.type)
                s = buf.operation.results[0]
            if co // paired > 1:  # a fork output per unit, or per unit pair
                fork = self._make(sdf_hw.ForkOp, "fork", input=s, outputs=[s.type] * (co // paired))
                windows.append(list(fork.operation.results))
            else:
                windows.append([s])
        # the sparse engine reads a whole window's K weights per dot product, whatever its k MACs
        # a multi-pixel inner product's FCUs read a weight per pixel of the word (fcu.py)
        lanes = kvol if sparse_engine(self.spec) else fine * (pixels_in(self.spec) if not is_conv else 1)
        groups = cg
        partial = {}
        # weights memories numbered per unit (g, then j, then i), conv ops per unit or pair
        memories = {}
        for g in range(groups):
            for j in range(co):
                for i in range(ci):
                    wm = self._make(sdf_hw.WeightsMemoryOp, "weights_memory", {"fine": fine},
                                    weights=w, output=sdf_hw.stream(_format(w), lanes))
                    memories[(g, i, j)] = wm.operation.results[0]
        # a 1x1 conv's ci units of a stream (pair) are one conv op adding their dot products
        fused = ci if sums_coarse_in(self.spec) else 1
        for g in range(groups):
            for k in range(co // paired):
                for i0 in range(0, ci, fused):
                    block = range(i0, i0 + fused)
                    units = [(g, i, k * paired + u) for i in block for u in range(paired)]
                    mac = self._make(sdf_hw.ConvOp, "conv", {"fine": fine},
                                     inputs=[windows[g * ci + i][k] for i in block], weights=[memories[u] for u in units],
                                     outputs=[sdf_hw.stream(acc_fmt, q)] * paired)
                    for u, r in zip(units, mac.operation.results):
                        partial[u] = r
        outs = []
        for g in range(groups):
            for j in range(co):  # output stream g*co + j: glue the ci units, then accumulate
                r = partial[(g, 0, j)]
                if ci > 1 and fused == 1:
                    glue = self._make(sdf_hw.GlueOp, "glue", inputs=[partial[(g, i, j)] for i in range(ci)],
                                      output=r.type)
                    r = glue.operation.results[0]
                if "accum" in self.models:
                    r = self._make(sdf_hw.AccumOp, "accum", input=r, output=r.type).operation.results[0]
                bias = self._make(sdf_hw.BiasOp, "bias", input=r, bias=b, output=sdf_hw.stream(out_fmt, q))
                outs.append(bias.operation.results[0])
        self._result(op, outs)

    def _conv(self, op) -> None:
        self._mac(op, True)

    def _inner_product(self, op) -> None:
        self._mac(op, False)

    def _lanes(self, op, build) -> None:
        c = get_int(op, "coarse_in", 1)
        ins = self._input(op, 0, c)
        out_t = sdf_hw.stream(_format(op.operation.results[0]), pixels_out(self.spec))
        self._result(op, [build(s, out_t) for s in ins])

    def _pool(self, op) -> None:
        kvol = math.prod(self.spec.kernel)
        x_fmt = _format(op.operation.operands[0])

        def build(s, out_t):
            sw = self._make(sdf_hw.SlidingWindowOp, "sliding_window", {"kernel_volume": kvol},
                            input=s, output=sdf_hw.stream(x_fmt, pixels_out(self.spec) * kvol))
            return self._make(sdf_hw.PoolOp, "pool", {"mode": get_str(op, "mode")},
                              input=sw.operation.results[0], output=out_t).operation.results[0]
        self._lanes(op, build)

    def _global_pool(self, op) -> None:
        self._lanes(op, lambda s, t: self._make(sdf_hw.GlobalPoolOp, "global_pool", {"mode": get_str(op, "mode", "avg")},
                                                input=s, output=t).operation.results[0])

    def _activation(self, op) -> None:
        self._lanes(op, lambda s, t: self._make(sdf_hw.ActivationOp, "activation", {"kind": get_str(op, "kind")},
                                                input=s, output=t).operation.results[0])

    def _resize(self, op) -> None:
        self._lanes(op, lambda s, t: self._make(sdf_hw.ResizeOp, "resize", input=s, output=t).operation.results[0])

    def _scale_shift(self, op) -> None:
        _, sc, sh = op.operation.operands
        self._lanes(op, lambda s, t: self._make(sdf_hw.ScaleShiftOp, "scale_shift", input=s, scale=sc, shift=sh,
                                                output=t).operation.results[0])

    def _binary(self, op, cls, kind: str, extra: dict) -> None:
        c = get_int(op, "coarse_in", 1)
        # a broadcast operand (one value per channel) stays one value a word at any p
        a, b = self._input(op, 0, c), self._input(op, 1, c, 1 if extra.get("broadcast") else None)
        out_t = sdf_hw.stream(_format(op.operation.results[0]), pixels_out(self.spec))
        self._result(op, [self._make(cls, kind, extra, lhs=x, rhs=y, output=out_t).operation.results[0]
                          for x, y in zip(a, b)])

    def _eltwise(self, op) -> None:
        a, b = (shape(v)[1:] for v in op.operation.operands)
        self._binary(op, sdf_hw.EltwiseOp, "eltwise", {"mode": get_str(op, "mode"), "broadcast": int(a != b)})

    def _concat(self, op) -> None:
        self._binary(op, sdf_hw.ConcatOp, "concat", {})

    def _split(self, op) -> None:
        c = get_int(op, "coarse_in", 1)
        ins = self._input(op, 0, c)
        n = len(op.operation.results)
        per_lane = [list(self._make(sdf_hw.SplitOp, "split", input=s, outputs=[s.type] * n).operation.results)
                    for s in ins]
        for r in range(n):
            self._result(op, [lane[r] for lane in per_lane], r)
