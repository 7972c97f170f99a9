"""Bad inputs to the on-disk cache: corrupt, wrong, planted or blocking entries and unusable directories.

Every test runs in a temporary directory with a monkeypatched environment; the user's cache is never read.
"""

from __future__ import annotations

import os
import pickle
import re
import threading

import numpy as np
import pytest

from groupconv.reps import clebsch_gordan_continuous as cg
from groupconv.reps import so3_clebsch_gordan
from groupconv.utils import cache as _cache
from groupconv.utils.cache import CacheWarning, cache_dir, load_arrays, store_arrays

BLOCK = (1, 1, 2)
NAME = "clebsch_gordan/so3_v2_1_1_2.npz"
KEY = "groupconv so3 real Clebsch-Gordan v2 (1, 1, 2)"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(root))
    monkeypatch.setattr(_cache, "_warned", set())
    # small blocks are computed in float64 and never stored: send this block through the disk cache
    monkeypatch.setattr(cg, "FLOAT_DEGREE", -1)
    cg._so3_block.cache_clear()
    yield root
    cg._so3_block.cache_clear()


def _reference() -> np.ndarray:
    return cg._compute_block(*BLOCK)["C"]


def _plant(root, **arrays) -> None:
    good = cg._compute_block(*BLOCK)
    good.update(arrays)
    path = root / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, __key__=np.array(KEY), **good)


def _fresh() -> np.ndarray:
    cg._so3_block.cache_clear()
    return so3_clebsch_gordan(*BLOCK)


def _stored(root) -> np.ndarray:
    with np.load(root / NAME, allow_pickle=False) as f:
        return f["C"]


def test_a_valid_entry_is_read_back_without_warning(isolated_cache, recwarn):
    c = _fresh()
    assert (isolated_cache / NAME).is_file()
    assert np.array_equal(_fresh(), c) and not [w for w in recwarn if w.category is CacheWarning]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda c, s: {"C": np.zeros_like(c)}, "signed square root"),
        (lambda c, s: {"C": np.where(c != 0, np.nan, 0.0)}, "non-finite"),
        (lambda c, s: {"C": 2 * c}, "signed square root"),
        # consistent with its own squares, but not orthonormal
        (lambda c, s: {"C": 2 * c, "signed_squares": _squares(4 * _signed_squares(s))}, "not orthonormal"),
        # orthonormal and consistent, but not an intertwiner: two rows of C exchanged
        (lambda c, s: {"C": c[[1, 0, 2]], "signed_squares": s[[1, 0, 2]]}, "does not intertwine"),
        (lambda c, s: {"C": c[:, :, :3]}, "expected float64 (3, 3, 5)"),
        (lambda c, s: {"C": c.astype(np.float32)}, "expected float64"),
        (lambda c, s: {"signed_squares": np.full(s.shape, "x/y")}, "do not parse"),
    ],
    ids=["zeros", "nan", "scaled", "scaled-consistently", "rows-exchanged", "shape", "dtype", "squares"],
)
def test_a_wrong_entry_is_recomputed_and_replaced(isolated_cache, change, reason):
    ref = cg._compute_block(*BLOCK)
    _plant(isolated_cache, **change(ref["C"], ref["signed_squares"]))
    with pytest.warns(CacheWarning, match=f"invalid .*{re.escape(reason)}.*recomputing and replacing"):
        c = _fresh()
    assert np.array_equal(c, ref["C"]) and np.array_equal(_stored(isolated_cache), ref["C"])


def _signed_squares(s: np.ndarray) -> np.ndarray:
    from fractions import Fraction

    return np.vectorize(lambda v: Fraction(str(v)), otypes=[object])(s)


def _squares(values: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: f"{v.numerator}/{v.denominator}", otypes=[object])(values).astype(str)


def test_an_entry_with_another_key_is_not_served(isolated_cache):
    ref = cg._compute_block(*BLOCK)
    path = isolated_cache / NAME
    path.parent.mkdir(parents=True)
    np.savez(path, __key__=np.array("groupconv so3 real Clebsch-Gordan v1 (1, 1, 2)"), **ref)
    with pytest.warns(CacheWarning, match="key .*v1.* is not"):
        assert np.array_equal(_fresh(), ref["C"])


def test_a_truncated_file_is_replaced_once(isolated_cache, recwarn):
    c = _fresh()
    path = isolated_cache / NAME
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(CacheWarning, match="unreadable"):
        assert np.array_equal(_fresh(), c)
    recwarn.clear()
    # the next run reads the replaced entry: no BadZipFile, no warning
    assert np.array_equal(_fresh(), c) and not [w for w in recwarn if w.category is CacheWarning]


def test_a_planted_pickle_is_never_unpickled(isolated_cache, tmp_path):
    marker = tmp_path / "payload_ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    obj = np.empty(1, dtype=object)
    obj[0] = Payload()
    path = isolated_cache / NAME
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        np.savez(fh, __key__=np.array(KEY), C=obj, signed_squares=obj)
    assert b"payload_ran" in path.read_bytes()  # the payload is really in the file
    with pytest.warns(CacheWarning, match="unreadable .*pickle"):
        assert np.array_equal(_fresh(), _reference())
    assert not marker.exists()
    # a bare pickle in place of the entry is not unpickled either
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.warns(CacheWarning, match="unreadable"):
        assert np.array_equal(_fresh(), _reference())
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_an_entry_does_not_hang(isolated_cache):
    path = isolated_cache / NAME
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    result, caught = {}, []

    def lookup():
        with pytest.warns(CacheWarning, match="not a regular file") as record:
            result["c"] = _fresh()
        caught.extend(record)

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the cache lookup blocked on a FIFO"
    assert caught and np.array_equal(result["c"], _reference())
    assert path.is_file()  # replaced by a regular entry


def test_a_directory_in_place_of_an_entry_falls_back_to_memory(isolated_cache):
    (isolated_cache / NAME).mkdir(parents=True)
    with pytest.warns(CacheWarning) as record:
        c = _fresh()
    messages = " ".join(str(w.message) for w in record)
    assert "not a regular file" in messages and "cannot write" in messages
    assert np.array_equal(c, _reference()) and (isolated_cache / NAME).is_dir()


def test_a_cache_path_that_is_a_file_means_memory_only(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(blocker))
    with pytest.warns(CacheWarning, match="memory only.*a_file.*GROUPCONV_CACHE_DIR.*unusable"):
        assert np.array_equal(_fresh(), _reference())
    assert blocker.read_text() == ""
    assert store_arrays("x.npz", "k", {"a": np.zeros(1)}) is False


def test_one_warning_per_unusable_directory(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(blocker / "sub"))
    with pytest.warns(CacheWarning):
        assert cache_dir() is None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache_dir() is None and load_arrays("x.npz", "k", {}) is None


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_directory_means_memory_only(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    monkeypatch.setenv("GROUPCONV_CACHE_DIR", str(ro))
    try:
        with pytest.warns(CacheWarning, match="not a writable directory"):
            assert np.array_equal(_fresh(), _reference())
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_a_directory_reported_unwritable_means_memory_only(tmp_path, monkeypatch):
    # the same branch as a read-only folder, reached as root too (root may write into read-only folders)
    monkeypatch.setattr(_cache.os, "access", lambda path, mode: False)
    with pytest.warns(CacheWarning, match="not a writable directory"):
        assert np.array_equal(_fresh(), _reference())
    assert not (tmp_path / "cache" / NAME).exists()


def test_no_home_means_memory_only_and_no_literal_tilde(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPCONV_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    # without HOME, expanduser asks the password database; an unknown user has no entry there
    import pwd

    def no_entry(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(CacheWarning, match="no home directory"):
        assert cache_dir() is None
        assert np.array_equal(_fresh(), _reference())
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize("home", ["relative/home", "/nonexistent/home/dir"])
def test_a_relative_or_missing_home_means_memory_only(tmp_path, monkeypatch, home):
    monkeypatch.delenv("GROUPCONV_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", home)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(CacheWarning, match="no home directory"):
        assert cache_dir() is None
    assert list(tmp_path.iterdir()) == [] and not os.path.exists(home)


def test_xdg_and_home_locations(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPCONV_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "groupconv"
    # a relative XDG_CACHE_HOME is invalid (XDG Base Directory specification) and ignored
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert cache_dir() == tmp_path / ".cache" / "groupconv"


def test_the_validation_hook_is_generic(isolated_cache):
    spec = {"q": ((2, 2), np.float64)}

    def orthogonal(arrays):
        q = arrays["q"]
        return None if np.allclose(q.T @ q, np.eye(2)) else "q is not orthogonal"

    assert store_arrays("toy/q.npz", "toy v1", {"q": np.eye(2)})
    assert np.array_equal(load_arrays("toy/q.npz", "toy v1", spec, orthogonal)["q"], np.eye(2))
    assert store_arrays("toy/q.npz", "toy v1", {"q": 3 * np.eye(2)})
    with pytest.warns(CacheWarning, match="toy/q.npz is invalid \\(q is not orthogonal\\)"):
        assert load_arrays("toy/q.npz", "toy v1", spec, orthogonal) is None
    # the write is atomic: no temporary file is left next to the entry
    assert [p.name for p in (isolated_cache / "toy").iterdir()] == ["q.npz"]
