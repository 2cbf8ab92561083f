"""What the hardware model is asked about: one CNN layer with its folding, and partitions of them.

Plain frozen dataclasses so the model has no MLIR dependency and so specs can key caches:
the DSE re-evaluates the same layer many times while it varies one other layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

KINDS = frozenset({
    "conv", "inner_product", "pool", "global_pool", "activation", "eltwise", "concat",
    "split", "resize", "scale_shift",
})
WEIGHT_KINDS = frozenset({"conv", "inner_product"})
WEIGHT_MEMORIES = ("auto", "bram", "uram")
MODES = {
    "pool": ("max", "avg"),
    "global_pool": ("avg", "max"),
    "eltwise": ("add", "mul"),
    "activation": ("relu", "relu6", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish", "silu"),
    "resize": ("nearest",),
}
Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerSpec:
    """One layer: shapes exclude the batch, each is (C, *spatial) with 2 or 3 spatial dims."""

    name: str
    kind: str
    inputs: tuple[Shape, ...]
    outputs: tuple[Shape, ...]
    kernel: Shape = ()
    stride: Shape = ()
    pad: Shape = ()  # begin per spatial dim, then end per spatial dim
    dilation: Shape = ()
    groups: int = 1
    mode: str = ""
    has_bias: bool = False
    coarse_in: int = 1
    coarse_out: int = 1
    coarse_group: int = 1
    fine: int = 1
    wr_factor: int = 1
    data_width: int = 16
    out_width: int = 0  # its output's format width, where that differs from data_width (0: the same)
    weight_width: int = 16
    acc_width: int = 32
    sparsity: tuple[float, ...] = ()  # PASS: mean zero fraction of windows, per input channel
    sparsity_assumed: bool = False  # the sparsity is an assumed profile, not measured on data
    sparsity_hist: tuple[float, ...] = ()  # per input channel, fraction of windows with n non-zeros, n = 0..K
    sparse_buffer: int = 0  # PASS: FIFO depth (windows) per input stream before the sparse engines
    dense_engine: bool = False  # sparsity known, but the design builds the dense engine
    weights_off_chip: float = 0.0  # AutoWS: fraction of the weights memory streamed from DRAM
    weights_fragments: tuple[int, ...] = ()  # AutoWS: (n, u_on, u_off) of each MAC unit's weights memory
    weights_memory: str = "auto"  # on-chip weights in "bram", "uram", or "auto" (by size)
    pixels: tuple[int, int] = (1, 1)  # data-rate-aware (j, h): j pixels every h cycles
    evicted: tuple[int, ...] = ()  # SMOF: inputs of a join read back from off-chip memory (operand indices)
    window_evicted: bool = False  # SMOF: the sliding window's outermost delay lines live in off-chip memory

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"layer {self.name!r}: unknown kind {self.kind!r}; "
                             f"expected one of {sorted(KINDS)}")
        if not self.inputs or not self.outputs:
            raise ValueError(f"layer {self.name!r}: needs at least one input and one output shape")

    @property
    def output_width(self) -> int:
        """Bits of each value of its output (what goes off chip when the output leaves its
        partition, as both backends write it: the output's own format)."""
        return self.out_width or self.data_width

    def __hash__(self):
        # Specs key the lru caches of the model; hashing a long sparsity tuple each lookup
        # would dominate the DSE inner loop, so the hash is computed once.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f) for f in self.__dataclass_fields__))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self):
        # String hashes differ between processes: never ship the cached hash.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


@dataclass(frozen=True)
class Partition:
    """Layers mapped onto the device at the same time, joined by on-chip streams (edges)."""

    layers: tuple[LayerSpec, ...]
    edges: tuple[tuple[str, str], ...] | None = None  # None: the layers form a chain

    @staticmethod
    def chain(layers) -> "Partition":
        """A partition whose layers form a simple pipeline in list order."""
        layers = tuple(layers)
        edges = tuple((a.name, b.name) for a, b in zip(layers, layers[1:]))
        return Partition(layers, edges)

    def _edges(self) -> tuple[tuple[str, str], ...]:
        return self.edges if self.edges is not None else Partition.chain(self.layers).edges

    def inputs(self) -> tuple[tuple[str, Shape], ...]:
        """(layer, shape) of every tensor the partition reads from off-chip memory: the
        inputs of its layers that no layer of the partition feeds (a layer's first inputs
        are taken to be the fed ones: shapes differ only for a concat)."""
        fed: dict[str, int] = {}
        for _, dst in self._edges():
            fed[dst] = fed.get(dst, 0) + 1
        return tuple((s.name, shape) for s in self.layers for shape in s.inputs[fed.get(s.name, 0):])

    def outputs(self) -> tuple[tuple[str, Shape], ...]:
        """(layer, shape) of every tensor the partition writes to off-chip memory: the
        outputs no layer of the partition reads (a split's last ones where some are read)."""
        read: dict[str, int] = {}
        for src, _ in self._edges():
            read[src] = read.get(src, 0) + 1
        found = []
        for s in self.layers:
            n = read.get(s.name, 0)
            unread = s.outputs[n:] if s.kind == "split" else (s.outputs if not n else ())
            found += [(s.name, shape) for shape in unread]
        return tuple(found)


def spatial(shape: Shape) -> Shape:
    """Spatial dims of a (C, *spatial) shape: () for vectors."""
    return tuple(shape[1:])


def pixels_of(shape: Shape) -> int:
    """Number of spatial positions (1 for a vector)."""
    return prod(shape[1:])


def kernel_of(spec: LayerSpec) -> Shape:
    """Kernel with defaults: ones of the layer's spatial rank when unset."""
    rank = len(spec.inputs[0]) - 1
    return tuple(spec.kernel) if spec.kernel else (1,) * rank


def padded_spatial(spec: LayerSpec) -> Shape:
    """Input spatial dims including the zero padding the sliding window generates."""
    dims = spatial(spec.inputs[0])
    pad = spec.pad or (0,) * (2 * len(dims))
    n = len(dims)
    return tuple(d + pad[i] + pad[n + i] for i, d in enumerate(dims))


def sparsity_applies(spec: LayerSpec) -> bool:
    """Whether PASS's sparse engine is an option: a conv with sparsity annotated and more
    than one value per window (a 1x1 window has no zeros to skip past: theta = 1 already),
    unless the design chose the dense engine."""
    return bool(spec.sparsity) and spec.kind == "conv" and prod(kernel_of(spec)) > 1 and not spec.dense_engine


def sparse_engine(spec: LayerSpec) -> bool:
    """Whether the layer uses the sparse engine: it applies and has fewer MACs than the
    window. With k = K MACs it could not beat the dense engine's one window per cycle, so
    the dense engine (no crossbar, full clock) is built instead."""
    return sparsity_applies(spec) and spec.fine < prod(kernel_of(spec))


def cdiv(a: int, b: int) -> int:
    """Ceiling division: a non-divisor folding still gets a (conservative) answer."""
    return -(-a // b)
