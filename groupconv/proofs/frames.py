"""Frame bounds of a convolution filter.

For a linear layer ``L`` the frame bounds ``(A, B)`` are the best constants with
``A ||u||^2 <= ||L u||^2 <= B ||u||^2``; for a convolution they are the extreme squared singular values of
its transfer matrix over the frequencies (Mallat, *A Wavelet Tour of Signal Processing*, 3rd ed.,
Thm. 5.11 for filter banks).

>>> import torch
>>> conv2d_frame_bounds(torch.eye(2).view(2, 2, 1, 1), grid=8)
(1.0, 1.0)
>>> conv_frame_bounds(torch.eye(2).view(2, 2, 1, 1, 1), grid=4)
(1.0, 1.0)
"""

from __future__ import annotations

import torch

__all__ = ["conv2d_frame_bounds", "conv_frame_bounds"]

#: The default frequency grid per axis: 64 x 64 on the plane (4096 frequencies), 8 x 8 x 8 in space (512: one
#: singular value decomposition of (C_out, C_in) per frequency, and volumes have many channels)
_DEFAULT_GRID = {2: 64, 3: 8}


def conv2d_frame_bounds(weight: torch.Tensor, grid: int = 64) -> tuple[float, float]:
    """Frame bounds of the circular 2D convolution with ``weight`` ``(C_out, C_in, k, k)``.

    The transfer matrix at frequency ``omega`` is ``W^(omega) = sum_x w(x) e^{-i omega x}``; the bounds
    are ``A = min_omega sigma_min(W^(omega))^2`` (0 when ``C_out < C_in``) and
    ``B = max_omega sigma_max(W^(omega))^2`` over a ``grid x grid`` frequency grid (exact for circular
    convolution on that grid size). ``B`` also bounds zero-padded convolutions.
    """
    if weight.dim() != 4:
        raise ValueError(
            f"conv2d_frame_bounds takes a filter (C_out, C_in, kh, kw), got shape {tuple(weight.shape)}; "
            "conv_frame_bounds takes volumes too"
        )
    return conv_frame_bounds(weight, grid)


def conv_frame_bounds(weight: torch.Tensor, grid: int | None = None) -> tuple[float, float]:
    """Frame bounds of the circular convolution with ``weight`` ``(C_out, C_in, k, k)`` on the plane or
    ``(C_out, C_in, k, k, k)`` in space, as :func:`conv2d_frame_bounds`, over a frequency grid of ``grid``
    points per axis (default 64 on the plane, 8 in space)."""
    if weight.dim() not in (4, 5):
        raise ValueError(
            "conv_frame_bounds takes a filter (C_out, C_in, kh, kw) or (C_out, C_in, kd, kh, kw), got shape "
            f"{tuple(weight.shape)}"
        )
    w = weight.detach().to(torch.float64)
    d = w.dim() - 2
    grid = _DEFAULT_GRID[d] if grid is None else int(grid)
    c_out, c_in, *ks = w.shape
    pad = torch.zeros(c_out, c_in, *(max(grid, k) for k in ks), dtype=torch.float64, device=w.device)
    pad[(...,) + tuple(slice(0, k) for k in ks)] = w
    spec = torch.fft.fftn(pad, dim=tuple(range(2, 2 + d))).permute(*range(2, 2 + d), 0, 1)
    sv = torch.linalg.svdvals(spec)
    upper = float(sv.max() ** 2)
    lower = float(sv.min() ** 2) if c_out >= c_in else 0.0
    return lower, upper
