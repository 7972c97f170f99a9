"""A catalogue of groupconv's public modules, each built small on CPU with an input, for the tests that
run every module in another setting (tests/integration/test_device_meta.py, tests/integration/test_autocast.py).

``CASES`` maps a case name (``Class-group-variant``) to its builder; :func:`build` returns the module and
its input; :func:`public_module_classes` lists the classes a catalogue must cover.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils._pytree import tree_flatten

import groupconv.fourier as gfourier
import groupconv.nn as gnn
import groupconv.scattering as gscat
from groupconv.fourier import S2FFT, SO3FFT
from groupconv.groups import O2, O3, SO2, SO3, Cyclic, Dihedral, Icosahedral, Octahedral, Symmetric
from groupconv.nn import (
    ELU,
    AvgPool2d,
    AvgPool3d,
    BlurPool2d,
    BlurPool3d,
    EquivariantSequential,
    FieldBatchNorm,
    FieldType,
    FourierBesselConv2d,
    GatedNonlinearity,
    GlobalPool2d,
    GlobalPool3d,
    GridNonlinearity,
    GroupConv2d,
    GroupConv3d,
    GroupPooling,
    HomogeneousFourierConv,
    LiftingConv2d,
    LiftingConv3d,
    MaxPool2d,
    MaxPool3d,
    ModulusNonlinearity,
    NormNonlinearity,
    NormPooling,
    PointwiseNonlinearity,
    RandomGroupAction,
    ReLU,
    S2Conv,
    S2Integral,
    SO3Conv,
    SO3GridType,
    SO3Integral,
    SphereType,
    SteerableConv2d,
    SteerableConv3d,
)
from groupconv.reps import irrep, regular, trivial
from groupconv.scattering import (
    GeneralizedScattering,
    HarmonicScattering3D,
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

SIZE = 9  # the side of the planar inputs


def planar_type(G, kind: str) -> FieldType:
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


def _volume_input(module: nn.Module) -> torch.Tensor:
    return torch.randn(2, module.in_type.size, 5, 5, 5, generator=torch.Generator().manual_seed(0))


def _function_input(module: HomogeneousFourierConv) -> torch.Tensor:
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
        cases[f"LiftingConv2d-{g}"] = _fields(
            lambda g=g: LiftingConv2d.from_channels(_groups_of(g), 2, 2, 3, padding=1)
        )
        cases[f"GroupConv2d-{g}"] = _fields(
            lambda g=g: GroupConv2d.from_channels(_groups_of(g), 2, 2, 3, padding=1)
        )
    for g in ("C4", "C8", "D4", "SO2", "O2"):
        cases[f"SteerableConv2d-{g}"] = _fields(
            lambda g=g: SteerableConv2d(
                planar_type(_groups_of(g), "mixed"), planar_type(_groups_of(g), "mixed"), 3
            )
        )
    cases["SteerableConv2d-D4-exact"] = _fields(
        lambda: SteerableConv2d(
            planar_type(Dihedral(4), "mixed"), planar_type(Dihedral(4), "regular"), 3, basis="exact"
        )
    )
    cases["SteerableConv2d-O2-bessel"] = _fields(
        lambda: SteerableConv2d(
            planar_type(O2(), "mixed"), planar_type(O2(), "mixed"), 5, basis="bessel", padding=2
        )
    )
    # volumes: O by a voxel index map, I by moved free filters, SO(3) / O(3) / O steerable
    for g, group in (("O", Octahedral()), ("I", Icosahedral())):
        cases[f"LiftingConv3d-{g}"] = Case(
            lambda group=group: LiftingConv3d.from_channels(group, 1, 1, 3, padding=1), _volume_input
        )
        cases[f"GroupConv3d-{g}"] = Case(
            lambda group=group: GroupConv3d.from_channels(group, 1, 1, 3, padding=1), _volume_input
        )
    for g, ft in (
        ("SO3", lambda: FieldType(SO3(), [irrep(SO3(), 0), irrep(SO3(), 1), irrep(SO3(), 2)])),
        ("O3", lambda: FieldType(O3(), [irrep(O3(), 0, 1), irrep(O3(), 1, -1)])),
        ("O", lambda: FieldType(Octahedral(), [trivial(Octahedral()), irrep(Octahedral(), 3)])),
    ):
        cases[f"SteerableConv3d-{g}"] = Case(
            lambda ft=ft: SteerableConv3d(ft(), ft(), 3, padding=1), _volume_input
        )
    # the layers between 3D convolutions: regular fields of O and SO(3) fields on volumes
    o_regular = lambda: FieldType(Octahedral(), [regular(Octahedral())])  # noqa: E731
    so3_fields = lambda: FieldType(SO3(), [irrep(SO3(), 0), irrep(SO3(), 1)])  # noqa: E731
    cases["MaxPool3d-O"] = Case(lambda: MaxPool3d(o_regular()), _volume_input)
    cases["GlobalPool3d-O"] = Case(lambda: GlobalPool3d(o_regular(), "max"), _volume_input)
    cases["AvgPool3d-SO3"] = Case(lambda: AvgPool3d(so3_fields()), _volume_input)
    cases["BlurPool3d-SO3"] = Case(lambda: BlurPool3d(so3_fields()), _volume_input)
    cases["NormNonlinearity-SO3-volume"] = Case(
        lambda: NormNonlinearity(so3_fields(), spatial_dims=3), _volume_input
    )
    cases["FieldBatchNorm-SO3-volume"] = Case(
        lambda: FieldBatchNorm(so3_fields(), spatial_dims=3), _volume_input
    )
    cases["FourierBesselConv2d"] = Case(
        lambda: FourierBesselConv2d(2, 3, 5, num_bases=8, padding=2), lambda m: _image(2, 2, SIZE, SIZE)
    )
    for g in ("C4", "D4"):
        reg = lambda g=g: planar_type(_groups_of(g), "regular")  # noqa: E731
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
                LiftingConv2d.from_channels(_groups_of(g), 1, 2, 3, padding=1),
                FieldBatchNorm(reg()),
                ReLU(reg()),
                GroupConv2d.from_channels(_groups_of(g), 2, 2, 3),
                MaxPool2d(reg()),
                GroupPooling(reg()),
            ),
            lambda m: _image(2, 1, SIZE, SIZE),
        )
    for g in ("C8", "D4", "SO2", "O2"):
        mixed = lambda g=g: planar_type(_groups_of(g), "mixed")  # noqa: E731
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
        "D4": lambda: HomogeneousFourierConv(Dihedral(4), 2, 3),
        "D4-quotient": lambda: HomogeneousFourierConv(Dihedral(4), 2, 3, domain=Cyclic(4)),
        "S3": lambda: HomogeneousFourierConv(Symmetric(3), 2, 3),
        "SO2": lambda: HomogeneousFourierConv(SO2(), 2, 3, bandwidth=2),
        "O2": lambda: HomogeneousFourierConv(O2(), 2, 3, bandwidth=2),
        "SO3": lambda: HomogeneousFourierConv(SO3(), 2, 3, bandwidth=2),
        "SO3-sphere": lambda: HomogeneousFourierConv(SO3(), 2, 3, domain=SO2(), bandwidth=2),
    }.items():
        cases[f"HomogeneousFourierConv-{name}"] = Case(build, _function_input)
    for grid in ("dh", "gl"):
        cases[f"S2Conv-{grid}"] = Case(
            lambda grid=grid: S2Conv.from_channels(2, 3, 4, grid=grid), _grid_input
        )
        cases[f"SO3Conv-{grid}"] = Case(
            lambda grid=grid: SO3Conv.from_channels(2, 2, 4, 3, grid=grid), _grid_input
        )
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
    cases["HarmonicScattering3D"] = Case(
        lambda: HarmonicScattering3D(1, (8, 8, 8), L=2), lambda m: _image(2, 8, 8, 8).abs()
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


def build(name: str, dtype: torch.dtype = torch.float32) -> tuple[nn.Module, torch.Tensor]:
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


#: Deprecated names of public modules, covered by the cases of the class they build.
DEPRECATED_ALIASES = {gnn.GroupConvolution: gnn.HomogeneousFourierConv}


def public_module_classes() -> set[type]:
    found = set()
    for package in (gnn, gscat, gfourier):
        for name in package.__all__:
            obj = getattr(package, name)
            # RandomGroupAction is a data augmentation, not a layer (tests/nn/test_augment.py covers it)
            if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj is not RandomGroupAction:
                found.add(DEPRECATED_ALIASES.get(obj, obj))
    return found


def outputs(y) -> list[torch.Tensor]:
    return [t for t in tree_flatten(y)[0] if isinstance(t, torch.Tensor)]
