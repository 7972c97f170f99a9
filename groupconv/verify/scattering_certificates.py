"""Exact certificates of scattering networks built on the Parseval wavelet bank.

The proof itself lives in :mod:`groupconv.proofs.littlewood_paley` (:func:`prove_parseval_littlewood_paley`,
:func:`~groupconv.proofs.certify_parseval_bank`); :func:`certify_scattering` applies it to a
:class:`~groupconv.scattering.Scattering2D`.
"""

from __future__ import annotations

from torch import nn

from ..proofs.littlewood_paley import certify_parseval_bank, prove_parseval_littlewood_paley

__all__ = ["prove_parseval_littlewood_paley", "certify_scattering"]

PARSEVAL_BANKS = ("parseval wavelets", "tight parseval wavelets")


def certify_scattering(module: nn.Module, atol: float = 1e-10) -> tuple:
    """Certificate of a :class:`~groupconv.scattering.Scattering2D`: for the Parseval bank, the symbolic
    Littlewood-Paley identity plus the discrete bank's frame bounds ``(A, B) = (1, 1)`` up to ``atol``."""
    name = getattr(module, "bank_name", None)
    if name not in PARSEVAL_BANKS:
        return (
            "not applicable",
            f"the {name!r} bank has no closed-form Littlewood-Paley identity; its numeric frame bounds are "
            f"{module.bank_frame_bounds()}",
        )
    ok, why, err = certify_parseval_bank(int(module.J), int(module.L), module.bank_frame_bounds(), atol)
    if err is None:
        return ("failed", why)
    return ("proved" if ok else "failed", why, err)
