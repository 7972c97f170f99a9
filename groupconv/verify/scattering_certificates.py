"""Exact certificates of scattering networks built on the Parseval wavelet bank (deprecated module).

A scattering network states its certificate itself (``Scattering2D.certificate()``, from
:func:`groupconv.proofs.certify_parseval_bank`), and :func:`groupconv.verify.certify` collects it;
:func:`certify_scattering` remains for one release, and the proof is
:func:`groupconv.proofs.prove_parseval_littlewood_paley`.

>>> from groupconv.proofs import prove_parseval_littlewood_paley
>>> prove_parseval_littlewood_paley(1, 1, full_circle=True)[0]
True
"""

from __future__ import annotations

import warnings

from torch import nn

from ..nn.module import Certificate
from ..proofs.littlewood_paley import certify_parseval_bank, prove_parseval_littlewood_paley

__all__ = ["prove_parseval_littlewood_paley", "certify_scattering"]

_ATOL = 1e-10


def certify_scattering(module: nn.Module, atol: float = _ATOL) -> Certificate:
    """Deprecated: use ``module.certificate()``. The certificate of a
    :class:`~groupconv.scattering.Scattering2D`: for the Parseval bank, the symbolic Littlewood-Paley
    identity plus the discrete bank's frame bounds ``(A, B) = (1, 1)`` up to ``atol``; "not applicable"
    for other banks."""
    warnings.warn(
        "certify_scattering is deprecated, use the network's own certificate(): module.certificate()",
        DeprecationWarning,
        stacklevel=2,
    )
    own = module.certificate()
    if atol == _ATOL or own.status == "not applicable":
        return own
    proved, reason, deviation = certify_parseval_bank(
        int(module.J), int(module.L), module.bank_frame_bounds(), atol
    )
    return Certificate("proved" if proved else "failed", reason, deviation)
