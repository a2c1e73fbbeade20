"""Sampling an image at arbitrary points: ``F.affine_grid`` (the sampling grid of an affine map) and
``F.grid_sample`` (bilinear, nearest or bicubic interpolation at a grid of normalised ``[-1, 1]``
coordinates, zeros/border/reflection padding), declared as the ops ``affine_grid_generator``,
``grid_sampler_2d`` and ``grid_sampler_3d`` (gradients are JAX's vjp of these functions).

A grid's last axis holds ``(x, y[, z])``: x indexes the input's last (width) dimension.  Coordinates are
unnormalised to pixel units (``align_corners``: -1 and 1 are the centres of the corner pixels, else
their outer edges), then clipped or reflected into the image for border/reflection padding; bicubic
interpolation pads each of its 4 x 4 taps instead.
"""
from __future__ import annotations

import itertools
import warnings

import jax.numpy as jnp

from .. import _dtype as D
from .._registry import _type_word, call, defop

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_CUBIC_A = -0.75


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord, size):
    """Into ``[0, size - 1]``; the gradient is zero outside, as PyTorch's."""
    return jnp.where(coord <= 0, jnp.zeros_like(coord), jnp.where(coord >= size - 1, size - 1.0, coord)
                     .astype(coord.dtype))


def _reflect(coord, twice_low, twice_high):
    """Reflect ``coord`` at ``twice_low / 2`` and ``twice_high / 2`` until it lies between them."""
    if twice_low == twice_high:
        return jnp.zeros_like(coord)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    d = jnp.where(coord < lo, lo - coord, coord - lo)
    extra = jnp.fmod(d, span)
    flips = jnp.floor(d / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + lo, span - extra + lo)


def _pad_coord(coord, size, padding, align_corners):
    if padding == 1:
        return _clip(coord, size)
    if padding == 2:
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return _clip(coord, size)
    return coord


def _gather(flat, sizes, idx, valid):
    """``flat[n, c, idx]`` for integer coordinates ``idx`` (one per spatial dim, each ``(N, *out)``), zero
    where not ``valid``."""
    n_, c_ = flat.shape[:2]
    lin = jnp.zeros_like(idx[0])
    for i, s in zip(idx, sizes):
        lin = lin * s + jnp.clip(i, 0, s - 1)
    out_shape = lin.shape[1:]
    vals = jnp.take_along_axis(flat, lin.reshape(n_, 1, -1), axis=2).reshape((n_, c_) + out_shape)
    return jnp.where(valid[:, None], vals, jnp.zeros((), flat.dtype))


def _in_bounds(idx, sizes):
    ok = None
    for i, s in zip(idx, sizes):
        here = (i >= 0) & (i <= s - 1)
        ok = here if ok is None else ok & here
    return ok


def _cubic_weights(t):
    """The 4 tap weights of cubic convolution (A = -0.75) at fractional offset ``t``."""
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``input`` (N, C, *spatial), ``grid`` (N, *out, nd) -> (N, C, *out)."""
    sizes = input.shape[2:]
    nd = len(sizes)
    flat = input.reshape(input.shape[:2] + (-1,))
    # the grid's coordinate k indexes spatial dim nd - 1 - k
    coords = [_unnormalize(grid[..., nd - 1 - d], sizes[d], align_corners) for d in range(nd)]
    if interpolation_mode == 2:         # bicubic (2-D only): pad each tap
        lows = [jnp.floor(c) for c in coords]
        weights = [_cubic_weights(c - lo) for c, lo in zip(coords, lows)]
        taps = []
        for offsets in itertools.product(range(4), repeat=nd):
            pos = [_pad_coord(lo - 1 + t, s, padding_mode, align_corners) for lo, t, s in zip(lows, offsets, sizes)]
            idx = [p.astype(jnp.int32) if padding_mode else jnp.floor(p).astype(jnp.int32) for p in pos]
            valid = _in_bounds(idx, sizes) if padding_mode == 0 else jnp.ones(idx[0].shape, bool)
            w = 1
            for wd, t in zip(weights, offsets):
                w = w * wd[t]
            taps.append((idx, valid, w))
        return _weighted_taps(flat, sizes, taps).astype(input.dtype)
    coords = [_pad_coord(c, s, padding_mode, align_corners) for c, s in zip(coords, sizes)]
    if interpolation_mode == 1:         # nearest (ties to even, as nearbyint)
        idx = [jnp.round(c).astype(jnp.int32) for c in coords]
        return _gather(flat, sizes, idx, _in_bounds(idx, sizes))
    lows = [jnp.floor(c) for c in coords]
    taps = []
    for corner in itertools.product((0, 1), repeat=nd):
        w = 1
        idx = []
        for c, lo, up in zip(coords, lows, corner):
            w = w * ((c - lo) if up else (lo + 1 - c))
            idx.append((lo + up).astype(jnp.int32))
        taps.append((idx, _in_bounds(idx, sizes), w))
    return _weighted_taps(flat, sizes, taps).astype(input.dtype)


def _weighted_taps(flat, sizes, taps):
    """``sum_k w_k * input[idx_k]`` over the taps ``(idx, valid, w)``, read with one gather (a small
    program: 16 bicubic taps compile as one)."""
    nd = len(sizes)
    idx = [jnp.stack([t[0][d] for t in taps], axis=1) for d in range(nd)]     # (N, taps, *out)
    valid = jnp.stack([t[1] for t in taps], axis=1)
    w = jnp.stack([jnp.broadcast_to(t[2], t[1].shape) for t in taps], axis=1)
    vals = _gather(flat, sizes, idx, valid)                                     # (N, C, taps, *out)
    return jnp.sum(vals * w[:, None], axis=2)


def _affine_grid(theta, size, align_corners):
    """(N, *spatial, nd) sampling points ``theta @ [x, y(, z), 1]`` over the output's pixel centres."""
    spatial = size[2:]
    axes = []
    for s in reversed(spatial):         # x (width) first
        ax = jnp.linspace(-1, 1, s, dtype=theta.dtype) if s > 1 else jnp.zeros((1,), theta.dtype)  # the centre
        if not align_corners:
            ax = ax * ((s - 1) / s)
        axes.append(ax)
    mesh = jnp.meshgrid(*reversed(axes), indexing="ij")     # each (*spatial), spatial-dim order
    base = jnp.stack(list(reversed(mesh)) + [jnp.ones(spatial, theta.dtype)], axis=-1)
    base = base.reshape(-1, len(spatial) + 1)
    out = jnp.einsum("pk,njk->npj", base, theta)
    return out.reshape((size[0],) + tuple(spatial) + (len(spatial),))


defop("grid_sampler_2d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners)",
      _grid_sampler, grad="GridSampler2DBackward0", function=False, method=False, out=False)
defop("grid_sampler_3d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners)",
      _grid_sampler, grad="GridSampler3DBackward0", function=False, method=False, out=False)
defop("affine_grid_generator(Tensor theta, int[] size, bool align_corners)", _affine_grid,
      grad="AffineGridGeneratorBackward0", dtype="keep", function=False, method=False, out=False)


def _sizes(t):
    return list(t.shape)


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``torch.grid_sampler`` (and ``grid_sampler_2d``/``_3d``): checks the shapes and dtypes, then samples."""
    if input.ndim != grid.ndim:
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}"
                           if input.ndim not in (4, 5) else
                           f"grid_sampler(): expected {input.ndim}D input and grid with same number of dimensions, "
                           f"but got input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if input.ndim not in (4, 5):
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    nd = input.ndim - 2
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {_sizes(grid)}")
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {d} being empty")
    if interpolation_mode == 2 and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(input._dtype)} but found {_type_word(grid._dtype)}")
    if not input.is_floating_point():
        raise NotImplementedError(f'"grid_sampler_{nd}d_cpu_kernel_impl" not implemented for '
                                  f"'{_type_word(input._dtype)}'")
    op = _GRID_2D if nd == 2 else _GRID_3D
    return call(op, (input, grid), (int(interpolation_mode), int(padding_mode), bool(align_corners)))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at ``grid`` (N, H_out, W_out, 2) or
    (N, D_out, H_out, W_out, 3), coordinates in ``[-1, 1]``."""
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    return grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], align_corners)


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) or (N, D, H, W, 3) sampling grid of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4)
    for an output of ``size`` (N, C, H, W) or (N, C, D, H, W), for :func:`grid_sample`."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)


def affine_grid_generator(theta, size, align_corners):
    """``torch.affine_grid_generator``."""
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{theta.shape[2]}] but got: [{theta.shape[0]}, {theta.shape[2]}].")
    return call(_AFFINE, (theta,), (tuple(int(s) for s in size), bool(align_corners)))


from .._registry import OPS  # noqa: E402

_GRID_2D, _GRID_3D, _AFFINE = OPS["grid_sampler_2d"], OPS["grid_sampler_3d"], OPS["affine_grid_generator"]
