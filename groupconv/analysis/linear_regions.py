r"""Bounding and counting the linear regions of ReLU networks.

A fully connected ReLU network with input dimension :math:`n_0` and hidden widths
:math:`n_1, \dots, n_L` computes :math:`h^l = \max(0, W^l h^{l-1} + b^l)`; a *linear region* is a
maximal connected set of inputs on which the activation pattern (which hidden units are positive) is
constant. Each pattern defines a convex polyhedron (the pre-activations are affine in the input once the
pattern is fixed), so counting full-dimensional regions is counting the activation patterns that occur on
an open set.

This module implements the bounds of Serra, Tjandraatmadja & Ramalingam, "Bounding and counting linear
regions of deep neural networks", ICML 2018 (arXiv:1711.02114), and three exact counting methods that
agree with each other:

- :func:`count_regions_1d` -- exact breakpoint traversal on an interval (:math:`n_0 = 1`);
- :func:`count_regions_2d` -- exact traversal of the hyperplane arrangement on a box (:math:`n_0 = 2`),
  splitting convex polygons by every neuron's line, layer by layer;
- :func:`count_regions_milp` -- the paper's mixed-integer formulation (Section 5), solved with
  :func:`scipy.optimize.milp` (HiGHS), one solve per region with no-good cuts.

Networks are given as a ``torch.nn.Sequential`` of ``Linear`` and ``ReLU`` modules, or as a list of
``(W, b)`` pairs (numpy or torch); the last affine map (the output layer) does not create regions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "upper_bound",
    "montufar_bound",
    "lower_bound",
    "max_regions_1d",
    "lower_bound_network_1d",
    "hidden_layers",
    "activation_pattern",
    "count_regions_1d",
    "count_regions_2d",
    "count_regions_milp",
    "count_patterns_sampled",
    "RegionCount",
]


def _check_widths(n0: int, widths: Sequence[int]) -> list[int]:
    if not isinstance(n0, (int, np.integer)) or n0 < 1:
        raise ValueError(f"input dimension n0 must be a positive integer, got {n0!r}")
    widths = list(widths)
    if not widths or any(not isinstance(n, (int, np.integer)) or n < 1 for n in widths):
        raise ValueError(f"widths must be a non-empty sequence of positive integers, got {widths!r}")
    return [int(n) for n in widths]


def upper_bound(n0: int, widths: Sequence[int], ranks: Sequence[int] | None = None) -> int:
    r"""Upper bound on the number of linear regions of a deep ReLU network.

    Serra, Tjandraatmadja & Ramalingam (ICML 2018), Theorem 1: a network with input dimension
    :math:`n_0` and hidden widths :math:`n_1, \dots, n_L` has at most

    .. math::

        \sum_{(j_1, \dots, j_L) \in J} \prod_{l=1}^{L} \binom{n_l}{j_l}, \qquad
        J = \{ (j_1, \dots, j_L) \in \mathbb{Z}^L : 0 \le j_l \le
        \min\{n_0, n_1 - j_1, \dots, n_{l-1} - j_{l-1}, n_l\} \}

    linear regions. The bound is tight for :math:`L = 1` (Zaslavsky's count of a hyperplane arrangement in
    general position). With ``ranks`` (the ranks of :math:`W^1, \dots, W^L`) the dimension argument of the
    proof also caps :math:`j_l` by :math:`\min\{\mathrm{rank}\, W^1, \dots, \mathrm{rank}\, W^l\}`, the
    refinement of the paper's Theorem 7: the image of layer :math:`l` lies in a space of dimension at most
    the smallest rank met so far.

    The sum is computed exactly (Python integers) by dynamic programming over the running minimum.

    Parameters
    ----------
    n0 : int
        Input dimension.
    widths : sequence of int
        Hidden widths :math:`n_1, \dots, n_L`.
    ranks : sequence of int, optional
        Ranks of the weight matrices :math:`W^1, \dots, W^L`.

    Examples
    --------
    >>> upper_bound(2, [2, 2])
    11
    """
    widths = _check_widths(n0, widths)
    if ranks is not None:
        ranks = list(ranks)
        if len(ranks) != len(widths):
            raise ValueError(f"ranks must have one entry per hidden layer ({len(widths)}), got {len(ranks)}")
    # state: cap = min{n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, rank W^1..W^{l-1}} -> summed product
    states: dict[int, int] = {n0: 1}
    for l, n in enumerate(widths):
        nxt: dict[int, int] = {}
        for cap, weight in states.items():
            c = min(cap, n) if ranks is None else min(cap, n, int(ranks[l]))
            for j in range(c + 1):
                new_cap = min(c, n - j)
                nxt[new_cap] = nxt.get(new_cap, 0) + weight * math.comb(n, j)
        states = nxt
    return sum(states.values())


def montufar_bound(n0: int, widths: Sequence[int]) -> int:
    r"""The earlier bound of Montúfar (SampTA 2017), recalled by Serra et al. (ICML 2018), Section 3:

    .. math::

        \prod_{l=1}^{L} \sum_{j=0}^{d_l} \binom{n_l}{j}, \qquad d_l = \min\{n_0, n_1, \dots, n_l\}.

    Theorem 1 (:func:`upper_bound`) is never larger.
    """
    widths = _check_widths(n0, widths)
    out, d = 1, n0
    for n in widths:
        d = min(d, n)
        out *= sum(math.comb(n, j) for j in range(d + 1))
    return out


def lower_bound(n0: int, widths: Sequence[int]) -> int:
    r"""Lower bound on the maximal number of linear regions (Serra et al., ICML 2018, Theorem 8).

    For hidden widths :math:`n_l \ge 3 n_0`, some network with these widths has at least

    .. math::

        \Big( \prod_{l=1}^{L-1} \big( \lfloor n_l / n_0 \rfloor + 1 \big)^{n_0} \Big)
        \sum_{j=0}^{n_0} \binom{n_L}{j}

    linear regions. It improves the construction of Montúfar, Pascanu, Cho & Bengio (NeurIPS 2014),
    whose per-layer factor is :math:`\lfloor n_l / n_0 \rfloor^{n_0}`: each block of :math:`n_0` groups of
    units folds its coordinate into :math:`\lfloor n_l/n_0 \rfloor + 1` pieces instead of
    :math:`\lfloor n_l/n_0 \rfloor`.

    Raises
    ------
    ValueError
        If some :math:`n_l < 3 n_0`, where the theorem does not apply.
    """
    widths = _check_widths(n0, widths)
    if any(n < 3 * n0 for n in widths):
        raise ValueError(f"the lower bound needs every width >= 3 * n0 = {3 * n0}, got widths {widths}")
    out = 1
    for n in widths[:-1]:
        out *= (n // n0 + 1) ** n0
    return out * sum(math.comb(widths[-1], j) for j in range(n0 + 1))


def max_regions_1d(widths: Sequence[int]) -> int:
    r"""The exact maximal number of linear regions for input dimension :math:`n_0 = 1`.

    For :math:`n_0 = 1` and widths :math:`n_l \ge 3`, the lower bound (Theorem 8) and the upper bound
    (Theorem 1) of Serra et al. (ICML 2018) coincide, so the maximum is exactly

    .. math:: \prod_{l=1}^{L} (n_l + 1).

    (Theorem 1 at :math:`n_0 = 1` sums over :math:`j \in \{0, 1\}^L`, all admissible once every
    :math:`n_l \ge 2`, giving :math:`\prod_l \sum_{j \le 1} \binom{n_l}{j}`.) :func:`lower_bound_network_1d`
    builds a network attaining it.

    Raises
    ------
    ValueError
        If some width is below 3, where the paper does not state the maximum.
    """
    widths = _check_widths(1, widths)
    if any(n < 3 for n in widths):
        raise ValueError(f"the exact maximum for n0 = 1 is stated for widths >= 3, got {widths}")
    value = math.prod(n + 1 for n in widths)
    assert value == upper_bound(1, widths) == lower_bound(1, widths)
    return value


def lower_bound_network_1d(widths: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""A ReLU network on :math:`\mathbb{R}` with :math:`\prod_l (n_l + 1)` linear regions.

    Each hidden layer with :math:`n \ge 3` units computes (through the next layer's affine map) a zigzag
    :math:`f: \mathbb{R} \to \mathbb{R}` with breakpoints equally spaced in :math:`[1/3, 2/3]`, values
    alternating :math:`0, 1, 0, \dots` at the breakpoints and steep end pieces, so that each of its
    :math:`n + 1` pieces, restricted to :math:`[0, 1]`, maps onto a set containing :math:`[0, 1]`, which
    holds all breakpoints of the next layer; the regions multiply. This is the
    one-dimensional case of the construction behind Theorem 8 of Serra et al. (ICML 2018). The zigzag is
    written :math:`f(x) = c + \sum_i w_i \max(0, \sigma_i (x - b_i))` with :math:`\sigma_i = +1` except on
    the last unit (odd :math:`n`) or the last two units (even :math:`n`), which carry the slope of the
    left end piece.

    Returns
    -------
    list of (W, b)
        Hidden layers followed by a 1-unit output layer, float64.
    """
    widths = _check_widths(1, widths)
    if any(n < 3 for n in widths):
        raise ValueError(f"the construction needs every width >= 3, got {widths}")
    layers = []
    prev_w, prev_c = np.ones(1), 0.0  # the input of layer 1 is x itself
    for n in widths:
        h = 1.0 / (3 * (n - 1))
        b = 1.0 / 3.0 + h * np.arange(n)
        values = np.arange(n) % 2.0  # f(b_i) = 0, 1, 0, ...
        mid = np.diff(values) / h  # slopes between breakpoints
        negative = [n - 1] if n % 2 == 1 else [n - 2, n - 1]
        # |slope| t of the left end piece: the end pieces must cover [0, 1] within [0, 1], i.e.
        # t > 3 and |s_n| > 3, where the sigma = -1 units force s_n = s_{n-1} + t (odd n)
        # or s_n = s_{n-2} + t (even n)
        t = 4.0 + 1.0 / h if n % 2 == 1 else 0.5 / h
        slopes = np.concatenate([[-t], mid, [0.0]])
        slopes[-1] = (mid[-1] if n % 2 == 1 else mid[-2]) + t
        w = np.diff(slopes)
        sigma = np.ones(n)
        sigma[negative] = -1.0
        assert abs(-w[negative].sum() - slopes[0]) < 1e-12
        c = values[0] - np.sum(w * np.maximum(0.0, sigma * (b[0] - b)))
        # unit i: max(0, sigma_i (f_prev(x) - b_i)) with f_prev(x) = prev_w . h + prev_c
        W = sigma[:, None] * prev_w[None, :]
        bias = sigma * (prev_c - b)
        layers.append((W, bias))
        prev_w, prev_c = w, c
    layers.append((prev_w[None, :], np.array([prev_c])))
    return layers


def _to_numpy_layers(network) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) pairs in float64 from an nn.Sequential of Linear/ReLU or a list of (W, b)."""
    if isinstance(network, torch.nn.Module):
        mods = list(network.children()) if isinstance(network, torch.nn.Sequential) else None
        if mods is None:
            raise TypeError(
                f"expected a torch.nn.Sequential of Linear and ReLU modules, got {type(network).__name__}"
            )
        layers = []
        expect_linear = True
        for m in mods:
            if isinstance(m, torch.nn.Linear) and expect_linear:
                w = m.weight.detach().to("cpu", torch.float64).numpy()
                b = (
                    m.bias.detach().to("cpu", torch.float64).numpy()
                    if m.bias is not None
                    else np.zeros(w.shape[0])
                )
                layers.append((w, b))
                expect_linear = False
            elif isinstance(m, torch.nn.ReLU) and not expect_linear:
                expect_linear = True
            else:
                raise TypeError(
                    "expected a Sequential alternating Linear and ReLU (Linear, ReLU, ..., Linear), got "
                    f"{[type(x).__name__ for x in mods]}"
                )
        return layers
    layers = []
    for item in network:
        if len(item) != 2:
            raise TypeError(f"expected (W, b) pairs, got an item of length {len(item)}")
        w, b = item
        w = np.asarray(w.detach().cpu() if hasattr(w, "detach") else w, dtype=np.float64)
        b = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b, dtype=np.float64)
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ValueError(f"expected W of shape (out, in) and b of shape (out,), got {w.shape}, {b.shape}")
        layers.append((w, b))
    for (w0, _), (w1, _) in zip(layers, layers[1:]):
        if w1.shape[1] != w0.shape[0]:
            raise ValueError(f"layer shapes do not chain: {w0.shape} then {w1.shape}")
    return layers


def hidden_layers(network) -> list[tuple[np.ndarray, np.ndarray]]:
    """The hidden (ReLU) layers of ``network`` as float64 ``(W, b)`` pairs.

    A ``Sequential`` ending in ``Linear`` has its last layer (the output map) dropped; one ending in
    ``ReLU`` keeps all; a list of ``(W, b)`` is taken as hidden layers followed by one output layer when
    it has more than one entry.
    """
    layers = _to_numpy_layers(network)
    if isinstance(network, torch.nn.Sequential):
        last = list(network.children())[-1]
        return layers[:-1] if isinstance(last, torch.nn.Linear) else layers
    return layers[:-1] if len(layers) > 1 else layers


def activation_pattern(network, x: np.ndarray) -> np.ndarray:
    """Boolean activation patterns ``(N, sum n_l)`` of the hidden units at the points ``x`` ``(N, n0)``."""
    layers = hidden_layers(network)
    h = np.asarray(x, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != layers[0][0].shape[1]:
        raise ValueError(f"expected points of shape (N, {layers[0][0].shape[1]}), got {h.shape}")
    pats = []
    for w, b in layers:
        z = h @ w.T + b
        pats.append(z > 0)
        h = np.maximum(z, 0.0)
    return np.concatenate(pats, axis=1)


def count_patterns_sampled(network, points: np.ndarray) -> int:
    """Number of distinct activation patterns met at the sample ``points`` (a lower bound on the count)."""
    pats = activation_pattern(network, points)
    if pats.shape[1] <= 62:
        return len(
            np.unique(pats.astype(np.int64) @ (np.int64(1) << np.arange(pats.shape[1], dtype=np.int64)))
        )
    return len(np.unique(np.packbits(pats, axis=1), axis=0))


@dataclass
class RegionCount:
    """Result of an exact count: the number of regions and one interior point per region.

    Attributes
    ----------
    count : int
        Number of full-dimensional linear regions in the domain.
    points : numpy.ndarray
        ``(count, n0)`` one interior point per region.
    patterns : numpy.ndarray
        ``(count, sum n_l)`` boolean activation pattern per region.
    """

    count: int
    points: np.ndarray
    patterns: np.ndarray


def count_regions_1d(network, interval: tuple[float, float] = (-1.0, 1.0), tol: float = 1e-12) -> RegionCount:
    r"""Exact number of linear regions of a ReLU network on an interval (:math:`n_0 = 1`).

    Layer by layer, the network is affine on each current piece, so every unit's pre-activation
    :math:`a x + c` has at most one root :math:`-c/a` inside a piece; splitting every piece at these roots
    gives the exact breakpoints. Pieces shorter than ``tol`` (relative to the interval) are dropped, and
    adjacent pieces with equal activation patterns are merged.
    """
    lo, hi = float(interval[0]), float(interval[1])
    if not hi > lo:
        raise ValueError(f"expected an interval (lo, hi) with lo < hi, got {interval}")
    layers = hidden_layers(network)
    if layers[0][0].shape[1] != 1:
        raise ValueError(f"count_regions_1d needs input dimension 1, got {layers[0][0].shape[1]}")
    eps = tol * (hi - lo)
    # each piece: [x0, x1] and the affine map of the current layer output h = A x + beta
    pieces = [(lo, hi, np.zeros(0, dtype=bool), np.ones(1), np.zeros(1))]
    for w, b in layers:
        nxt = []
        for x0, x1, pat, a_in, c_in in pieces:
            a = w @ a_in  # slope of each unit's pre-activation on this piece
            c = w @ c_in + b
            with np.errstate(divide="ignore", invalid="ignore"):
                roots = np.where(a != 0, -c / a, np.nan)
            cuts = np.sort(roots[(roots > x0 + eps) & (roots < x1 - eps)])
            edges = np.concatenate([[x0], cuts, [x1]])
            for e0, e1 in zip(edges[:-1], edges[1:]):
                if e1 - e0 <= eps:
                    continue
                mid = 0.5 * (e0 + e1)
                on = a * mid + c > 0
                nxt.append((e0, e1, np.concatenate([pat, on]), a * on, c * on))
        pieces = nxt
    merged: list[list] = []
    for x0, x1, pat, _, _ in pieces:
        if merged and np.array_equal(merged[-1][2], pat):
            merged[-1][1] = x1
        else:
            merged.append([x0, x1, pat])
    pts = np.array([[0.5 * (m[0] + m[1])] for m in merged])
    return RegionCount(len(merged), pts, np.array([m[2] for m in merged]))


def _split_polygon(poly: np.ndarray, normal: np.ndarray, offset: float, eps: float):
    """Split a convex polygon (vertices in order) by the line normal . x + offset = 0."""
    s = poly @ normal + offset
    scale = max(1.0, float(np.abs(s).max()))
    if np.all(s >= -eps * scale):
        return poly, None
    if np.all(s <= eps * scale):
        return None, poly
    pos, neg = [], []
    k = len(poly)
    for i in range(k):
        p, q = poly[i], poly[(i + 1) % k]
        sp, sq = s[i], s[(i + 1) % k]
        if sp >= 0:
            pos.append(p)
        if sp <= 0:
            neg.append(p)
        if (sp > 0 and sq < 0) or (sp < 0 and sq > 0):
            r = p + (sp / (sp - sq)) * (q - p)
            pos.append(r)
            neg.append(r)
    return np.array(pos), np.array(neg)


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def count_regions_2d(
    network, box: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0), tol: float = 1e-12
) -> RegionCount:
    r"""Exact number of linear regions of a ReLU network on a box in :math:`\mathbb{R}^2`.

    Traverses the arrangement layer by layer: on every current convex polygon the network up to layer
    :math:`l-1` is affine, :math:`h = A x + \beta`, so unit :math:`i` of layer :math:`l` is positive on the
    half-plane :math:`(W^l A)_i x + (W^l \beta + b^l)_i > 0`; each polygon is split by each unit's line in
    turn (Sutherland-Hodgman clipping against a half-plane), and the pieces carry their new affine maps to
    the next layer. Pieces of area below ``tol`` times the box area are dropped as degenerate.

    Parameters
    ----------
    box : (x0, x1, y0, y1)
    """
    x0, x1, y0, y1 = map(float, box)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"expected a box (x0, x1, y0, y1) with x0 < x1 and y0 < y1, got {box}")
    layers = hidden_layers(network)
    if layers[0][0].shape[1] != 2:
        raise ValueError(f"count_regions_2d needs input dimension 2, got {layers[0][0].shape[1]}")
    min_area = tol * (x1 - x0) * (y1 - y0)
    square = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    cells = [(square, np.zeros(0, dtype=bool), np.eye(2), np.zeros(2))]
    for w, b in layers:
        nxt = []
        for poly, pat, a_in, c_in in cells:
            a = w @ a_in
            c = w @ c_in + b
            pieces = [(poly, np.zeros(len(b), dtype=bool))]
            for i in range(len(b)):
                if not np.any(a[i]):
                    for _, on in pieces:
                        on[i] = c[i] > 0
                    continue
                split = []
                for p, on in pieces:
                    pos, neg = _split_polygon(p, a[i], c[i], 1e-13)
                    if pos is not None and len(pos) >= 3 and _area(pos) > min_area:
                        o = on.copy()
                        o[i] = True
                        split.append((pos, o))
                    if neg is not None and len(neg) >= 3 and _area(neg) > min_area:
                        o = on.copy()
                        o[i] = False
                        split.append((neg, o))
                pieces = split
            for p, on in pieces:
                nxt.append((p, np.concatenate([pat, on]), a * on[:, None], c * on))
        cells = nxt
    pts = np.array([p.mean(axis=0) for p, *_ in cells]).reshape(-1, 2)
    pats = np.array([pat for _, pat, *_ in cells])
    return RegionCount(len(cells), pts, pats)


def _interval_bounds(layers, lo: np.ndarray, hi: np.ndarray):
    """Bounds on every unit's pre-activation over the box (interval arithmetic), for big-M constants."""
    out = []
    for w, b in layers:
        wp, wn = np.maximum(w, 0), np.minimum(w, 0)
        zlo = wp @ lo + wn @ hi + b
        zhi = wp @ hi + wn @ lo + b
        out.append((zlo, zhi))
        lo, hi = np.maximum(zlo, 0), np.maximum(zhi, 0)
    return out


def count_regions_milp(
    network,
    box: Sequence[tuple[float, float]],
    margin: float = 1e-6,
    max_regions: int = 10_000,
) -> RegionCount:
    r"""Count linear regions on a box with the mixed-integer formulation of Serra et al. (ICML 2018).

    Every hidden unit :math:`i` of layer :math:`l` gets an output :math:`h^l_i \ge 0`, a slack
    :math:`\bar h^l_i \ge 0` and a binary :math:`z^l_i` (Section 5, constraints (1)-(5) of the paper):

    .. math::

        W^l_i h^{l-1} + b^l_i = h^l_i - \bar h^l_i, \quad
        h^l_i \le M^l_i z^l_i, \quad \bar h^l_i \le \bar M^l_i (1 - z^l_i),

    with :math:`h^0 = x` in the box and big-M constants from interval arithmetic. To count only
    full-dimensional regions, an active unit must have pre-activation :math:`\ge` ``margin`` and an inactive
    one :math:`\le -` ``margin``. Each solve (HiGHS through :func:`scipy.optimize.milp`) returns a new
    activation pattern :math:`z^*`, which is then excluded by the no-good cut
    :math:`\sum_{z^*_i = 1} (1 - z_i) + \sum_{z^*_i = 0} z_i \ge 1`; the count is the number of feasible
    solves. Practical for small networks only: one MILP per region.

    Parameters
    ----------
    box : sequence of (lo, hi)
        One interval per input coordinate.
    margin : float
        Minimal absolute pre-activation required inside a counted region.
    max_regions : int
        Stop (with a ``RuntimeError``) after this many regions.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    layers = hidden_layers(network)
    n0 = layers[0][0].shape[1]
    box = np.asarray(box, dtype=np.float64)
    if box.shape != (n0, 2) or np.any(box[:, 1] <= box[:, 0]):
        raise ValueError(f"expected box of {n0} intervals (lo, hi) with lo < hi, got {box.tolist()}")
    bounds = _interval_bounds(layers, box[:, 0], box[:, 1])
    widths = [len(b) for _, b in layers]
    n_units = sum(widths)
    # variable layout: x (n0) | per layer: h (n_l), hbar (n_l), z (n_l)
    offsets, pos = [], n0
    for n in widths:
        offsets.append(pos)
        pos += 3 * n
    nvar = pos
    lo_c, hi_c = [], []
    a = lil_matrix((3 * n_units + n_units * 2, nvar))
    r = 0
    prev = (0, n0)  # slice of the previous layer's outputs
    for (w, b), n, off, (zlo, zhi) in zip(layers, widths, offsets, bounds):
        m_pos = np.maximum(zhi, 0) + margin + 1.0
        m_neg = np.maximum(-zlo, 0) + margin + 1.0
        for i in range(n):
            h, hb, z = off + i, off + n + i, off + 2 * n + i
            for j in range(w.shape[1]):
                if w[i, j] != 0:
                    a[r, prev[0] + j] = w[i, j]
            a[r, h], a[r, hb] = -1.0, 1.0
            lo_c.append(-b[i])
            hi_c.append(-b[i])
            r += 1
            a[r, h], a[r, z] = 1.0, -m_pos[i]  # h <= M z
            lo_c.append(-np.inf)
            hi_c.append(0.0)
            r += 1
            a[r, hb], a[r, z] = 1.0, m_neg[i]  # hbar <= Mbar (1 - z)
            lo_c.append(-np.inf)
            hi_c.append(m_neg[i])
            r += 1
            a[r, h], a[r, z] = 1.0, -margin  # h >= margin z
            lo_c.append(0.0)
            hi_c.append(np.inf)
            r += 1
            a[r, hb], a[r, z] = 1.0, margin  # hbar >= margin (1 - z)
            lo_c.append(margin)
            hi_c.append(np.inf)
            r += 1
        prev = (off, n)
    lb = np.concatenate([box[:, 0]] + [np.zeros(3 * n) for n in widths])
    ub = np.concatenate([box[:, 1]] + [np.concatenate([np.full(2 * n, np.inf), np.ones(n)]) for n in widths])
    integrality = np.zeros(nvar)
    z_idx = np.concatenate([np.arange(off + 2 * n, off + 3 * n) for off, n in zip(offsets, widths)])
    integrality[z_idx] = 1
    constraints = [LinearConstraint(a.tocsr(), np.array(lo_c), np.array(hi_c))]
    cuts_a, cuts_lo = [], []
    points, patterns = [], []
    while True:
        cons = list(constraints)
        if cuts_a:
            cons.append(LinearConstraint(np.array(cuts_a), np.array(cuts_lo), np.inf))
        res = milp(
            np.zeros(nvar),
            constraints=cons,
            integrality=integrality,
            bounds=Bounds(lb, ub),
            options={"presolve": False},
        )
        if res.status == 2 or res.x is None:  # infeasible: every region found
            break
        if res.status != 0:
            raise RuntimeError(f"MILP solve failed: {res.message}")
        z = np.round(res.x[z_idx]) > 0.5
        points.append(res.x[:n0].copy())
        patterns.append(z)
        if len(points) > max_regions:
            raise RuntimeError(f"more than max_regions={max_regions} regions")
        cut = np.zeros(nvar)
        cut[z_idx] = np.where(z, -1.0, 1.0)
        cuts_a.append(cut)
        cuts_lo.append(1.0 - z.sum())
    return RegionCount(len(points), np.array(points).reshape(-1, n0), np.array(patterns).reshape(-1, n_units))
