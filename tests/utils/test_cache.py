"""The on-disk cache: where it lives, round trips, keys, validation and the compute-once path. Hostile
files (FIFOs, truncated or pickled entries, unwritable directories) are in tests/catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from groupconv.utils import cache

SPEC = {"a": ((2, 3), np.float64), "n": ((4,), np.int64)}


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "c"))
    return tmp_path / "c"


def _arrays():
    return {"a": np.arange(6, dtype=np.float64).reshape(2, 3) / 7, "n": np.arange(4, dtype=np.int64)}


def test_cache_dir_follows_the_environment(cache_root):
    assert cache.cache_dir() == cache_root


def test_round_trip_is_exact(cache_root):
    assert cache.store_arrays("t/x.npz", "k1", _arrays())
    back = cache.load_arrays("t/x.npz", "k1", SPEC)
    assert back is not None
    for name, value in _arrays().items():
        assert back[name].dtype == value.dtype
        np.testing.assert_array_equal(back[name], value)
    assert not list((cache_root / "t").glob("*.tmp")), "the temporary file was not moved into place"


def test_missing_entry_is_none_without_warning(cache_root, recwarn):
    assert cache.load_arrays("t/none.npz", "k", SPEC) is None
    assert not [w for w in recwarn if issubclass(w.category, cache.CacheWarning)]


def test_another_key_is_invalid(cache_root):
    cache.store_arrays("t/x.npz", "k1", _arrays())
    with pytest.warns(cache.CacheWarning, match="key"):
        assert cache.load_arrays("t/x.npz", "k2", SPEC) is None


def test_wrong_shape_is_invalid(cache_root):
    cache.store_arrays("t/x.npz", "k1", _arrays())
    spec = dict(SPEC, a=((3, 2), np.float64))
    with pytest.warns(cache.CacheWarning, match="invalid"):
        assert cache.load_arrays("t/x.npz", "k1", spec) is None


def test_caller_validation_rejects(cache_root):
    cache.store_arrays("t/x.npz", "k1", _arrays())
    with pytest.warns(cache.CacheWarning, match="not orthogonal"):
        assert cache.load_arrays("t/x.npz", "k1", SPEC, validate=lambda arrays: "not orthogonal") is None


def test_cached_arrays_computes_once_then_reads(cache_root):
    calls = []

    def compute():
        calls.append(1)
        return _arrays()

    first = cache.cached_arrays("t/y.npz", "k", SPEC, compute)
    second = cache.cached_arrays("t/y.npz", "k", SPEC, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["a"], second["a"])


def test_cached_arrays_recomputes_and_replaces_a_bad_entry(cache_root):
    cache.store_arrays("t/y.npz", "old", _arrays())
    fresh = {"a": np.ones((2, 3)), "n": np.zeros(4, dtype=np.int64)}
    with pytest.warns(cache.CacheWarning):
        out = cache.cached_arrays("t/y.npz", "new", SPEC, lambda: fresh)
    np.testing.assert_array_equal(out["a"], fresh["a"])
    np.testing.assert_array_equal(cache.load_arrays("t/y.npz", "new", SPEC)["a"], fresh["a"])
