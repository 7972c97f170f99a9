"""Assertion helpers for users' own test suites.

They test a model the way groupconv tests itself: every element of a finite group; for a continuous
group its grid symmetries and at least 20 Haar-sampled elements. Tolerances follow the dtype of the
check (:func:`groupconv.verify.default_tolerances`), the same defaults as
:func:`groupconv.verify.check_equivariance` and ``groupconv verify``.

Example
-------
>>> import torch
>>> from groupconv.groups import Cyclic
>>> from groupconv.reps import regular
>>> G = Cyclic(4)
>>> rho = regular(G)
>>> assert_equivariant(lambda x: 2 * x, G, rho, rho)  # doctest: +ELLIPSIS
EquivarianceResult(...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .groups.base import Group, check_same_group
from .reps.representation import Representation
from .utils.deprecation import renamed_keywords
from .verify import certify, check_energy, check_equivariance, elements_to_try, resolve_tolerances

__all__ = [
    "EquivarianceResult",
    "equivariance_errors",
    "assert_equivariant",
    "assert_energy_conserved",
    "assert_certified",
    "assert_torch_compile",
    "test_elements",
]


@dataclass
class EquivarianceResult:
    """Outcome of an equivariance check.

    Attributes
    ----------
    max_abs_error, max_rel_error:
        ``max_g |f(rho_in(g) x) - rho_out(g) f(x)|`` and the same divided by ``max |f(x)|``.
    worst_element:
        The element achieving the largest error.
    elements_tried:
        Number of group elements used.
    """

    max_abs_error: float
    max_rel_error: float
    worst_element: torch.Tensor
    elements_tried: int


def test_elements(
    group: Group, n_samples: int = 20, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The elements :func:`groupconv.verify.choose_elements` picks for ``group``, stacked: every element
    of a finite group; the grid symmetries and ``n_samples`` Haar samples of a continuous one."""
    return torch.stack([torch.as_tensor(g) for g in elements_to_try(group, n_samples, generator)])


test_elements.__test__ = False  # not a pytest test


@renamed_keywords(in_rep="rho_in", out_rep="rho_out")
def equivariance_errors(
    fn: Callable[[torch.Tensor], torch.Tensor],
    group: Group,
    rho_in: Representation,
    rho_out: Representation,
    x: torch.Tensor | None = None,
    elements: torch.Tensor | None = None,
    n_samples: int = 20,
    batch: int = 4,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-element errors ``|fn(rho_in(g) x) - rho_out(g) fn(x)|_inf`` for functions between
    representation spaces ``fn: (batch, d_in) -> (batch, d_out)``, in float64.

    Returns ``(elements, abs_errors, scale)`` where ``scale = max |fn(x)|``.
    """
    for rep, what in ((rho_in, "rho_in"), (rho_out, "rho_out")):
        if not isinstance(rep, Representation):
            raise TypeError(f"{what} must be a Representation, got {type(rep).__name__}")
        check_same_group(group, rep.group, what)
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    if x is None:
        x = torch.randn(batch, rho_in.dim, generator=gen, dtype=torch.float64)
    x = x.to(torch.float64)
    if x.shape[-1] != rho_in.dim:
        raise ValueError(f"x must have last dimension {rho_in.dim} (rho_in {rho_in!r}), got {tuple(x.shape)}")
    g = elements if elements is not None else test_elements(group, n_samples, gen)
    y = fn(x)
    if y.shape[-1] != rho_out.dim:
        raise ValueError(
            f"fn must return last dimension {rho_out.dim} (rho_out {rho_out!r}), got {tuple(y.shape)}"
        )
    rin = rho_in(g).to(x.device)
    rout = rho_out(g).to(x.device)
    # (n, batch, d): transform inputs by every element at once
    gx = torch.einsum("nij,...j->n...i", rin, x)
    lhs = fn(gx.reshape(-1, rho_in.dim)).reshape(gx.shape[:-1] + (rho_out.dim,))
    rhs = torch.einsum("nij,...j->n...i", rout, y)
    err = (lhs - rhs).abs().reshape(g.shape[0] if g.dim() else 1, -1).amax(-1)
    return g, err, y.abs().max()


@renamed_keywords(in_rep="rho_in", out_rep="rho_out")
def assert_equivariant(
    fn,
    group=None,
    rho_in: Representation | None = None,
    rho_out: Representation | None = None,
    x: torch.Tensor | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    **kwargs,
):
    """Assert equivariance.

    Two forms:

    - ``assert_equivariant(fn, group, rho_in, rho_out)``: ``fn`` maps ``(batch, rho_in.dim) ->
      (batch, rho_out.dim)`` and ``fn(rho_in(g) x) = rho_out(g) fn(x)`` must hold for every tested
      element; returns an :class:`EquivarianceResult`. Keyword arguments go to
      :func:`equivariance_errors`.
    - ``assert_equivariant(module, x, ...)``: every typed layer of the ``nn.Module`` (and the module
      itself when typed) is checked on the input ``x`` with :func:`groupconv.verify.check_equivariance`
      (keyword arguments go there, e.g. ``dtype``, ``untyped="fail"``), in its exact and approximate
      tiers; returns the report.

    ``atol`` / ``rtol``: ``None`` takes :func:`groupconv.verify.default_tolerances` of the check's dtype
    (float64 for the first form). Passes when every error is within its tolerance; otherwise raises
    ``AssertionError`` naming the layer, the tier and the worst element.
    """
    if isinstance(group, torch.Tensor):
        report = check_equivariance(fn, group, atol=atol, rtol=rtol, **kwargs)
        if not report.passed:
            bad = report.first_failure()
            if bad.tier == "not checked":
                raise AssertionError(f"layer {bad.layer!r} ({bad.kind}) {bad.reason}\n{report.to_text()}")
            raise AssertionError(
                f"layer {bad.layer!r} ({bad.kind}) is not equivariant under {bad.group} ({bad.tier} tier): "
                f"max rel error {bad.max_rel_error:.3e} > tolerance {bad.tolerance:.3e} ({bad.reason}), "
                f"{bad.note}\n{report.to_text()}"
            )
        return report
    if group is None or rho_in is None or rho_out is None:
        raise TypeError("assert_equivariant(fn, group, rho_in, rho_out) or assert_equivariant(module, x)")
    atol, rtol = resolve_tolerances(torch.float64, atol, rtol)
    g, err, scale = equivariance_errors(fn, group, rho_in, rho_out, x, **kwargs)
    i = int(torch.argmax(err))
    result = EquivarianceResult(
        max_abs_error=float(err[i]),
        max_rel_error=float(err[i] / scale) if scale > 0 else float(err[i]),
        worst_element=g[i],
        elements_tried=int(g.shape[0]),
    )
    if not bool((err <= atol + rtol * scale).all()):
        raise AssertionError(
            f"not equivariant under {group}: max abs error {result.max_abs_error:.3e} "
            f"(rel {result.max_rel_error:.3e}) at element {g[i].tolist()} over {result.elements_tried} "
            f"elements; tolerance atol={atol:g}, rtol={rtol:g}; in {rho_in!r}, out {rho_out!r}"
        )
    return result


def assert_energy_conserved(model, x: torch.Tensor, rtol: float = 1e-6, **kwargs):
    """Assert that every layer of ``model`` with known frame bounds keeps its energy ratio
    ``||L u||^2 / ||u||^2`` within them (see :func:`groupconv.verify.check_energy`); returns the report."""
    report = check_energy(model, x, rtol=rtol, **kwargs)
    if not report.passed:
        bad = report.first_failure()
        raise AssertionError(
            f"layer {bad.layer!r} ({bad.kind}) leaves its frame bounds [{bad.lower_bound}, {bad.upper_bound}]: "
            f"energy ratio {bad.ratio:.6g} ({bad.note})\n{report.to_text()}"
        )
    return report


def assert_certified(model, strict: bool = False, **kwargs):
    """Assert that no layer's exact certificate failed (``strict=True``: every layer is ``proved``);
    returns the report (see :func:`groupconv.verify.certify`)."""
    report = certify(model, **kwargs)
    bad = [r for r in report.rows if r.status == "failed" or (strict and r.status != "proved")]
    if bad:
        raise AssertionError(
            f"layer {bad[0].layer!r} ({bad[0].kind}) is {bad[0].status}: {bad[0].reason}\n{report.to_text()}"
        )
    return report


def assert_torch_compile(
    module,
    *inputs: torch.Tensor,
    backend: str = "eager",
    atol: float | None = None,
    rtol: float | None = None,
    fullgraph: bool = False,
) -> torch.Tensor:
    """Assert that ``torch.compile(module, backend=backend)`` runs and matches the eager outputs
    (forward and the gradients of the inputs); returns the compiled output. ``atol`` / ``rtol``: the
    tolerances of :func:`torch.testing.assert_close`, by default its own for the dtype (float32:
    ``1e-5`` / ``1.3e-6``); giving one sets the other to 0."""
    if (atol is None) != (rtol is None):
        atol, rtol = atol or 0.0, rtol or 0.0
    compiled = torch.compile(module, backend=backend, fullgraph=fullgraph)
    xs = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    ys = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    expected = module(*xs)
    got = compiled(*ys)
    torch.testing.assert_close(got, expected, atol=atol, rtol=rtol)
    if expected.requires_grad:
        expected.pow(2).sum().backward()
        got.pow(2).sum().backward()
        for a, b in zip(xs, ys):
            if a.grad is not None:
                torch.testing.assert_close(b.grad, a.grad, atol=atol, rtol=rtol)
    return got
