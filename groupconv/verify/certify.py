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

from torch import nn

from ..nn.module import Certificate, EquivariantModule
from ..proofs import (
    certify_convolution_theorem,
    certify_index_map,
    certify_kernel_basis,
    certify_littlewood_paley,
    certify_permutation_fields,
    span_residual,
)
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
