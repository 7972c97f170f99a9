"""What the scattering modules share: untyped EquivariantModules with their own input checks, filters kept as
derived buffers, the scaled-filter cache, and the certificate of a bank."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import Cyclic
from groupconv.nn import FieldType, ReLU
from groupconv.nn.module import EquivariantModule
from groupconv.reps import trivial
from groupconv.scattering import Scattering2D, morlet_bank, parseval_wavelet_bank
from groupconv.scattering.base import _bank_certificate, _check_depth_and_paths, _FilterModule
from groupconv.verify import check_equivariance


def test_filters_are_derived_buffers_with_float64_masters():
    s = Scattering2D((16, 16), 2, 4)
    assert isinstance(s, _FilterModule) and isinstance(s, EquivariantModule)
    assert s._phi_0.dtype == torch.float32 and s.derived_master("_phi_0").dtype == torch.float64
    bank = morlet_bank((16, 16), 2, 4, convention="kymatio")
    assert torch.equal(s.derived_master("_phi_0"), bank.phi)
    assert torch.equal(s.float().double()._phi_0, bank.phi)
    assert list(s.state_dict()) == []


def test_a_conversion_drops_the_scaled_filters():
    s = Scattering2D((16, 16), 2, 4, max_order=1)
    x = torch.randn(2, 16, 16)
    y32 = s(x)
    assert s.__dict__["_scaled_cache"]
    s.double()
    assert "_scaled_cache" not in s.__dict__
    y64 = s(x.double())
    # float64-accurate filters, not float32 ones cast up
    assert (y64 - y32.double()).abs().max() > 0
    reference = Scattering2D((16, 16), 2, 4, max_order=1).double()(x.double())
    assert torch.equal(y64, reference)


def test_the_input_check_names_what_is_wrong():
    s = Scattering2D((16, 16), 2, 4)
    x = torch.randn(5, 2, 16, 16)
    assert s.check_input(x) is x
    with pytest.raises(TypeError, match="expects a torch.Tensor, got ndarray"):
        s.check_input(x.numpy())
    with pytest.raises(ValueError, match=r"expects input of shape \(\.\.\., 16, 16\), got \(5, 2, 16, 8\)"):
        s.check_input(torch.randn(5, 2, 16, 8))
    with pytest.raises(TypeError, match="real floating tensor"):
        s.check_input(torch.randn(1, 16, 16, dtype=torch.complex64))
    with pytest.raises(TypeError, match="convert the input with x.to"):
        s.check_input(torch.randn(1, 16, 16).half())
    with pytest.raises(ValueError, match="non-finite"):
        s.check_input(torch.full((1, 16, 16), float("inf")))
    with pytest.raises(ValueError, match="max_order must be an int >= 0"):
        _check_depth_and_paths(-1, "all", False)


def test_the_checker_reports_an_untyped_transform_as_not_checked():
    t = FieldType(Cyclic(4), [trivial(Cyclic(4))])
    model = nn.Sequential(ReLU(t), nn.Flatten(0, 1), Scattering2D((16, 16), 2, 4))
    s = model[2]
    assert s.in_type is None and s.out_type is None
    with pytest.warns(UserWarning, match="not checked for equivariance"):
        report = check_equivariance(model, torch.randn(2, 1, 16, 16))
    rows = {r.layer: r for r in report.rows}
    assert "not checked: no type" in rows["2"].reason


def test_bank_certificate():
    bank = parseval_wavelet_bank((16, 16), 2, 4)
    cert = _bank_certificate(bank.name, bank.J, bank.L, False, bank.frame_bounds())
    assert cert.status == "proved" and cert.residual < 1e-10
    cert = _bank_certificate(bank.name, bank.J, bank.L, False, (0.5, 1.0))
    assert cert.status == "failed" and cert.residual == pytest.approx(0.5)
    cert = _bank_certificate("morlet (standard)", 2, 4, False, (0.1, 1.2), what="spatial bank")
    assert cert.status == "not applicable" and "'morlet (standard)' spatial bank" in cert.reason
