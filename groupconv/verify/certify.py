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

The exact computations live in :mod:`groupconv.proofs`; layers state their own certificate through
``certificate()`` (a :class:`~groupconv.nn.module.Certificate`), and :func:`certify` collects them. A
class that cannot have the method (a third-party module) gets a certifier with :func:`register_certifier`;
a certifier may also return a :class:`~groupconv.verify.report.CertificateRow` or a
``(status, reason[, residual])`` tuple.

Examples
--------

>>> from torch import nn
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import FieldType, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Dihedral(4), [regular(Dihedral(4))])
>>> [(row.layer, row.status) for row in certify(nn.Sequential(ReLU(t), nn.Flatten())).rows]
[('0', 'proved')]
"""

from __future__ import annotations

import functools
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
from .actions import typed_layers
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

Certifier = Callable[[nn.Module], "Certificate | CertificateRow | tuple"]


@functools.singledispatch
def _registered_certifier(module: nn.Module) -> Certifier | None:
    """The certifier registered for the class of ``module`` or its nearest registered base, else None."""
    return None


def register_certifier(module_type: type, fn: Certifier) -> None:
    """Register a certifier ``module -> Certificate`` (or a ``CertificateRow``, or a ``(status, reason,
    residual)`` tuple) for a class and its subclasses, for classes that cannot define ``certificate()``
    themselves. A layer's own ``certificate()`` takes precedence.

    >>> class Frozen(nn.Identity):
    ...     pass
    >>> register_certifier(Frozen, lambda m: Certificate("proved", "the identity commutes with every action"))
    >>> certify(nn.Sequential(Frozen()), layers=["0"]).rows[0].status
    'proved'
    """
    if not isinstance(module_type, type):
        raise TypeError(f"register_certifier takes a class, got {module_type!r}")
    if not callable(fn):
        raise TypeError(f"register_certifier takes a callable module -> Certificate, got {type(fn).__name__}")
    _registered_certifier.register(module_type, lambda module, fn=fn: fn)


def _has_registered_certifier(module: nn.Module) -> bool:
    # the dispatch itself answers, so a subclass of a registered class counts as it does when certified
    return _registered_certifier(module) is not None


def _own_certificate(module: nn.Module) -> Callable[[], object] | None:
    """The module's ``certificate`` method, unless it is the base class's "not applicable"."""
    if getattr(type(module), "certificate", None) is EquivariantModule.certificate:
        return None
    return getattr(module, "certificate", None)


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
    named = dict(model.named_modules())
    if layers is None:
        names = [n for n, *_ in typed_layers(model)]
        for n, m in named.items():
            if n and n not in names and (hasattr(m, "certificate") or _has_registered_certifier(m)):
                if not any(n.startswith(c + ".") for c in names):
                    names.append(n)
        if not names and (hasattr(model, "certificate") or _has_registered_certifier(model)):
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
        fn = _own_certificate(module)
        if fn is None:
            registered = _registered_certifier(module)
            fn = None if registered is None else (lambda m=module, c=registered: c(m))
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
