"""User cache directory for derived tables (never written into site-packages)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Return the cache directory, creating it if needed.

    ``$GROUPCONV_CACHE_DIR`` overrides the default, which is ``$XDG_CACHE_HOME/groupconv``
    (``~/.cache/groupconv`` when ``XDG_CACHE_HOME`` is unset).
    """
    override = os.environ.get("GROUPCONV_CACHE_DIR")
    if override:
        path = Path(override)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "groupconv"
    path.mkdir(parents=True, exist_ok=True)
    return path
