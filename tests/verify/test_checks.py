"""Completeness of the per-layer checks: grid symmetries of SO(3)/O(3), the scattering energy identity,
float32 runs, devices, the progress bar."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from groupconv.groups import SO2, Dihedral
from groupconv.nn import FieldType
from groupconv.reps import irrep, regular
from groupconv.verify import check_energy, check_equivariance, cube_rotations, elements_to_try
from groupconv.verify.energy import split_energy_per_layer


def test_cube_rotations_form_the_octahedral_group():
    R = cube_rotations()
    assert R.shape == (24, 3, 3) and torch.equal(R[0], torch.eye(3, dtype=torch.float64))
    assert torch.allclose(torch.linalg.det(R), torch.ones(24, dtype=torch.float64))
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(24, 3, 3))
    flat = {tuple(m.flatten().tolist()) for m in R}
    assert len(flat) == 24
    products = {tuple((a @ b).flatten().tolist()) for a in R for b in R}
    assert products == flat  # closed under composition
    O = cube_rotations(inversion=True)
    assert O.shape == (48, 3, 3) and len({tuple(m.flatten().tolist()) for m in O}) == 48


def test_elements_to_try_for_continuous_groups():
    gs = elements_to_try(SO2(), n_samples=20)
    assert len(gs) == 24 and float(gs[1]) == pytest.approx(torch.pi / 2)
    assert len(elements_to_try(Dihedral(4))) == 8
    with pytest.raises(ValueError, match="n_samples"):
        elements_to_try(SO2(), n_samples=-1)


def test_so2_layer_on_a_plain_module_with_representation_types():
    G = SO2()
    rho = irrep(G, 1)

    class Rotor(nn.Module):
        # a linear map on R^2 commuting with rotations: a R(phi), complex multiplication
        def forward(self, x):
            return torch.stack([2 * x[..., 0] - x[..., 1], x[..., 0] + 2 * x[..., 1]], -1)

    class Skew(nn.Module):
        def forward(self, x):
            return x * torch.tensor([1.0, 2.0], dtype=x.dtype)

    net = nn.Sequential(Rotor(), Skew())
    x = torch.randn(5, 2)
    report = check_equivariance(net, x, types={"0": (rho, rho), "1": (rho, rho)})
    assert [r.passed for r in report.rows] == [True, False]
    assert report.rows[0].elements_tried == 24 and report.rows[0].max_abs_error < 1e-12
    assert report.rows[0].group == "SO2"
    f32 = check_equivariance(net, x, types={"0": (rho, rho)}, dtype=torch.float32, atol=0, rtol=1e-5)
    assert f32.passed and f32.rows[0].max_rel_error < 1e-5 and f32.info["dtype"] == "float32"


class _Haar(nn.Module):
    """An orthogonal two-band split of a 1D signal (Haar averages and differences), order by order:
    a Parseval scattering-like cascade whose energy_per_layer returns the orders and W_N."""

    def __init__(self, orders: int = 2, leak: float = 1.0):
        super().__init__()
        self.orders, self.leak = orders, leak

    def _split(self, u):
        a, b = u[..., 0::2], u[..., 1::2]
        return (a + b) / 2**0.5, self.leak * (a - b) / 2**0.5

    def energy_per_layer(self, x):
        energies, u = [], x
        for _ in range(self.orders):
            low, u = self._split(u)
            energies.append(low.pow(2).flatten(1).sum(1))
        return {"orders": energies, "remainder": u.pow(2).flatten(1).sum(1)}

    def forward(self, x):
        outs, u = [], x
        for _ in range(self.orders):
            low, u = self._split(u)
            outs.append(low.flatten(1))
        return torch.cat(outs, 1)


def test_scattering_energy_identity_row():
    x = torch.randn(3, 1, 16)
    report = check_energy(_Haar(), x)
    (row,) = report.rows
    assert row.layer == "(model) [identity]" and row.passed
    assert row.output_energy == pytest.approx(row.input_energy, rel=1e-12)
    leaky = check_energy(_Haar(leak=1.1), x)
    assert leaky.rows[0].passed is False and leaky.rows[0].ratio > 1
    # inside a larger model, the scattering submodule's own input is used
    report = check_energy(nn.Sequential(nn.Identity(), _Haar()), x)
    assert [r.layer for r in report.rows] == ["0", "1 [identity]"] and report.passed


def test_split_energy_per_layer_forms():
    orders, rem = split_energy_per_layer([1.0, 2.0, 3.0], batch=1)
    assert [float(o) for o in orders] == [1.0, 2.0] and float(rem) == 3.0
    orders, rem = split_energy_per_layer((torch.ones(2, 4), torch.zeros(4)), batch=4)
    assert len(orders) == 2 and rem.shape == (4,)
    with pytest.raises(ValueError, match="orders"):
        split_energy_per_layer({"remainder": 1.0}, batch=1)


def test_equivariance_check_is_silent_off_a_terminal(capsys):
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)])

    class Id(nn.Module):
        in_type = out_type = reg

        def forward(self, x):
            return x

    check_equivariance(Id(), torch.randn(1, 8, 3, 3))
    assert capsys.readouterr().err == ""


@pytest.mark.cuda
def test_equivariance_check_on_cuda_matches_cpu():
    G = Dihedral(4)
    reg = FieldType(G, [regular(G)])

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_type = self.out_type = reg
            self.w = nn.Parameter(torch.tensor(0.5))

        def forward(self, x):
            return x + self.w * x.mean(1, keepdim=True)

    x = torch.randn(2, 8, 5, 5)
    cpu = check_equivariance(Mean(), x)
    gpu = check_equivariance(Mean().cuda(), x)
    assert gpu.info["device"].startswith("cuda") and gpu.passed and cpu.passed


def test_so3_and_o3_elements_include_the_cube_symmetries():
    from groupconv.groups import O3, SO3

    gs = elements_to_try(SO3(), n_samples=20)
    assert len(gs) == 44 and all(g.shape == (3, 3) for g in gs)
    assert torch.equal(torch.stack(gs[:24]), cube_rotations())
    go = elements_to_try(O3(), n_samples=20)
    assert len(go) == 68 and float(torch.linalg.det(go[30])) == pytest.approx(-1.0)
    G = SO3()
    rho = irrep(G, 1)

    class Norm(nn.Module):
        def forward(self, x):
            return x.norm(dim=-1, keepdim=True)

    report = check_equivariance(Norm(), torch.randn(4, 3), types={"": (rho, irrep(G, 0))})
    assert report.passed and report.rows[0].elements_tried == 44
