"""A pytest plugin with groupconv's fixtures.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["groupconv.pytest_plugin"]``.

- ``float_dtype``: runs the test twice, with ``torch.float32`` and ``torch.float64``.
- ``equivariance_tolerance``: ``(atol, rtol)`` matching ``float_dtype``
  (:func:`groupconv.verify.default_tolerances`: ``(1e-12, 1e-10)`` in float64, ``(1e-7, 1e-5)`` in
  float32, the levels groupconv holds its own layers to and the checker's defaults).
- ``device``: ``"cpu"``, plus ``"cuda"`` when available.

The tolerance a float32 test receives:

>>> import torch
>>> from groupconv.verify import default_tolerances
>>> default_tolerances(torch.float32)
(1e-07, 1e-05)
"""

from __future__ import annotations

import pytest
import torch

from .verify import default_tolerances


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def float_dtype(request) -> torch.dtype:
    return request.param


@pytest.fixture
def equivariance_tolerance(float_dtype) -> tuple[float, float]:
    return default_tolerances(float_dtype)


@pytest.fixture(params=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def device(request) -> str:
    return request.param
