"""Shape rules of the sdf layer ops, on plain integer tuples.

Shared by the verifier (is the declared result type right?) and by the passes that build
ops (what result type to declare). Shapes include the batch dim: (N, C, *spatial).
"""

from __future__ import annotations

from math import prod


def window_extent(kernel: int, dilation: int) -> int:
    """Input positions one dilated kernel window spans."""
    return dilation * (kernel - 1) + 1


def sliding_output(size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int = 1) -> int:
    """Output positions of a sliding window along one dim (floor mode)."""
    return (size + pad_begin + pad_end - window_extent(kernel, dilation)) // stride + 1


def conv(in_shape, w_shape, stride, pad, dilation) -> tuple[int, ...]:
    rank = len(in_shape) - 2
    spatial = tuple(
        sliding_output(in_shape[2 + d], w_shape[2 + d], stride[d], pad[d], pad[rank + d], dilation[d])
        for d in range(rank)
    )
    return (in_shape[0], w_shape[0], *spatial)


def pool(in_shape, kernel, stride, pad) -> tuple[int, ...]:
    rank = len(in_shape) - 2
    spatial = tuple(
        sliding_output(in_shape[2 + d], kernel[d], stride[d], pad[d], pad[rank + d]) for d in range(rank)
    )
    return (in_shape[0], in_shape[1], *spatial)


def global_pool(in_shape) -> tuple[int, ...]:
    return (in_shape[0], in_shape[1], *([1] * (len(in_shape) - 2)))


def inner_product(in_shape, w_shape) -> tuple[int, ...]:
    return (in_shape[0], w_shape[0])


def features(shape) -> int:
    """Features per sample: what an inner product sees after flattening."""
    return prod(shape[1:])


def resize(in_shape, scale) -> tuple[int, ...]:
    return (in_shape[0], in_shape[1], *(s * f for s, f in zip(in_shape[2:], scale)))


def concat(lhs, rhs) -> tuple[int, ...]:
    return (lhs[0], lhs[1] + rhs[1], *lhs[2:])


def broadcast(lhs, rhs) -> tuple[int, ...] | None:
    """Numpy-style broadcast of two equal-rank shapes, or None if they do not broadcast."""
    if len(lhs) != len(rhs):
        return None
    out = []
    for a, b in zip(lhs, rhs):
        if a != b and 1 not in (a, b):
            return None
        out.append(max(a, b))
    return tuple(out)
