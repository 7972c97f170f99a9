"""Exact certificates, per layer, with sympy.

A certificate is a proof by exact computation that holds for every input, not a test on samples:

- a layer whose filter is a linear combination of a kernel basis is equivariant when each basis element
  satisfies the constraint ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` exactly (checked with exact
  rational / algebraic arithmetic for every element of a finite group acting on the pixel grid) and the
  layer's weights lie in the span of that basis (a numeric residual);
- a layer whose filter is built by copying learned weights (an index map, e.g. a lifting or group
  convolution on the pixel grid) is equivariant for all weights when the index map satisfies the
  constraint; it is checked on distinct integer tags, which proves it for every weight vector because
  the constraint only permutes entries;
- Fourier-domain convolutions satisfy the convolution theorem, checked on symbolic functions
  (:func:`certify_convolution_theorem`);
- analytically defined filter banks satisfy the Littlewood-Paley identity (or bounds), checked
  symbolically (:func:`certify_littlewood_paley`);
- entrywise nonlinearities and group pooling commute with fields whose representations permute the
  channels, checked exactly on the generators (:func:`certify_permutation_fields`).

Layers provide their certificate through a ``certificate()`` method returning a
:class:`~groupconv.verify.report.CertificateRow` (or a ``(status, reason, residual)`` tuple), or through a
certifier registered with :func:`register_certifier`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import sympy
import torch
from sympy.polys.constructor import construct_domain
from sympy.polys.rings import ring
from torch import nn

from ..groups.actions import acts_on_grid, grid_permutation
from ..groups.base import FiniteGroup
from ..nn.module import Certificate, EquivariantModule
from ..reps.representation import Representation
from .equivariance import typed_layers
from .report import CertificateRow, Report

__all__ = [
    "certify",
    "register_certifier",
    "certify_kernel_basis",
    "certify_index_map",
    "span_residual",
    "certify_convolution_theorem",
    "certify_littlewood_paley",
    "certify_permutation_fields",
]

_CERTIFIERS: dict[type, Callable[[nn.Module], CertificateRow | tuple]] = {}


def register_certifier(module_type: type, fn: Callable[[nn.Module], CertificateRow | tuple]) -> None:
    """Register a certifier ``module -> CertificateRow or (status, reason, residual)`` for a class."""
    _CERTIFIERS[module_type] = fn


def _exact_rep(rep: Representation, g: int) -> sympy.Matrix:
    return sympy.Matrix(rep.exact(int(g)))


def certify_kernel_basis(
    basis: Sequence[sympy.Array | np.ndarray],
    group: FiniteGroup,
    rho_in: Representation,
    rho_out: Representation,
) -> tuple[bool, str]:
    """Prove that each kernel ``K`` of shape ``(d_out, d_in, k, k)`` in ``basis`` satisfies
    ``K(g x) = rho_out(g) K(x) rho_in(g)^{-1}`` for every ``g`` of a group acting on the pixel grid.

    Entries are converted to exact sympy numbers (``nsimplify`` of floats is *not* used: float entries
    are taken as the exact binary rationals they are), so a pass is a proof for the sampled kernels.
    Returns ``(proved, reason)``.
    """
    if not (isinstance(group, FiniteGroup) and acts_on_grid(group)):
        return False, f"{group} does not act on the pixel grid: no exact certificate"
    gens = group.generators() if hasattr(group, "generators") else list(range(group.order))
    for idx, K in enumerate(basis):
        k = (
            np.asarray(K, dtype=object)
            if not isinstance(K, sympy.Array)
            else np.array(K.tolist(), dtype=object)
        )
        d_out, d_in, h, w = k.shape
        exact = np.vectorize(
            lambda v: sympy.Rational(v) if isinstance(v, float) else sympy.sympify(v), otypes=[object]
        )(k)
        flat = exact.reshape(d_out, d_in, h * w)
        # it suffices to check generators: the constraint is a group action
        for g in gens:
            perm = grid_permutation(group, g, h, w)
            ro = _exact_rep(rho_out, g)
            ri_inv = _exact_rep(rho_in, int(group.inverse(torch.tensor(g))))
            for p in range(h * w):
                # (g . K)(p) = rho_out(g) K(g^-1 p) rho_in(g)^-1 must equal K(p)
                lhs = sympy.Matrix(flat[:, :, p].tolist())
                src = sympy.Matrix(flat[:, :, perm[p]].tolist())
                rhs = ro * src * ri_inv
                if sympy.simplify(lhs - rhs) != sympy.zeros(d_out, d_in):
                    return False, f"basis element {idx} violates the constraint for g={g} at pixel {p}"
    return (
        True,
        f"{len(basis)} basis elements satisfy K(gx) = rho_out(g) K(x) rho_in(g)^-1 exactly for the generators {gens} of {group}",
    )


def certify_index_map(
    expand: Callable[[torch.Tensor], torch.Tensor],
    num_params: int,
    group: FiniteGroup,
    rho_in: Representation,
    rho_out: Representation,
) -> tuple[bool, str]:
    """Prove equivariance of a filter built by an index map from ``num_params`` learned weights.

    ``expand(theta)`` maps a weight vector to the full filter ``(C_out, C_in, k, k)``. The filter is
    evaluated on the distinct integer tags ``theta = 1, 2, ..., num_params`` (float64 represents them
    exactly), and the constraint is checked entry by entry with integer arithmetic. The representations
    must be signed permutation representations (e.g. regular, quotient, trivial), so the constraint only
    moves entries and the check on tags proves it for all weights.
    """
    tags = torch.arange(1, num_params + 1, dtype=torch.float64)
    filt = expand(tags).detach().to(torch.float64).cpu().numpy()
    if not np.array_equal(filt, np.rint(filt)):
        return False, "the filter is not an index map of the weights (non-integer entries on integer tags)"
    c_out, c_in, h, w = filt.shape
    for g in group.generators() if hasattr(group, "generators") else range(group.order):
        ro = rho_out(torch.tensor(g)).numpy()
        ri = rho_in(torch.tensor(int(group.inverse(torch.tensor(g))))).numpy()
        for m in (ro, ri):
            if not np.array_equal(m, np.rint(m)) or not (np.abs(m).sum(0) == 1).all():
                return False, "the representations are not signed permutations: use certify_kernel_basis"
        perm = grid_permutation(group, g, h, w)
        moved = np.einsum(
            "oa,abp,bi->oip",
            ro.astype(np.int64),
            filt.reshape(c_out, c_in, h * w)[:, :, perm].astype(np.int64),
            ri.astype(np.int64),
        )
        if not np.array_equal(moved, filt.reshape(c_out, c_in, h * w).astype(np.int64)):
            return False, f"the expanded filter violates the constraint for g={g}"
    return (
        True,
        f"index map of {num_params} weights satisfies the constraint exactly for the generators of {group}",
    )


def _fourier_matrix(fun: list, coef: list, zero, scale) -> list:
    # f^(rho)_ij = (1/|G|) sum_u f(u) rho(u)_ij on ring elements
    d = len(coef[0])
    return [
        [sum((fu * c[i][j] for fu, c in zip(fun, coef)), zero) * scale for j in range(d)] for i in range(d)
    ]


def certify_convolution_theorem(group: FiniteGroup, irreps_list: Sequence | None = None) -> tuple[bool, str]:
    r"""Prove the convolution theorem on a finite group exactly, on symbolic functions.

    With the normalized Fourier transform and convolution

    .. math::

        \hat f(\rho) = \frac{1}{|G|} \sum_{u \in G} f(u) \rho(u), \qquad
        (f * h)(u) = \frac{1}{|G|} \sum_{v \in G} f(u v^{-1}) h(v), \qquad
        \widehat{f * h}(\rho) = \hat f(\rho) \, \hat h(\rho)

    (Kondor & Trivedi, ICML 2018, Sec. 3; DESIGN.md section 2), ``f`` and ``h`` are taken as the
    symbols ``f_0, ..., f_{|G|-1}`` and ``h_0, ..., h_{|G|-1}`` and both sides are expanded with the
    exact (sympy) matrices of every irrep, using the group law of ``group``; a pass proves the identity
    for all functions on ``G``. It holds exactly when the irreps are homomorphisms for that group law,
    which is what a Fourier-domain convolution layer relies on.

    Parameters
    ----------
    group:
        A finite group (cyclic, dihedral, symmetric, direct products, ...).
    irreps_list:
        The irreps to check (default: all real irreps of ``group``).

    Returns
    -------
    (proved, reason)
    """
    from ..reps import irreps as all_irreps

    if not isinstance(group, FiniteGroup):
        raise TypeError(f"certify_convolution_theorem needs a finite group, got {group!r}")
    n = group.order
    els = group.elements()
    table = group.compose(els[:, None], els[None, :]).numpy()
    inv = group.inverse(els).numpy()
    names = [f"f_{i}" for i in range(n)] + [f"h_{i}" for i in range(n)]
    reps_ = list(irreps_list) if irreps_list is not None else all_irreps(group)
    for rho in reps_:
        mats = [sympy.Matrix(rho.exact(u)) for u in range(n)]
        # exact arithmetic in the number field spanned by the irrep's entries, where equality is decidable
        try:
            field, _ = construct_domain([e for m in mats for e in m], extension=True)
            field = field.get_field()
        except (NotImplementedError, sympy.polys.polyerrors.PolificationFailed):
            field = sympy.EX
        R, *gens = ring(names, field)
        f, h = gens[:n], gens[n:]
        # (f * h)(u) = (1/|G|) sum_v f(u v^-1) h(v), a symbolic polynomial in the f_i, h_j
        conv = [
            sum(f[int(table[u, inv[v]])] * h[v] for v in range(n)) * field.from_sympy(sympy.Rational(1, n))
            for u in range(n)
        ]
        coef = [
            [[R(field.from_sympy(m[i, j])) for j in range(rho.dim)] for i in range(rho.dim)] for m in mats
        ]

        scale = R(field.from_sympy(sympy.Rational(1, n)))
        fh, hh, ch = (_fourier_matrix(fun, coef, R(0), scale) for fun in (f, h, conv))
        d = rho.dim
        for i in range(d):
            for j in range(d):
                diff = ch[i][j] - sum((fh[i][k] * hh[k][j] for k in range(d)), R(0))
                if field == sympy.EX:
                    nonzero = any(sympy.simplify(c.ex) != 0 for c in diff.coeffs())
                else:
                    nonzero = bool(diff)
                if nonzero:
                    return (
                        False,
                        f"(f*h)^ != f^ h^ at irrep {getattr(rho, 'name', rho)!r} of {group}, entry ({i}, {j})",
                    )
    return (
        True,
        f"(f*h)^(rho) = f^(rho) h^(rho) exactly for symbolic f, h on {group} (order {n}) and its "
        f"{len(reps_)} irreps",
    )


def certify_littlewood_paley(
    expr_list: Sequence[sympy.Expr],
    variables: sympy.Symbol | Sequence[sympy.Symbol],
    bounds: tuple | None = None,
    target: sympy.Expr | float = 1,
    domain: sympy.Set | None = None,
) -> tuple[bool, str]:
    r"""Prove the Littlewood-Paley identity or frame bounds of a filter bank given symbolically.

    ``expr_list`` holds the Fourier transforms :math:`\hat\psi_j(\omega)` of the filters (low-pass
    included) as sympy expressions of the frequency ``variables``. The Littlewood-Paley sum

    .. math::  A(\omega) = \sum_j |\hat\psi_j(\omega)|^2

    is simplified exactly. Without ``bounds`` the certificate proves the identity
    :math:`A(\omega) = c` (``target``, default 1): the bank is a tight (Parseval) frame
    (Mallat, A Wavelet Tour of Signal Processing, 3rd ed., Thm. 5.11 / Prop. 5.12 for the frame bounds
    of a filter bank). With ``bounds=(A, B)`` it proves :math:`A \le A(\omega) \le B` on ``domain``
    (one frequency variable: the exact range of the sum over ``domain``, default the real line).

    Returns
    -------
    (proved, reason)
        ``proved`` is False both when the statement is false and when sympy cannot decide it; the
        reason says which.
    """
    if isinstance(variables, sympy.Symbol):
        variables = [variables]
    variables = list(variables)
    if not variables or not all(isinstance(v, sympy.Symbol) for v in variables):
        raise TypeError(f"variables must be sympy Symbols, got {variables!r}")
    exprs = [sympy.sympify(e) for e in expr_list]
    if not exprs:
        raise ValueError("expr_list is empty: give the Fourier transforms of the filters")
    real = {v: sympy.Dummy(v.name, real=True) for v in variables}
    terms = [e.subs(real) for e in exprs]
    total = sympy.Add(*[sympy.expand_complex(t * sympy.conjugate(t)) for t in terms])
    total = sympy.simplify(sympy.trigsimp(total))
    back = {d: v for v, d in real.items()}
    shown = total.subs(back)
    if bounds is None:
        residual = sympy.simplify(total - sympy.sympify(target))
        if residual == 0:
            return True, f"sum_j |psi_j^|^2 = {sympy.sympify(target)} identically ({len(exprs)} filters)"
        return False, f"sum_j |psi_j^|^2 = {shown}, not identically {sympy.sympify(target)}"
    lo, hi = (sympy.sympify(b) for b in bounds)
    if not total.free_symbols & set(real.values()):
        ok = bool(lo <= total <= hi)
        return ok, f"sum_j |psi_j^|^2 = {shown} (constant), bounds [{lo}, {hi}]"
    if len(variables) != 1:
        return (
            False,
            f"sum_j |psi_j^|^2 = {shown}: bounds over several variables are not decided symbolically",
        )
    from sympy.calculus.util import function_range

    var = next(iter(real.values()))
    try:
        rng = function_range(total, var, domain if domain is not None else sympy.S.Reals)
    except (NotImplementedError, ValueError) as e:
        return False, f"sum_j |psi_j^|^2 = {shown}: sympy could not find its range ({e})"
    inf, sup = rng.inf, rng.sup
    ok = bool(sympy.simplify(inf - lo) >= 0) and bool(sympy.simplify(hi - sup) >= 0)
    verdict = "within" if ok else "outside"
    return ok, f"sum_j |psi_j^|^2 = {shown} has exact range [{inf}, {sup}], {verdict} the bounds [{lo}, {hi}]"


def certify_permutation_fields(field_type) -> tuple[bool, str]:
    r"""Prove that every field of ``field_type`` (a :class:`~groupconv.nn.FieldType` of a finite group)
    transforms by permutation matrices: for each generator ``g`` the exact matrix ``rho(g)`` has entries
    in ``{0, 1}`` with a single 1 in every row and column.

    Then ``rho(g)`` commutes with every entrywise map, ``\sigma(\rho(g) f) = \rho(g) \sigma(f)``, and
    leaves every symmetric reduction of a field (maximum, mean) unchanged, which is the equivariance of
    a pointwise nonlinearity and the invariance of group pooling (Cohen & Welling, ICML 2016, Sec. 6.3);
    both act pointwise in space, so they commute with the spatial action too. Generators suffice since
    products of permutation matrices are permutation matrices.
    """
    group = field_type.group
    if not isinstance(group, FiniteGroup):
        return False, f"{group} is not finite: its fields are not permutation representations"
    gens = group.generators() if hasattr(group, "generators") else list(range(group.order))
    for i, rep in enumerate(field_type.representations):
        for g in gens:
            m = sympy.Matrix(rep.exact(int(g)))
            ok = all(v in (0, 1) for v in m) and all(sum(m.row(r)) == 1 for r in range(m.rows))
            ok = ok and all(sum(m.col(c)) == 1 for c in range(m.cols))
            if not ok:
                return (
                    False,
                    f"field {i} ({rep!r}) is not a permutation representation: rho({g}) = {m.tolist()}",
                )
    return (
        True,
        f"the {len(field_type)} fields of {field_type!r} transform by permutation matrices (exact, generators "
        f"{gens}), which commute with entrywise maps and symmetric reductions",
    )


def _certify_permutation_layer(module: nn.Module) -> tuple[str, str]:
    ok, reason = certify_permutation_fields(module.in_type)
    return ("proved" if ok else "failed", reason)


def _register_library_certifiers() -> None:
    from ..nn.nonlinearities import PointwiseNonlinearity
    from ..nn.pooling import GroupPooling
    from ..scattering.scattering2d import Scattering2D
    from .scattering_certificates import certify_scattering

    for cls in (PointwiseNonlinearity, GroupPooling):
        _CERTIFIERS.setdefault(cls, _certify_permutation_layer)
    _CERTIFIERS.setdefault(Scattering2D, certify_scattering)


def span_residual(filt: torch.Tensor, basis: torch.Tensor) -> float:
    """Relative least-squares residual of ``filt`` (flattened) in the span of ``basis`` ``(n, ...)``."""
    a = basis.reshape(basis.shape[0], -1).to(torch.float64).T
    b = filt.reshape(-1, 1).to(torch.float64)
    if a.shape[1] == 0:
        return float(b.norm() > 0)
    sol = torch.linalg.lstsq(a, b).solution
    return float((a @ sol - b).norm() / b.norm().clamp_min(1e-300))


def _as_row(name: str, module: nn.Module, value, seconds: float) -> CertificateRow:
    if isinstance(value, CertificateRow):
        value.layer, value.seconds = name, seconds
        return value
    if isinstance(value, Certificate):
        value = (value.status, value.reason, value.residual)
    status, reason, *rest = value
    return CertificateRow(
        layer=name,
        kind=type(module).__name__,
        status=status,
        reason=reason,
        residual=rest[0] if rest else None,
        seconds=seconds,
    )


def certify(model: nn.Module, layers: Sequence[str] | None = None) -> Report:
    """Exact certificate for each layer of ``model``: ``proved``, ``not applicable`` or ``failed``,
    with the reason and, where the weights are checked against a basis, the numeric residual."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"certify takes an nn.Module, got {type(model).__name__}")
    _register_library_certifiers()
    named = dict(model.named_modules())
    if layers is None:
        names = [n for n, *_ in typed_layers(model)]
        for n, m in named.items():
            if n and n not in names and (hasattr(m, "certificate") or type(m) in _CERTIFIERS):
                if not any(n.startswith(c + ".") for c in names):
                    names.append(n)
        if not names and (hasattr(model, "certificate") or type(model) in _CERTIFIERS):
            names = [""]
    else:
        missing = [n for n in layers if n not in named]
        if missing:
            raise ValueError(f"certify: the model has no modules named {missing}")
        names = list(layers)
    rows = []
    for name in names:
        module = named[name]
        t0 = time.perf_counter()
        fn = getattr(module, "certificate", None)
        if getattr(type(module), "certificate", None) is EquivariantModule.certificate:
            fn = None  # the base class's "not applicable": a registered certifier knows more
        if fn is None:
            for cls in type(module).__mro__:
                if cls in _CERTIFIERS:
                    fn = lambda m=module, c=cls: _CERTIFIERS[c](m)  # noqa: E731
                    break
        if fn is None:
            value = (
                "not applicable",
                "no exact description (no certificate() method or registered certifier)",
            )
        else:
            try:
                value = fn()
            except Exception as e:  # a certifier that cannot run reports why
                value = ("failed", f"certifier raised {type(e).__name__}: {e}")
        rows.append(_as_row(name or "(model)", module, value, time.perf_counter() - t0))
    return Report(title="certificate", rows=rows)
