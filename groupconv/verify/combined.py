"""All three checks of a model at once: per-layer equivariance, energy and exact certificates.

>>> import torch
>>> from groupconv.groups import Dihedral
>>> from groupconv.nn import FieldType, ReLU
>>> from groupconv.reps import regular
>>> t = FieldType(Dihedral(4), [regular(Dihedral(4))])
>>> report = verify_model(nn.Sequential(ReLU(t)), torch.randn(1, 8, 5, 5), progress=False)
>>> report.passed, [row.status for row in report.certificates.rows]
(True, ['proved'])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .certify import certify
from .energy import check_energy
from .equivariance import _model_device, check_equivariance
from .report import VerificationReport

__all__ = ["verify_model"]


def verify_model(
    model: nn.Module,
    x: torch.Tensor,
    types: dict[str, tuple[Any, Any]] | None = None,
    elements: list | None = None,
    n_samples: int = 20,
    atol: float | None = None,
    rtol: float | None = None,
    energy_rtol: float = 1e-6,
    dtype: torch.dtype = torch.float64,
    equivariance: bool = True,
    energy: bool = True,
    certificates: bool = True,
    progress: bool | None = None,
    untyped: str = "warn",
) -> VerificationReport:
    """Run :func:`~groupconv.verify.check_equivariance`, :func:`~groupconv.verify.check_energy` and
    :func:`~groupconv.verify.certify` on ``model`` with the input batch ``x``.

    Each layer ``L`` with captured input ``u`` is judged on its own: the equivariance error
    ``max_g |L(g . u) - g . L(u)|`` against ``atol + rtol max|L(u)|``, the energy ratio
    ``||L u||^2 / ||u||^2`` against the layer's frame bounds (relative slack ``energy_rtol``), and the
    exact certificate of the layer where it has one. The model is not modified (the checks run on
    float64 copies, on the model's device).

    Parameters
    ----------
    types, elements, n_samples, atol, rtol, untyped:
        As in :func:`~groupconv.verify.check_equivariance` (``atol`` / ``rtol`` ``None``: the defaults of
        ``dtype``).
    equivariance, energy, certificates:
        Which checks to run.

    Returns
    -------
    VerificationReport
        ``.equivariance``, ``.energy``, ``.certificates`` and ``.passed``.
    """
    device = _model_device("verify_model", model, x)
    info = {
        "model": type(model).__name__,
        "input shape": "x".join(str(s) for s in x.shape),
        "dtype": str(dtype).replace("torch.", ""),
        "device": str(device),
    }
    report = VerificationReport(info=info)
    if equivariance:
        report.equivariance = check_equivariance(
            model,
            x,
            types=types,
            elements=elements,
            n_samples=n_samples,
            atol=atol,
            rtol=rtol,
            dtype=dtype,
            progress=progress,
            untyped=untyped,
        )
    if energy:
        report.energy = check_energy(model, x, rtol=energy_rtol, dtype=dtype)
    if certificates:
        report.certificates = certify(model)
    return report
