"""The memory budget (groupconv.utils.memory): sizes, the process setting, the environment variable, and builds
that consult it before allocating."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

import groupconv
from groupconv.groups import Cyclic, Dihedral
from groupconv.nn import FieldType, SteerableConv2d
from groupconv.reps import irrep, regular
from groupconv.utils.memory import (
    DEFAULT_MEMORY_BUDGET,
    ENV_VARIABLE,
    MemoryBudgetError,
    check_memory,
    format_bytes,
    parse_size,
)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV_VARIABLE, raising=False)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("16GiB", 16 * 1024**3),
        ("16 gib", 16 * 1024**3),
        ("512MB", 512 * 1000**2),
        ("1.5KiB", 1536),
        ("2kB", 2000),
        ("1e9", 1e9),
        ("3TiB", 3 * 1024**4),
        (1024, 1024),
        (2.5e6, 2.5e6),
        ("unlimited", math.inf),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_format_bytes():
    assert format_bytes(3 * 1024**3) == "3 GiB"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(12) == "12 B"
    assert format_bytes(math.inf) == "unlimited"


def test_default_budget_is_4_gib():
    assert DEFAULT_MEMORY_BUDGET == 4 * 1024**3
    assert groupconv.get_memory_budget() == DEFAULT_MEMORY_BUDGET


def test_context_manager_sets_and_restores():
    with groupconv.memory_budget("16GiB"):
        assert groupconv.get_memory_budget() == 16 * 1024**3
        with groupconv.memory_budget(1000):
            assert groupconv.get_memory_budget() == 1000
        assert groupconv.get_memory_budget() == 16 * 1024**3
    assert groupconv.get_memory_budget() == DEFAULT_MEMORY_BUDGET


def test_plain_call_sets_for_the_process_and_none_resets():
    try:
        groupconv.memory_budget("1GiB")
        assert groupconv.get_memory_budget() == 1024**3
    finally:
        groupconv.memory_budget(None)
    assert groupconv.get_memory_budget() == DEFAULT_MEMORY_BUDGET


def test_environment_variable(monkeypatch):
    monkeypatch.setenv(ENV_VARIABLE, "2GiB")
    assert groupconv.get_memory_budget() == 2 * 1024**3
    # an explicit setting takes precedence over the environment
    with groupconv.memory_budget("3GiB"):
        assert groupconv.get_memory_budget() == 3 * 1024**3
    assert groupconv.get_memory_budget() == 2 * 1024**3


def test_check_memory_message_names_estimate_budget_hint_and_remedy():
    with groupconv.memory_budget("1MiB"):
        check_memory(1024**2, "exactly the budget", "nothing")  # at the budget: accepted
        with pytest.raises(MemoryBudgetError) as info:
            check_memory(3 * 1024**3 + 1, "the big table", "use a smaller table")
    e = info.value
    assert isinstance(e, MemoryError) and isinstance(e, ValueError)
    assert e.nbytes == 3 * 1024**3 + 1 and e.budget == 1024**2 and e.what == "the big table"
    msg = str(e)
    for part in (
        "the big table",
        "3 GiB",
        "1 MiB",
        "use a smaller table",
        "memory_budget('4GiB')",
        ENV_VARIABLE,
    ):
        assert part in msg


def test_unlimited_budget_accepts_anything():
    with groupconv.memory_budget("unlimited"):
        check_memory(1e30, "anything", "nothing")


def test_low_budget_makes_a_small_change_of_basis_refuse():
    # a fresh group: the change of basis is computed on first use, here 24 * 97^2 bytes (about 220 KiB)
    rep = regular(Cyclic(97))
    with groupconv.memory_budget("64KiB"):
        with pytest.raises(MemoryBudgetError, match=r"change of basis of C97\[regular\].*rep\.act"):
            _ = rep.change_of_basis
    # refusing left nothing half-built: the default budget builds it
    q = rep.change_of_basis
    assert q.shape == (97, 97)


def test_low_budget_makes_a_small_layer_refuse_and_the_default_builds_it():
    G = Dihedral(4)
    ft_in = FieldType(G, [irrep(G, 0, 0)] * 2)
    ft_out = FieldType(G, [irrep(G, 1, 1)] * 2)
    with groupconv.memory_budget("4KiB"), pytest.raises(MemoryBudgetError, match="kernel_size"):
        SteerableConv2d(ft_in, ft_out, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conv = SteerableConv2d(ft_in, ft_out, 9)
    assert conv(torch.randn(1, 2, 9, 9)).shape == (1, 4, 1, 1)


def test_dense_matrices_are_budgeted():
    rep = regular(Cyclic(64))
    g = Cyclic(64).elements()
    with (
        groupconv.memory_budget("100KiB"),
        pytest.raises(MemoryBudgetError, match="64 dense 64 x 64 matrices"),
    ):
        rep(g)
    assert rep(g).shape == (64, 64, 64)


def test_docstring_examples():
    import doctest

    import groupconv.utils.memory

    result = doctest.testmod(groupconv.utils.memory, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
