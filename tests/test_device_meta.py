"""Device correctness without a GPU.

Every public module (each layer family on several groups, scattering, the Fourier-domain convolutions)
is moved to the ``meta`` device and runs its forward pass on a meta input. A meta tensor has a shape,
a dtype and a device but no values, so this fails on a tensor that ``.to()`` leaves behind (an attribute
that is not a buffer), on a host sync in the forward (``.item()``, ``float(t)``, ``.numpy()``,
``torch.equal``) and on a tensor created on the default device and mixed with the input.

Where the meta device cannot run a step, the step is skipped on meta tensors only, for want of values:
the range checks of group elements, the finite-input check of the scattering networks, and the check that
a lifted kernel basis still has its pattern (``aten::equal`` has no meta kernel; on meta the layer expands
its filter with the dense basis). So every forward is also run on CPU under ``torch.device("meta")`` as
the default device, with an op recorder: every tensor that any op of the forward and backward passes
creates must be on the input's device. A factory call without ``device=`` in the forward creates a meta
tensor there and fails.

The group families, the group actions used by the verification helpers (``act``, ``FieldType.transform``,
``FunctionType.transform``, ``rotate_field``) and the Fourier transforms run on meta tensors too; the
checks that measure errors (``check_equivariance``, ``check_energy``, ``verify_model``) need values and
refuse a meta model or input with a ValueError.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

import groupconv.fourier as gfourier
import groupconv.nn as gnn
import groupconv.scattering as gscat
from groupconv.fourier import (
    S2FFT,
    SO3FFT,
    common_irreps,
    convolve,
    fourier_transform,
    function_space,
    generalized_convolution,
    inverse_fourier_transform,
    transform_methods,
)
from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral, DirectProduct, Symmetric
from groupconv.nn import (
    ELU,
    AvgPool2d,
    BlurPool2d,
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    FourierBesselConv2d,
    FunctionType,
    GatedNonlinearity,
    GlobalPool2d,
    GridNonlinearity,
    GroupConv2d,
    GroupConvolution,
    GroupPooling,
    LiftingConv2d,
    MaxPool2d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    PointwiseNonlinearity,
    ReLU,
    S2Conv,
    S2Integral,
    SO3Conv,
    SO3GridType,
    SO3Integral,
    SphereType,
    SteerableConv2d,
    rotate_field,
)
from groupconv.reps import irrep, regular, trivial
from groupconv.scattering import (
    GeneralizedScattering,
    Modulus,
    PhaseCollapseBlock,
    PhaseCollapseNet,
    Pooling,
    RealReLU,
    RotoTranslationScattering,
    Scattering2D,
    ScatteringLayer,
    SoftModulus,
    morlet_bank,
    parseval_wavelet_bank,
)
from groupconv.verify import act, check_energy, check_equivariance, verify_model

SIZE = 9  # the side of the planar inputs


def _planar(G, kind: str) -> FieldType:
    """Field types of the planar layers: ``"regular"`` (two regular fields, or one trivial field),
    ``"mixed"`` (a trivial, a regular or two-dimensional and a second irrep field)."""
    if kind == "regular":
        return FieldType(G, [regular(G)] * 2)
    if isinstance(G, SO2):
        return FieldType(G, [trivial(G), irrep(G, 1), irrep(G, 2)])
    if isinstance(G, (O2, Dihedral)):
        return FieldType(G, [trivial(G), irrep(G, 1, 1), irrep(G, 1, 0)])
    return FieldType(G, [trivial(G), regular(G), irrep(G, 1)])


def _field_input(module: nn.Module) -> torch.Tensor:
    return torch.randn(2, module.in_type.size, SIZE, SIZE, generator=torch.Generator().manual_seed(0))


def _function_input(module: GroupConvolution) -> torch.Tensor:
    t = module.in_type
    return torch.randn(2, t.channels, t.space.num_points, generator=torch.Generator().manual_seed(0))


def _grid_input(module: nn.Module) -> torch.Tensor:
    """Functions on the sphere or SO(3) grid of the module's input type."""
    return torch.randn(2, *module.in_type.shape, generator=torch.Generator().manual_seed(0))


def _transform_input(module: S2FFT | SO3FFT) -> torch.Tensor:
    return torch.randn(2, 3, *module.grid_shape, generator=torch.Generator().manual_seed(0))


def _image(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def _complex(*shape: int) -> torch.Tensor:
    return torch.complex(_image(*shape), _image(*shape).flip(-1))


@dataclass
class Case:
    """A module built on CPU in float32, and a float32 (or complex64) input for it."""

    build: Callable[[], nn.Module]
    make_input: Callable[[nn.Module], torch.Tensor]


def _fields(build: Callable[[], nn.Module]) -> Case:
    return Case(build, _field_input)


def _groups_of(name: str):
    return {
        "C4": Cyclic(4),
        "C8": Cyclic(8),
        "D3": Dihedral(3),
        "D4": Dihedral(4),
        "SO2": SO2(),
        "O2": O2(),
    }[name]


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    # the grid groups expand by a gather, the others (C8, D3) by the lifted regular basis
    for g in ("C4", "C8", "D3", "D4"):
        cases[f"LiftingConv2d-{g}"] = _fields(lambda g=g: LiftingConv2d(_groups_of(g), 2, 2, 3, padding=1))
        cases[f"GroupConv2d-{g}"] = _fields(lambda g=g: GroupConv2d(_groups_of(g), 2, 2, 3, padding=1))
    for g in ("C4", "C8", "D4", "SO2", "O2"):
        cases[f"SteerableConv2d-{g}"] = _fields(
            lambda g=g: SteerableConv2d(_planar(_groups_of(g), "mixed"), _planar(_groups_of(g), "mixed"), 3)
        )
    cases["SteerableConv2d-D4-exact"] = _fields(
        lambda: SteerableConv2d(
            _planar(Dihedral(4), "mixed"), _planar(Dihedral(4), "regular"), 3, basis="exact"
        )
    )
    cases["SteerableConv2d-O2-bessel"] = _fields(
        lambda: SteerableConv2d(_planar(O2(), "mixed"), _planar(O2(), "mixed"), 5, basis="bessel", padding=2)
    )
    cases["FourierBesselConv2d"] = Case(
        lambda: FourierBesselConv2d(2, 3, 5, num_bases=8, padding=2), lambda m: _image(2, 2, SIZE, SIZE)
    )
    for g in ("C4", "D4"):
        reg = lambda g=g: _planar(_groups_of(g), "regular")  # noqa: E731
        cases[f"ReLU-{g}"] = _fields(lambda reg=reg: ReLU(reg()))
        cases[f"ELU-{g}"] = _fields(lambda reg=reg: ELU(reg()))
        cases[f"PointwiseNonlinearity-{g}"] = _fields(
            lambda reg=reg: PointwiseNonlinearity(reg(), torch.tanh)
        )
        cases[f"MaxPool2d-{g}"] = _fields(lambda reg=reg: MaxPool2d(reg()))
        cases[f"MaxPool2d-{g}-plain"] = _fields(lambda reg=reg: MaxPool2d(reg(), 3, 2, antialias=False))
        cases[f"GroupPooling-{g}"] = _fields(lambda reg=reg: GroupPooling(reg()))
        cases[f"GroupPooling-{g}-mean"] = _fields(lambda reg=reg: GroupPooling(reg(), "mean"))
        cases[f"GlobalPool2d-{g}-max"] = _fields(lambda reg=reg: GlobalPool2d(reg(), "max"))
        cases[f"EquivariantSequential-{g}"] = Case(
            lambda g=g, reg=reg: EquivariantSequential(
                LiftingConv2d(_groups_of(g), 1, 2, 3, padding=1),
                FieldBatchNorm(reg()),
                ReLU(reg()),
                GroupConv2d(_groups_of(g), 2, 2, 3),
                MaxPool2d(reg()),
                GroupPooling(reg()),
            ),
            lambda m: _image(2, 1, SIZE, SIZE),
        )
    for g in ("C8", "D4", "SO2", "O2"):
        mixed = lambda g=g: _planar(_groups_of(g), "mixed")  # noqa: E731
        cases[f"NormNonlinearity-{g}"] = _fields(lambda mixed=mixed: NormNonlinearity(mixed()))
        cases[f"NormNonlinearity-{g}-squash"] = _fields(
            lambda mixed=mixed: NormNonlinearity(mixed(), "squash")
        )
        cases[f"GatedNonlinearity-{g}"] = _fields(lambda mixed=mixed: GatedNonlinearity(mixed()))
        cases[f"ModulusNonlinearity-{g}"] = _fields(lambda mixed=mixed: ModulusNonlinearity(mixed()))
        cases[f"FieldBatchNorm-{g}"] = _fields(lambda mixed=mixed: FieldBatchNorm(mixed()))
        cases[f"BlurPool2d-{g}"] = _fields(lambda mixed=mixed: BlurPool2d(mixed()))
        cases[f"AvgPool2d-{g}"] = _fields(lambda mixed=mixed: AvgPool2d(mixed(), 3, 2))
        cases[f"GlobalPool2d-{g}"] = _fields(lambda mixed=mixed: GlobalPool2d(mixed()))
        cases[f"NormPooling-{g}"] = _fields(lambda mixed=mixed: NormPooling(mixed()))
        cases[f"NormPooling-{g}-max"] = _fields(lambda mixed=mixed: NormPooling(mixed(), "max", 3, 2))
        cases[f"NormPooling-{g}-avg"] = _fields(lambda mixed=mixed: NormPooling(mixed(), "avg", 3, 2))
    for name, build in {
        "D4": lambda: GroupConvolution(Dihedral(4), 2, 3),
        "D4-quotient": lambda: GroupConvolution(Dihedral(4), 2, 3, domain=Cyclic(4)),
        "S3": lambda: GroupConvolution(Symmetric(3), 2, 3),
        "SO2": lambda: GroupConvolution(SO2(), 2, 3, bandwidth=2),
        "O2": lambda: GroupConvolution(O2(), 2, 3, bandwidth=2),
        "SO3": lambda: GroupConvolution(SO3(), 2, 3, bandwidth=2),
        "SO3-sphere": lambda: GroupConvolution(SO3(), 2, 3, domain=SO2(), bandwidth=2),
    }.items():
        cases[f"GroupConvolution-{name}"] = Case(build, _function_input)
    for grid in ("dh", "gl"):
        cases[f"S2Conv-{grid}"] = Case(lambda grid=grid: S2Conv(2, 3, 4, grid=grid), _grid_input)
        cases[f"SO3Conv-{grid}"] = Case(lambda grid=grid: SO3Conv(2, 2, 4, 3, grid=grid), _grid_input)
        cases[f"S2FFT-{grid}"] = Case(lambda grid=grid: S2FFT(4, grid), _transform_input)
        cases[f"SO3FFT-{grid}"] = Case(lambda grid=grid: SO3FFT(3, grid), _transform_input)
    cases["GridNonlinearity-sphere"] = Case(lambda: GridNonlinearity(SphereType(2, 4)), _grid_input)
    cases["GridNonlinearity-SO3"] = Case(lambda: GridNonlinearity(SO3GridType(2, 3), torch.tanh), _grid_input)
    cases["S2Integral"] = Case(lambda: S2Integral(SphereType(2, 4, "gl")), _grid_input)
    cases["SO3Integral"] = Case(lambda: SO3Integral(SO3GridType(2, 3)), _grid_input)
    cases["Scattering2D-morlet"] = Case(
        lambda: Scattering2D((16, 16), J=2, L=4, max_order=2), lambda m: _image(2, 16, 16)
    )
    cases["Scattering2D-parseval-all"] = Case(
        lambda: Scattering2D((16, 16), J=2, L=2, filters="parseval", subsample=False, paths="all"),
        lambda m: _image(2, 16, 16),
    )
    cases["RotoTranslationScattering"] = Case(
        lambda: RotoTranslationScattering((16, 16), J=2, L=4, max_order=2), lambda m: _image(2, 16, 16)
    )
    cases["GeneralizedScattering"] = Case(
        lambda: GeneralizedScattering(
            [parseval_wavelet_bank((16, 16), J=2, L=2), parseval_wavelet_bank((8, 8), J=1, L=2)],
            nonlinearity=[SoftModulus(), RealReLU()],
            pooling=Pooling("average", 2),
        ),
        lambda m: _image(2, 16, 16),
    )
    cases["ScatteringLayer"] = Case(
        lambda: ScatteringLayer(morlet_bank((16, 16), 2, 4)), lambda m: _image(2, 1, 16, 16)
    )
    cases["Modulus"] = Case(Modulus, lambda m: _complex(2, 3, 4))
    cases["RealReLU"] = Case(RealReLU, lambda m: _complex(2, 3, 4))
    cases["SoftModulus"] = Case(lambda: SoftModulus(0.1), lambda m: _complex(2, 3, 4))
    cases["Pooling-subsample"] = Case(lambda: Pooling("subsample", 2), lambda m: _image(2, 3, 8, 8))
    cases["Pooling-average"] = Case(lambda: Pooling("average", 2), lambda m: _image(2, 3, 8, 8))
    cases["PhaseCollapseNet"] = Case(
        lambda: PhaseCollapseNet(1, (16, 16), 10, widths=(4, 8), L=4), lambda m: _image(2, 1, 16, 16)
    )
    for nl in ("modulus", "soft-threshold", "sigmoid-amplitude", "tanh-amplitude", "phase-only"):
        cases[f"PhaseCollapseBlock-{nl}"] = Case(
            lambda nl=nl: PhaseCollapseBlock(1, 4, (16, 16), L=4, nonlinearity=nl),
            lambda m: _image(2, 1, 16, 16),
        )
    return cases


CASES = _cases()


def _build(name: str, dtype: torch.dtype = torch.float32) -> tuple[nn.Module, torch.Tensor]:
    case = CASES[name]
    with warnings.catch_warnings():
        # Schur-forced zero blocks of the small test layers are reported at construction
        warnings.simplefilter("ignore", UserWarning)
        torch.manual_seed(0)
        module = case.build()
    x = case.make_input(module)
    module = module.to(dtype)
    x = x.to(torch.promote_types(x.dtype, dtype) if x.is_complex() else dtype)
    return module, x


def _public_module_classes() -> set[type]:
    found = set()
    for package in (gnn, gscat, gfourier):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) and issubclass(obj, nn.Module):
                found.add(obj)
    return found


def test_every_public_module_class_has_a_case():
    """A new public module without a case here fails this test (abstract bases count as covered by their
    subclasses)."""
    built = {type(_build(name)[0]) for name in CASES}
    public = _public_module_classes()
    assert len(public) >= 30
    missing = sorted(c.__name__ for c in public if not any(issubclass(b, c) for b in built))
    assert not missing, f"public modules without a device case: {missing}"


def _outputs(y) -> list[torch.Tensor]:
    return [t for t in tree_flatten(y)[0] if isinstance(t, torch.Tensor)]


_DOUBLE = {torch.float32: torch.float64, torch.complex64: torch.complex128}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_on_meta_device(name):
    """Train and eval forward on meta in float32, then in float64 (cast on meta): the outputs' shapes and
    dtypes are those of the float32 forward on CPU (the dtypes promoted in float64)."""
    module, x = _build(name)
    with torch.no_grad():
        reference = [(t.shape, t.dtype) for t in _outputs(module.eval()(x))]
    module = module.to("meta")
    x = x.to("meta")
    for dtype in (torch.float32, torch.float64):
        if dtype == torch.float64:
            module, x = module.double(), x.to(_DOUBLE[x.dtype])
            reference = [(shape, _DOUBLE.get(t, t)) for shape, t in reference]
        stray = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if not t.is_meta]
        assert not stray, f"parameters or buffers left off the meta device: {stray}"
        for train in (True, False):
            out = _outputs(module.train(train)(x))
            assert [t.device.type for t in out] == ["meta"] * len(reference)
            assert [(t.shape, t.dtype) for t in out] == reference, (dtype, train)


class _DeviceRecorder(TorchDispatchMode):
    """Records every op whose outputs lie on another device than ``device``."""

    def __init__(self, device: torch.device):
        super().__init__()
        self.device = device
        self.strays: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in _outputs(out):
            if t.device != self.device:
                self.strays.append(f"{func} -> {t.device}")
        return out


def _assert_creates_on_input_device(module: nn.Module, x: torch.Tensor, backward: bool = True) -> None:
    """Forward (and backward) on CPU with the meta device as the default: every op's outputs on CPU."""
    params = [p for p in module.parameters() if p.requires_grad]
    x = x.clone().requires_grad_(backward)
    with torch.device("meta"), _DeviceRecorder(x.device) as recorder:
        out = _outputs(module(x))
        assert not recorder.strays, f"forward: tensors created off the input's device: {recorder.strays[:5]}"
        if not backward:
            return
        loss = sum(t.real.sum() if t.is_complex() else t.sum() for t in out)
        torch.autograd.grad(loss, [x, *params], allow_unused=True)
        assert not recorder.strays, f"backward: tensors created off the input's device: {recorder.strays[:5]}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_backward_create_tensors_on_the_input_device(name):
    module, x = _build(name)
    _assert_creates_on_input_device(module.train(), x)
    _assert_creates_on_input_device(module.eval(), x, backward=False)


class _DefaultDeviceFactory(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.arange(x.shape[-1], dtype=x.dtype)


class _ReturnsNewTensor(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, torch.zeros(3)


class _PlainAttribute(nn.Module):
    """A derived tensor kept as a plain attribute, not a buffer: ``.to()`` leaves it behind."""

    def __init__(self):
        super().__init__()
        self.scale = torch.ones(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class _HostSync(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / float(x.abs().max())


def test_the_device_checks_catch_planted_defects():
    x = torch.randn(2, 4)
    with pytest.raises(RuntimeError, match="meta"):
        _assert_creates_on_input_device(_DefaultDeviceFactory(), x)
    with pytest.raises(AssertionError, match="zeros"):
        _assert_creates_on_input_device(_ReturnsNewTensor(), x)
    with pytest.raises(RuntimeError, match="meta"):
        _PlainAttribute().to("meta")(x.to("meta"))
    with pytest.raises(RuntimeError, match="meta"):
        _HostSync().to("meta")(x.to("meta"))


# -- groups, group actions, Fourier transforms and the verification helpers -----------------------------

GROUP_FAMILIES = {
    "Cyclic": (Cyclic(5), lambda G: regular(G)),
    "Dihedral": (Dihedral(3), lambda G: irrep(G, 1, 1)),
    "Symmetric": (Symmetric(3), lambda G: regular(G)),
    "SO2": (SO2(), lambda G: irrep(G, 2)),
    "O2": (O2(), lambda G: irrep(G, 1, 1)),
    "SO3": (SO3(), lambda G: irrep(G, 1)),
    "O3": (O3(), lambda G: irrep(G, 1, -1)),
    "DirectProduct": (DirectProduct(Cyclic(2), SO2()), lambda G: irrep(G, 1, 1)),
}


@pytest.mark.parametrize("family", sorted(GROUP_FAMILIES))
def test_group_operations_and_representations_on_meta_elements(family):
    G, rep = GROUP_FAMILIES[family]
    g = G.sample(3, generator=torch.Generator().manual_seed(0))
    h = G.sample(3, generator=torch.Generator().manual_seed(1))
    results = {
        "compose": G.compose(g.to("meta"), h.to("meta")),
        "inverse": G.inverse(g.to("meta")),
        "identity": G.identity((3,), device="meta"),
        "sample": G.sample(3, device="meta"),
        "rep": rep(G)(g.to("meta"), torch.float32),
    }
    expected = {
        "compose": G.compose(g, h),
        "inverse": G.inverse(g),
        "identity": G.identity((3,)),
        "sample": g,
        "rep": rep(G)(g, torch.float32),
    }
    for key, t in results.items():
        assert t.is_meta, key
        assert (t.shape, t.dtype) == (expected[key].shape, expected[key].dtype), key


def _fourier_spaces():
    return {
        "D4": function_space(Dihedral(4)),
        "S3": function_space(Symmetric(3)),
        "SO2": function_space(SO2(), 2),
        "O2": function_space(O2(), 2),
        "SO3": function_space(SO3(), 2),
    }


@pytest.mark.parametrize("space", ["D4", "S3", "SO2", "O2", "SO3"])
def test_fourier_transforms_and_convolutions_on_meta(space):
    sp = _fourier_spaces()[space]
    f = torch.randn(2, sp.num_points, dtype=torch.float64)
    h = torch.randn(2, sp.num_points, dtype=torch.float64)
    for method in transform_methods(sp):
        blocks = fourier_transform(f.to("meta"), sp, method=method).blocks
        assert all(b.is_meta for b in blocks)
        assert [b.shape for b in blocks] == [b.shape for b in fourier_transform(f, sp, method=method).blocks]
        back = inverse_fourier_transform(fourier_transform(f.to("meta"), sp), method=method)
        assert back.is_meta and back.shape == f.shape
    for method in ("spatial", "fourier"):
        y = convolve(f.to("meta"), h.to("meta"), sp, method=method)
        assert y.is_meta and y.shape == f.shape and y.dtype == f.dtype
    blocks = [
        torch.randn(sp.columns[i].shape[1], sp.columns[j].shape[1], dtype=torch.float64)
        for i, j in common_irreps(sp, sp)
    ]
    y = generalized_convolution(f.to("meta"), [b.to("meta") for b in blocks], sp, sp)
    assert y.is_meta and y.shape == f.shape


def test_group_actions_of_the_verification_helpers_on_meta():
    D4 = Dihedral(4)
    t = _planar(D4, "mixed")
    x = torch.randn(2, t.size, SIZE, SIZE)
    for g in range(D4.order):
        assert act(t, x.to("meta"), g).is_meta
        assert t.transform(x.to("meta"), g).shape == x.shape
    so2 = _planar(SO2(), "mixed")
    y = rotate_field(torch.randn(2, so2.size, SIZE, SIZE).to("meta"), so2, torch.tensor(0.3))
    assert y.is_meta and y.shape == (2, so2.size, SIZE, SIZE)
    for G, bandwidth, g in ((Dihedral(4), None, 3), (SO3(), 2, SO3().sample(1)[0])):
        ft = FunctionType(function_space(G, bandwidth), 2)
        f = torch.randn(3, 2, ft.space.num_points)
        assert ft.transform(f.to("meta"), g).shape == f.shape


@pytest.mark.parametrize("check", [check_equivariance, check_energy, verify_model])
def test_error_measuring_checks_refuse_meta_tensors(check):
    module, x = _build("GroupConv2d-D4")
    with pytest.raises(ValueError, match="input on the meta device"):
        check(module, x.to("meta"))
    with pytest.raises(ValueError, match="input on the meta device"):
        check(module.to("meta"), x.to("meta"))
