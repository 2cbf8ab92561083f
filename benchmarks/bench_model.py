"""Speed of the analytical model on a ResNet-50-sized network.

The DSE evaluates whole networks hundreds of thousands of times, so this times one full
evaluation (partition performance + resources, FIFOs and squeezes included) three ways:
  cold         every memo cache cleared first (a design never seen before)
  incremental  one layer's folding changed per evaluation (a typical DSE move)
  warm         the same design again

Run: .venv/bin/python benchmarks/bench_model.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from fpga_sdf.model import (LayerSpec, clear_caches, folding_choices, load_platform,
                            partition_performance, partition_resources)


def _fold(spec: LayerSpec, limit: int = 8) -> LayerSpec:
    """Moderate folding: the largest legal coarse factors up to `limit`, full fine."""
    legal = folding_choices(spec)
    pick = lambda values: max(v for v in values if v <= limit)
    coarse_in = pick(legal.coarse_in)
    coarse_out = pick(legal.coarse_out) if spec.kind in ("conv", "inner_product") else coarse_in
    return replace(spec, coarse_in=coarse_in, coarse_out=coarse_out, fine=legal.fine[-1])


def resnet50() -> tuple[list[LayerSpec], list[tuple[str, str]]]:
    """ResNet-50 (v1.5, batch-norm folded into the convolutions) as specs and edges."""
    layers, edges = [], []

    def add(spec, *producers):
        layers.append(_fold(spec))
        edges.extend((p, spec.name) for p in producers)
        return spec.name

    def conv(name, src, cin, cout, size, k, stride, out_size):
        pad = k // 2
        return add(LayerSpec(name, "conv", ((cin, size, size),), ((cout, out_size, out_size),),
                             kernel=(k, k), stride=(stride, stride), pad=(pad,) * 4,
                             has_bias=True), src)

    def relu(name, src, c, size):
        return add(LayerSpec(name, "activation", ((c, size, size),), ((c, size, size),),
                             mode="relu"), src)

    x = add(LayerSpec("conv1", "conv", ((3, 224, 224),), ((64, 112, 112),), kernel=(7, 7),
                      stride=(2, 2), pad=(3, 3, 3, 3), has_bias=True))
    x = relu("relu1", x, 64, 112)
    x = add(LayerSpec("maxpool", "pool", ((64, 112, 112),), ((64, 56, 56),), kernel=(3, 3),
                      stride=(2, 2), pad=(1, 1, 1, 1), mode="max"), x)
    cin, size = 64, 56
    for stage, (blocks, width) in enumerate(((3, 64), (4, 128), (6, 256), (3, 512)), start=2):
        cout = width * 4
        for block in range(blocks):
            stride = 2 if block == 0 and stage > 2 else 1
            out = size // stride
            name = f"res{stage}{chr(ord('a') + block)}"
            split = add(LayerSpec(f"{name}_split", "split", ((cin, size, size),),
                                  ((cin, size, size),) * 2), x)
            y = conv(f"{name}_c1", split, cin, width, size, 1, 1, size)
            y = relu(f"{name}_r1", y, width, size)
            y = conv(f"{name}_c2", y, width, width, size, 3, stride, out)
            y = relu(f"{name}_r2", y, width, out)
            y = conv(f"{name}_c3", y, width, cout, out, 1, 1, out)
            skip = split
            if block == 0:
                skip = conv(f"{name}_down", split, cin, cout, size, 1, stride, out)
            y = add(LayerSpec(f"{name}_add", "eltwise", ((cout, out, out),) * 2,
                              ((cout, out, out),), mode="add"), y, skip)
            x = relu(f"{name}_relu", y, cout, out)
            cin, size = cout, out
    x = add(LayerSpec("avgpool", "global_pool", ((2048, 7, 7),), ((2048, 1, 1),), mode="avg"), x)
    add(LayerSpec("fc", "inner_product", ((2048, 1, 1),), ((1000,),), has_bias=True), x)
    return layers, edges


def evaluate(layers, edges, board):
    perf = partition_performance(layers, edges, board, batch=1)
    used = partition_resources(layers, edges, board, perf)
    return perf, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--platform", default="u250")
    args = parser.parse_args()
    board = load_platform(args.platform)
    layers, edges = resnet50()
    perf, used = evaluate(layers, edges, board)
    print(f"ResNet-50: {len(layers)} layers, {len(edges)} edges on {board.name}: "
          f"interval {perf.interval} cycles, {perf.fps:.1f} fps, DSP {used.dsp}, "
          f"BRAM18 {used.bram18}, URAM {used.uram}, LUT {used.lut}")

    start = time.perf_counter()
    for _ in range(args.repeats):
        clear_caches()
        evaluate(layers, edges, board)
    cold = (time.perf_counter() - start) / args.repeats

    conv_indices = [i for i, spec in enumerate(layers) if spec.kind == "conv"]
    variants = []
    for n in range(args.repeats):
        i = conv_indices[n % len(conv_indices)]
        legal = folding_choices(layers[i]).coarse_out
        changed = list(layers)
        changed[i] = replace(layers[i], coarse_out=legal[(n // len(conv_indices)) % len(legal)])
        variants.append(changed)
    clear_caches()
    evaluate(layers, edges, board)
    start = time.perf_counter()
    for changed in variants:
        evaluate(changed, edges, board)
    incremental = (time.perf_counter() - start) / args.repeats

    start = time.perf_counter()
    for _ in range(args.repeats):
        evaluate(layers, edges, board)
    warm = (time.perf_counter() - start) / args.repeats

    print(f"ms per full evaluation (performance + resources), {args.repeats} repeats:")
    print(f"  cold        {cold * 1e3:8.3f} ms")
    print(f"  incremental {incremental * 1e3:8.3f} ms")
    print(f"  warm        {warm * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
