"""Renamed keywords: the old name warns and forwards, the new name and positional calls are silent, the
signature shows only the new names, and misuse fails loudly."""

from __future__ import annotations

import inspect
import warnings

import pytest

from groupconv.utils.deprecation import accepts_channel_counts, renamed_keywords


@renamed_keywords(G="group", rep="rho")
def _pair(group, rho=None, *, scale=1):
    return (group, rho, scale)


class _Box:
    @renamed_keywords(G="group")
    def __init__(self, group):
        self.group = group


def test_signature_shows_new_names():
    assert list(inspect.signature(_pair).parameters) == ["group", "rho", "scale"]
    assert list(inspect.signature(_Box).parameters) == ["group"]


def test_old_keyword_warns_and_forwards():
    with pytest.warns(DeprecationWarning, match=r"_pair\(\): the keyword 'G' is deprecated, use 'group'"):
        assert _pair(G=3, scale=2) == (3, None, 2)
    with pytest.warns(DeprecationWarning, match="'rep' is deprecated, use 'rho'"):
        assert _pair(1, rep="r") == (1, "r", 1)


def test_constructor_warning_names_the_class():
    with pytest.warns(DeprecationWarning, match=r"^_Box\(\): the keyword 'G'"):
        assert _Box(G=5).group == 5


def test_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _pair(G=0)
    assert caught[0].filename == __file__


def test_new_names_and_positional_calls_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _pair(4, "x") == (4, "x", 1)
        assert _pair(group=4, rho="x") == (4, "x", 1)


def test_both_names_is_an_error():
    with pytest.raises(TypeError, match="got the keyword 'group' and its deprecated name 'G'"):
        _pair(G=1, group=1)


def test_decoration_checks_the_names():
    with pytest.raises(TypeError, match="has no parameter 'group'"):

        @renamed_keywords(G="group")
        def f(G2):
            return G2

    with pytest.raises(TypeError, match="still has the parameter 'G'"):

        @renamed_keywords(G="group")
        def g(G, group):
            return G, group

    with pytest.raises(TypeError, match="maps old names to new parameter names"):
        renamed_keywords(G="not a name")


def test_accepts_channel_counts_converts_the_old_call_and_warns():
    def old_signature(size, scale=1.0):
        """The old constructor (bound, never called)."""

    def is_old(args, kwargs):
        return bool(args) and isinstance(args[0], int)

    def convert(cls, a):
        return (f"{a['size']} fields",), {"scale": a["scale"]}

    class Layer:
        @accepts_channel_counts(old_signature, is_old, convert)
        def __init__(self, in_type, scale=1.0):
            self.in_type, self.scale = in_type, scale

    assert list(inspect.signature(Layer.__init__).parameters) == ["self", "in_type", "scale"]
    new = Layer("3 fields", scale=2.0)
    with pytest.warns(
        DeprecationWarning, match=r"Layer\(size, scale, \.\.\.\) is deprecated; use Layer.from_channels"
    ):
        old = Layer(3, 2.0)
    assert (old.in_type, old.scale) == (new.in_type, new.scale)
