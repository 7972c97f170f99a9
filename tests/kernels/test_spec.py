"""KernelSpec: bad values raise with messages, the spec is frozen and hashable, from_options converts the
keyword options (the deprecated sigma included) and to_options inverts it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from groupconv.kernels import KernelSpec


@pytest.mark.parametrize(
    "options, error, match",
    [
        (dict(profile="fourier"), ValueError, "profile must be one of 'gaussian', 'bessel', got 'fourier'"),
        (dict(rings=()), ValueError, "rings must not be empty"),
        (dict(rings=(0, -1)), ValueError, "non-negative"),
        (dict(rings="01"), TypeError, "sequence of numbers"),
        (dict(rings=(0, "a")), TypeError, "real numbers"),
        (dict(width=0), ValueError, "width must be a finite positive number, got 0"),
        (dict(width=(0.5, math.inf)), ValueError, "finite positive"),
        (dict(rings=(0, 1, 2), width=(0.5, 0.4)), ValueError, "2 values for 3 rings"),
        (dict(max_frequency=-1), ValueError, "non-negative int or None, got -1"),
        (dict(max_frequency=2.0), ValueError, "max_frequency"),
        (dict(max_frequency=True), ValueError, "max_frequency"),
        (dict(frequency_cutoff=-0.5), ValueError, "rate must be finite and >= 0"),
        (dict(frequency_cutoff="floor"), ValueError, "as a name must be one of 'escnn', got 'floor'"),
        (
            dict(frequency_cutoff={1: 2}),
            TypeError,
            "None, 'escnn', a number, a callable radius -> frequency or a",
        ),
        (dict(frequency_cutoff=(1, -1)), ValueError, "one non-negative int per ring"),
        (dict(frequency_cutoff=(0, 1), rings=(0.0,)), ValueError, "2 frequencies for 1 rings"),
        (dict(profile="bessel", rings=(0, 1)), ValueError, "takes none of rings, width, frequency_cutoff"),
        (dict(profile="bessel", width=0.5), ValueError, "got width"),
        (dict(warn="yes"), TypeError, "warn must be a bool"),
        (dict(allow_empty=0), TypeError, "allow_empty must be a bool"),
    ],
)
def test_bad_values_raise_with_messages(options, error, match):
    with pytest.raises(error, match=match):
        KernelSpec(**options)


def test_unhashable_cutoffs_are_refused():
    class Unhashable:
        __hash__ = None

        def __call__(self, r):
            return 1

    with pytest.raises(TypeError, match="hashable"):
        KernelSpec(frequency_cutoff=Unhashable())


def test_frozen_hashable_and_normalized():
    spec = KernelSpec(
        rings=np.array([0, 1, 2]), width=[0.5], max_frequency=np.int64(3), frequency_cutoff=[0, 1, 2]
    )
    assert spec.rings == (0.0, 1.0, 2.0) and spec.width == (0.5,) and spec.frequency_cutoff == (0, 1, 2)
    assert type(spec.max_frequency) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.width = 0.4
    same = KernelSpec(rings=(0.0, 1.0, 2.0), width=(0.5,), max_frequency=3, frequency_cutoff=(0, 1, 2))
    assert spec == same and hash(spec) == hash(same) and len({spec, same, KernelSpec()}) == 2
    assert KernelSpec(frequency_cutoff=math.floor) == KernelSpec(frequency_cutoff=math.floor)
    assert KernelSpec(frequency_cutoff=2) == KernelSpec(frequency_cutoff=2.0)


def test_from_options_is_the_spec_of_the_keywords():
    spec = KernelSpec.from_options("gaussian", rings=[0, 1], width=0.5, max_frequency=2, warn=False)
    assert spec == KernelSpec(rings=(0, 1), width=0.5, max_frequency=2, warn=False)
    assert KernelSpec.from_options("bessel") == KernelSpec(profile="bessel")
    assert KernelSpec.from_options() == KernelSpec()
    with pytest.raises(TypeError, match=r"unexpected options \['method'\]"):
        KernelSpec.from_options("gaussian", method="svd")


def test_sigma_is_the_deprecated_name_of_the_width():
    with pytest.warns(DeprecationWarning, match="sigma is deprecated.*width") as caught:
        spec = KernelSpec.from_options("gaussian", sigma=[0.5, 0.4])
    assert spec.width == (0.5, 0.4)
    # the warning points at the code that passed the options
    assert caught[0].filename == __file__
    with pytest.raises(TypeError, match="not both"):
        KernelSpec.from_options("gaussian", sigma=0.5, width=0.5)


def test_to_options_inverts_from_options():
    for spec in [
        KernelSpec(),
        KernelSpec("bessel", max_frequency=1),
        KernelSpec(rings=(0, 1.5), width=0.3, frequency_cutoff=math.floor, allow_empty=True),
    ]:
        assert KernelSpec.from_options(spec.profile, **spec.to_options()) == spec
    assert KernelSpec(max_frequency=2, warn=False).to_options() == {"max_frequency": 2, "warn": False}
