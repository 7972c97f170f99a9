"""Derived buffers: float64 masters, non-persistent buffers rebuilt on every dtype and device change."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from groupconv.utils.buffers import DerivedBuffers


class _Tables(DerivedBuffers, nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(2))
        self.register_derived("real", torch.tensor([1.0, 2.0], dtype=torch.float64) / 3)
        self.register_derived("spectrum", np.array([1 + 1j, 2 - 1j]) / 3)
        self.register_derived("wide", np.array([0.1]), dtype=torch.float64)


def test_buffers_start_in_the_default_dtype_unless_told():
    t = _Tables()
    assert t.real.dtype == torch.float32
    assert t.spectrum.dtype == torch.complex64
    assert t.wide.dtype == torch.float64


def test_round_trip_through_float32_loses_nothing():
    t = _Tables().double()
    assert torch.equal(t.real, torch.tensor([1.0, 2.0], dtype=torch.float64) / 3)
    t = t.float().double()
    assert torch.equal(t.real, torch.tensor([1.0, 2.0], dtype=torch.float64) / 3)
    assert t.real.dtype == torch.float64


def test_masters_stay_float64_on_cpu_and_state_dict_holds_only_parameters():
    t = _Tables()
    assert t.derived_master("real").dtype == torch.float64
    assert t.derived_master("spectrum").dtype == torch.complex128
    assert list(t.state_dict()) == ["weight"]
    with pytest.raises(KeyError, match="no derived buffer named 'nope'"):
        t.derived_master("nope")


def test_meta_device_and_back():
    t = _Tables().to("meta")
    assert t.real.device.type == "meta"
    t = t.to_empty(device="cpu")
    # to_empty allocates uninitialised storage; the derived tables are rebuilt from their masters
    assert torch.equal(t.real, (torch.tensor([1.0, 2.0], dtype=torch.float64) / 3).float())


def test_integer_values_are_refused():
    class Bad(DerivedBuffers, nn.Module):
        def __init__(self):
            super().__init__()
            self.register_derived("index", torch.arange(3))

    with pytest.raises(TypeError, match="floating point or complex"):
        Bad()


@pytest.mark.cuda
def test_cuda_round_trip():
    t = _Tables().cuda().double()
    assert t.real.device.type == "cuda"
    assert torch.equal(t.real.cpu(), torch.tensor([1.0, 2.0], dtype=torch.float64) / 3)
