"""AutoWS's greedy allocation of off-chip bandwidth (seed 000): which layers stream how much.

Each MAC unit's weights memory of depth M is cut into n fragments of f words (M = n f); k of
each fragment's words stream from off-chip memory every time the memory is cycled (once per
output pixel), f - k stay on chip. While the partition's memory is over budget, the greedy
moves off chip the k of some layer that frees the most on-chip bits per weight bit it adds to
the partition's off-chip traffic per frame (the last step: the one adding the fewest bits
that reaches the budget). Late layers (few output pixels, many weights) stream cheaply;
shallow memories free nothing (a BRAM is a BRAM) and are left alone.

Used by `--sdf-fragment-weights budget=F` (a budget of on-chip bits) and by the DSE's
stream-first weights placement (`balance.fold_partition`: the board's BRAM and URAM each).
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Resources, layer_resources, partition_resources
from ..model.weights_memory import fragment_depth, geometry
from ..model.workload import streamed_weights

BRAM18_BITS, URAM_BITS = 18 * 1024, 288 * 1024


def memory_bits(used) -> int:
    """On-chip block memory of a Resources, in bits (what the budget counts)."""
    return used.bram18 * BRAM18_BITS + used.uram * URAM_BITS


def greedy_fragments(layers, edges, platform, budget_bits: float, steps: int):
    """{layer: (n, u_on, u_off)} keeping the partition's BRAM and URAM bits together within
    `budget_bits`, or None when even streaming all that frees memory does not fit."""
    plan = fit_fragments(layers, edges, platform, lambda used: memory_bits(used) - budget_bits, steps)
    return None if plan is None else {name: s.weights_fragments for name, s in plan.items() if s.weights_fragments}


def fit_fragments(layers, edges, platform, excess, steps: int, transfer=sum, bindings=()):
    """{layer: spec as placed} of the layers moved so that `excess(used)` (the bits of on-chip
    memory a Resources holds beyond the budget; <= 0 fits) reaches 0, or None when even
    streaming all that frees memory does not. Starts with every weight on chip; each step is
    one layer's k words off per fragment (see the module docstring) or, with `bindings`
    (weight-memory bindings such as "bram", "uram"), the layer's weights memory moved to
    another kind of block memory. A step's price is what it adds to `transfer(bits)` of the
    streaming layers' bits per frame: by default their sum; the DSE gives the model's
    transfer time, in which a layer's stream has one memory port, so spreading the streams
    over layers can cost less than the fewest bits. A rebinding streams nothing, so it is
    taken before any stream while it frees memory: URAM full and BRAM idle moves memories
    to BRAM (a narrow memory wastes most of a URAM's 72 bits) instead of streaming them."""
    specs = [replace(s, weights_off_chip=0.0, weights_fragments=()) for s in layers]
    index = {s.name: i for i, s in enumerate(specs)}
    shape = {}  # name -> (n, words per fragment)
    for s in specs:
        g = geometry(s)
        if g is not None:
            f = fragment_depth(g.depth, steps)
            shape[s.name] = (g.depth // f, f)

    def at(spec, memory, k):
        spec = replace(spec, weights_memory=memory)
        if k == 0:
            return replace(spec, weights_off_chip=0.0, weights_fragments=())
        n, f = shape[spec.name]
        return replace(spec, weights_off_chip=k / f, weights_fragments=(n, f - k, k))

    def cost(spec):
        used = layer_resources(spec, platform)
        return used.bram18, used.uram, streamed_weights(spec) * spec.weight_width

    # (BRAM18, URAM, streamed bits) of each layer for each binding (its own first; one
    # costing the same as an earlier one is dropped) at every k, computed once
    table = {}
    for name in shape:
        spec = specs[index[name]]
        rows = []
        for memory in dict.fromkeys((spec.weights_memory, *bindings)):
            row = [cost(at(spec, memory, k)) for k in range(shape[name][1] + 1)]
            if all(row != other for _, other in rows):
                rows.append((memory, row))
        table[name] = rows
    state = {name: (0, 0) for name in shape}  # name -> (binding index, words off per fragment)
    streams = {}  # name -> streamed bits per frame
    total = partition_resources(specs, edges, platform)
    bram, uram = total.bram18, total.uram
    over = excess(total)
    while over > 0:
        moves = []  # (freed excess, added transfer, layer, (binding, k), (bram, uram) after, bits)
        now = transfer(list(streams.values()))
        for name, (m, k) in state.items():
            b, u, _ = table[name][m][1][k]
            added = {}  # k2 -> transfer added (the same for every binding)
            for m2, (_, row) in enumerate(table[name]):
                for k2 in range(k, shape[name][1] + 1):
                    if (m2, k2) == (m, k):
                        continue
                    b2, u2, bits2 = row[k2]
                    after = (bram - b + b2, uram - u + u2)
                    freed = over - excess(Resources(bram18=after[0], uram=after[1]))
                    if freed > 0:
                        if k2 not in added:
                            added[k2] = 0 if k2 == k else transfer(list({**streams, name: bits2}.values())) - now
                        moves.append((freed, added[k2], name, (m2, k2), after, bits2))
        if not moves:
            return None
        # The last step: the cheapest in bandwidth that reaches the budget; before it, the
        # most memory per streamed bit (a buffer costs a BRAM whatever it holds, so that
        # favours streaming a layer whole, which the last step need not). The last step waits
        # while it would cost more than that best step (a stream's port time can make the one
        # step reaching the budget dear).
        best = max(moves, key=lambda m: (m[0] / m[1] if m[1] > 0 else float("inf"), m[0]))
        last = min((m for m in moves if m[0] >= over), key=lambda m: (m[1], -m[0]), default=None)
        freed, _, name, (m2, k2), (bram, uram), bits = last if last and last[1] <= best[1] else best
        if k2:
            streams[name] = bits
        state[name] = (m2, k2)
        specs[index[name]] = at(specs[index[name]], table[name][m2][0], k2)
        over -= freed
        if over <= 0:  # the layers' estimate says it fits: check the whole partition
            total = partition_resources(specs, edges, platform)
            bram, uram = total.bram18, total.uram
            over = excess(total)
    return {s.name: s for s, layer in zip(specs, layers)
            if s.weights_fragments or s.weights_memory != layer.weights_memory}
