"""The on-disk cache of derived tables: a user cache directory, validated reads, atomic writes.

Directory: ``$GROUPCONV_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/groupconv`` (when that is an absolute
path, as the XDG specification requires), else ``~/.cache/groupconv`` when the home directory resolves to
an existing absolute path. Never site-packages, never a path relative to the working directory by
accident (an unset ``HOME`` does not become a literal ``./~``). When no usable directory exists (it is a
file, it cannot be created or written, there is no home) the tables are kept in memory only and one
:class:`CacheWarning` says why.

Entries are ``.npz`` files of named arrays, parsed with ``numpy.load(allow_pickle=False)`` (never
unpickled). A read accepts only a regular file (a FIFO, a device or a directory in its place is skipped
without being opened for a blocking read), checks the key stored with the arrays (everything that can
change the result), every array's shape and dtype, finiteness, and then the caller's mathematical check;
anything else is recomputed, with a :class:`CacheWarning`, and replaced. Writes go to a temporary file
in the same directory, moved into place with ``os.replace``, so a reader never sees half a file.

>>> import os, tempfile
>>> import numpy as np
>>> os.environ["GROUPCONV_CACHE_DIR"] = tempfile.mkdtemp()
>>> spec = {"w": ((3,), np.float64)}
>>> first = cached_arrays("demo/w.npz", "weights v1", spec, lambda: {"w": np.array([1.0, 2.0, 3.0])})
>>> again = cached_arrays("demo/w.npz", "weights v1", spec, lambda: {"w": np.zeros(3)})  # read back
>>> again["w"].tolist()
[1.0, 2.0, 3.0]
>>> del os.environ["GROUPCONV_CACHE_DIR"]
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

__all__ = ["CacheWarning", "cache_dir", "cached_arrays", "load_arrays", "store_arrays"]

ENV_VAR = "GROUPCONV_CACHE_DIR"

# the largest entry read back; a bigger file is not a table this library wrote
_MAX_BYTES = 256 * 2**20

# directories already warned about, so that a process warns once per unusable directory
_warned: set[str] = set()


class CacheWarning(UserWarning):
    """The on-disk cache cannot be used as is: an entry was invalid, or nothing can be written."""


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, CacheWarning, stacklevel=3)


def _candidate() -> tuple[Path | None, str]:
    """The configured cache directory and where it came from, or ``None`` and the reason there is none."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(os.path.abspath(os.path.expanduser(override))), f"${ENV_VAR}"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "groupconv", "$XDG_CACHE_HOME"
    home = os.path.expanduser("~")
    # expanduser returns "~" unchanged when no home is known; a relative or missing home is not one
    if not os.path.isabs(home) or not os.path.isdir(home):
        return None, f"no home directory ({home!r}) and neither ${ENV_VAR} nor $XDG_CACHE_HOME is set"
    return Path(home) / ".cache" / "groupconv", "the home directory"


def cache_dir() -> Path | None:
    """The cache directory, created if needed, or ``None`` when none is usable (memory only).

    ``$GROUPCONV_CACHE_DIR`` overrides the default, which is ``$XDG_CACHE_HOME/groupconv``
    (``~/.cache/groupconv`` when ``XDG_CACHE_HOME`` is unset or relative). A directory that cannot be
    created or written gives ``None`` and one :class:`CacheWarning`.
    """
    path, origin = _candidate()
    if path is None:
        _warn_once(f"none:{origin}", f"groupconv cache disabled (tables kept in memory only): {origin}")
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
        usable = path.is_dir() and os.access(path, os.W_OK | os.X_OK)
        reason = "not a writable directory"
    except OSError as e:
        usable, reason = False, f"{type(e).__name__}: {e.strerror or e}"
    if not usable:
        _warn_once(
            str(path),
            f"groupconv cache disabled (tables kept in memory only): {path} (from {origin}) is unusable: "
            f"{reason}",
        )
        return None
    return path


def _read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``_MAX_BYTES``; ``None`` if it is missing.

    Raises ``ValueError`` naming what is there instead of a regular file.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError("not a regular file")
    # O_NONBLOCK: if a FIFO replaced the file since the stat, opening it must not wait for a writer
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > _MAX_BYTES:
            raise ValueError(f"{st.st_size} bytes, more than any table written here")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def _parse(
    data: bytes, key: str, spec: Mapping[str, tuple[tuple[int, ...], np.dtype | type]]
) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` entry, checked against ``key`` and ``spec`` (name -> shape, dtype)."""
    # the bytes come from outside the process: any failure to parse them means a bad entry
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except Exception as e:  # zipfile, zlib, numpy and OS errors alike
        raise ValueError(f"unreadable ({type(e).__name__}: {e})") from e
    stored = arrays.pop("__key__", None)
    if stored is None or stored.shape != () or str(stored) != key:
        raise ValueError(f"key {None if stored is None else str(stored)!r} is not {key!r}")
    for name, (shape, dtype) in spec.items():
        a = arrays.get(name)
        if a is None:
            raise ValueError(f"no array {name!r}")
        expected = np.dtype(dtype)
        # a string dtype is checked by kind: its item length depends on the longest entry
        same = a.dtype.kind == "U" if expected.kind == "U" else a.dtype == expected
        if not same or a.shape != tuple(shape):
            raise ValueError(f"{name!r} is {a.dtype} {a.shape}, expected {expected} {tuple(shape)}")
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise ValueError(f"{name!r} has non-finite entries")
    return {name: arrays[name] for name in spec}


def load_arrays(
    name: str,
    key: str,
    spec: Mapping[str, tuple[tuple[int, ...], np.dtype | type]],
    validate: Callable[[dict[str, np.ndarray]], str | None] | None = None,
) -> dict[str, np.ndarray] | None:
    """The entry ``name`` (a relative path) read back and validated, or ``None`` (then recompute).

    Parameters
    ----------
    name
        Path of the entry under :func:`cache_dir`, e.g. ``"clebsch_gordan/so3_v2_1_1_2.npz"``.
    key
        Everything that can change the stored values, as a string stored with the arrays; an entry
        with another key is invalid.
    spec
        The arrays the entry must hold: name -> (shape, dtype).
    validate
        The caller's mathematical check of the arrays: ``None`` if they are right, else the reason.

    Notes
    -----
    A missing entry, or no usable cache directory, gives ``None`` silently; an invalid one gives
    ``None`` and a :class:`CacheWarning` naming the file and the reason.
    """
    root = cache_dir()
    if root is None:
        return None
    path = root / name
    try:
        data = _read_regular(path)
        if data is None:
            return None
        arrays = _parse(data, key, spec)
        reason = validate(arrays) if validate is not None else None
    except (OSError, ValueError) as e:
        reason = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e.strerror or e}"
    if reason is None:
        return arrays
    warnings.warn(
        f"groupconv cache entry {path} is invalid ({reason}); recomputing and replacing it",
        CacheWarning,
        stacklevel=2,
    )
    return None


def store_arrays(name: str, key: str, arrays: Mapping[str, np.ndarray]) -> bool:
    """Write the entry ``name`` atomically (temporary file, then ``os.replace``); ``True`` if written.

    A failed write leaves the cache as it was and gives one :class:`CacheWarning` per directory.
    """
    root = cache_dir()
    if root is None:
        return False
    path = root / name
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __key__=np.array(key), **{k: np.asarray(v) for k, v in arrays.items()})
        os.replace(tmp, path)
        return True
    except OSError as e:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)
        _warn_once(
            f"write:{path.parent}",
            f"groupconv cache: cannot write {path} ({type(e).__name__}: {e.strerror or e}); "
            "tables are kept in memory only",
        )
        return False


def cached_arrays(
    name: str,
    key: str,
    spec: Mapping[str, tuple[tuple[int, ...], np.dtype | type]],
    compute: Callable[[], dict[str, np.ndarray]],
    validate: Callable[[dict[str, np.ndarray]], str | None] | None = None,
) -> dict[str, np.ndarray]:
    """The arrays of entry ``name``: read back and validated (:func:`load_arrays`), else computed with
    ``compute()`` and stored (:func:`store_arrays`)."""
    arrays = load_arrays(name, key, spec, validate)
    if arrays is None:
        arrays = compute()
        store_arrays(name, key, arrays)
    return arrays
