"""AutoWS's greedy allocation of off-chip bandwidth (seed 000): which layers stream how much.

Each MAC unit's weights memory of depth M is cut into n fragments of f words (M = n f); k of
each fragment's words stream from off-chip memory every time the memory is cycled (once per
output pixel), f - k stay on chip. While the partition's memory is over budget, the greedy
moves off chip the k of some layer that frees the most on-chip bits per weight bit it adds to
the partition's off-chip traffic per frame (the last step: the one adding the fewest bits
that reaches the budget). Late layers (few output pixels, many weights) stream cheaply;
shallow memories free nothing (a BRAM is a BRAM) and are left alone.

Where each stream has its own memory port, the greedy can settle on a few layers streamed
whole when shares spread over more layers fit with less transfer time: a second placement,
the one whose largest stream is least (`_spread`), is kept where it costs less.

Used by `--sdf-fragment-weights budget=F` (a budget of on-chip bits) and by the DSE's
stream-first weights placement (`balance.fold_partition`: the board's BRAM and URAM each).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

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
    to BRAM (a narrow memory wastes most of a URAM's 72 bits) instead of streaming them.

    The greedy never lowers a share once raised, and its price favours streaming a layer
    whole (a buffer costs a BRAM whatever it holds; once one layer streams whole, another
    stream as large costs no more time), so where each stream has its own port it can settle
    on a few layers whole while shares spread over more layers fit with less transfer
    (ResNet-50 on the U50 at 802,816 cycles: three layers whole, 1.04 M cycles; spread over
    seven, 0.52 M). So where the greedy streams, a second placement is made, the one whose
    largest stream is least (`_spread`), and kept where its (transfer, streamed bits) is
    less and the whole partition fits."""
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

    def placed(state):
        """The specs at `state` ({layer: (binding index, words off per fragment)})."""
        out = list(specs)
        for name, (m, k) in state.items():
            out[index[name]] = at(out[index[name]], table[name][m][0], k)
        return out

    def greedy():
        """AutoWS's greedy (see above): the state it reaches, or None."""
        state = {name: (0, 0) for name in shape}  # name -> (binding index, words off per fragment)
        streams = {}  # name -> streamed bits per frame
        total = start
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
            # favours streaming a layer whole, which the last step need not). The last step
            # waits while it would cost more than that best step (a stream's port time can
            # make the one step reaching the budget dear).
            best = max(moves, key=lambda m: (m[0] / m[1] if m[1] > 0 else float("inf"), m[0]))
            last = min((m for m in moves if m[0] >= over), key=lambda m: (m[1], -m[0]), default=None)
            freed, _, name, (m2, k2), (bram, uram), bits = last if last and last[1] <= best[1] else best
            if k2:
                streams[name] = bits
            state[name] = (m2, k2)
            over -= freed
            if over <= 0:  # the layers' estimate says it fits: check the whole partition
                total = partition_resources(placed(state), edges, platform)
                bram, uram = total.bram18, total.uram
                over = excess(total)
        return state

    start = partition_resources(specs, edges, platform)
    state = greedy()
    if state is None:
        return None
    if any(k for _, k in state.values()):  # something streams: try spreading it
        spread = _spread(table, start, excess, transfer)
        if spread is not None and _price(table, spread, transfer) < _price(table, state, transfer) \
                and excess(partition_resources(placed(spread), edges, platform)) <= 0:
            state = spread
    return {s.name: s for s, layer in zip(placed(state), layers)
            if s.weights_fragments or s.weights_memory != layer.weights_memory}


def _bits(table, name, at):
    """Bits a frame layer `name` streams at (binding index, k)."""
    m, k = at
    return table[name][m][1][k][2]


def _price(table, state, transfer):
    """(transfer, streamed bits) of a state."""
    streams = [_bits(table, name, at) for name, at in state.items() if at[1]]
    return transfer(streams), sum(streams)


def _spread(table, total, excess, transfer):
    """The placement ({layer: (binding index, k)}) whose largest stream is least of those
    whose memories fit by the layers' estimate (`total`, every weight on chip, plus each
    layer's change of memory), each stream then lowered, the largest first, to the fewest
    bits that still fits while that lowers (transfer, streamed bits); None where nothing fits.

    Whether any placement fits with no stream above a cap is decided exactly on that
    estimate by a dynamic programme over the layers: the least BRAM18 their memories take
    for each count of URAM blocks, each layer at any (binding, k) streaming at most the cap.
    A binary search over the bits a layer can stream finds the least cap that fits."""
    base_b = total.bram18 - sum(rows[0][1][0][0] for rows in table.values())
    base_u = total.uram - sum(rows[0][1][0][1] for rows in table.values())
    never = np.iinfo(np.int64).max // 2

    def fitting(cap):
        least = np.zeros(1, dtype=np.int64)  # URAM blocks -> least BRAM18 of the layers so far
        picks = []
        for name, rows in table.items():
            options = {}  # (URAM, BRAM18) -> (streamed bits, binding, k): the fewest bits
            for m, (_, row) in enumerate(rows):
                for k, (b, u, bits) in enumerate(row):
                    if bits <= cap and options.get((u, b), (bits + 1,))[0] > bits:
                        options[(u, b)] = (bits, m, k)
            frontier, bram = [], None  # the options no other beats in both memories
            for (u, b), (_, m, k) in sorted(options.items()):
                if bram is None or b < bram:
                    frontier.append((u, b, (m, k)))
                    bram = b
            after = np.full(least.size + frontier[-1][0], never)
            choice = np.full(after.size, -1)
            for j, (u, b, _) in enumerate(frontier):
                window = slice(u, u + least.size)
                better = least + b < after[window]
                after[window] = np.where(better, least + b, after[window])
                choice[window] = np.where(better, j, choice[window])
            least = after
            picks.append((name, frontier, choice))
        for uram in range(least.size):
            if least[uram] < never and excess(Resources(bram18=base_b + int(least[uram]), uram=base_u + uram)) <= 0:
                state = {}
                for name, frontier, choice in reversed(picks):
                    u, _, state[name] = frontier[choice[uram]]
                    uram -= u
                return state
        return None

    caps = sorted({bits for rows in table.values() for _, row in rows for *_, bits in row})
    lo, hi, state = 0, len(caps), None
    while lo < hi:  # the least cap in caps[lo:hi] fits, else none does; `state` fits at caps[hi]
        mid = (lo + hi) // 2
        found = fitting(caps[mid])
        if found is None:
            lo = mid + 1
        else:
            hi, state = mid, found
    if state is None:
        return None

    def memory(state):
        return (base_b + sum(table[n][m][1][k][0] for n, (m, k) in state.items()),
                base_u + sum(table[n][m][1][k][1] for n, (m, k) in state.items()))

    improved = True
    while improved:
        improved = False
        for name in sorted((n for n in state if state[n][1]), key=lambda n: -_bits(table, n, state[n])):
            m, k = state[name]
            bram, uram = memory(state)
            b, u, bits = table[name][m][1][k]
            lower = sorted((row[k2][2], m2, k2) for m2, (_, row) in enumerate(table[name]) for k2 in range(len(row))
                           if row[k2][2] < bits and excess(Resources(bram18=bram - b + row[k2][0],
                                                                     uram=uram - u + row[k2][1])) <= 0)
            if lower:
                trial = {**state, name: lower[0][1:]}
                if _price(table, trial, transfer) < _price(table, state, transfer):
                    state, improved = trial, True
    return state
