"""Reproductions of published results, each runnable as ``groupconv reproduce NAME``.

A reproduction is a function ``fn(options: Options) -> Result`` registered under a name. The built-in
ones are listed in :data:`BUILTIN` as ``"module:function"`` strings and imported on first use, so that
listing them costs nothing. To add one (for example ``phase-collapse``):

1. write ``groupconv/reproduce/phase_collapse.py`` with ``def run(options: Options) -> Result``, which
   honours ``options.smoke`` (a CI-sized run of a few seconds), ``options.device``, ``options.seed`` and
   ``options.quiet`` (wrap loops in :func:`groupconv.utils.progress.progress`), and returns its table and
   figures;
2. add ``"phase-collapse": "groupconv.reproduce.phase_collapse:run"`` to :data:`BUILTIN`, or call
   ``register("phase-collapse", run)`` at run time from any package.

:func:`run` then writes ``results.md``, ``results.json`` and the figures (when matplotlib is installed)
to ``options.out``.

>>> "cbn" in available()
True
>>> print(markdown_table([{"depth": 2, "regions": 16}, {"depth": 3, "regions": 64}]))
| depth | regions |
| --- | --- |
| 2 | 16 |
| 3 | 64 |
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..utils.table import format_table

__all__ = [
    "Options",
    "Result",
    "BUILTIN",
    "register",
    "available",
    "get",
    "run",
    "markdown_table",
    "text_table",
]

BUILTIN: dict[str, str] = {
    "cbn": "groupconv.reproduce.cbn:run",
    "linear-regions": "groupconv.reproduce.linear_regions:run",
    "backprop": "groupconv.reproduce.backprop:run",
    "dcfnet": "groupconv.reproduce.dcfnet:run",
    "phase-collapse": "groupconv.reproduce.phase_collapse:run",
    "tetris": "groupconv.reproduce.tetris:run",
}

_REGISTRY: dict[str, Callable] = {}


@dataclass
class Options:
    """Options shared by every reproduction.

    Attributes
    ----------
    smoke : bool
        A small version (seconds, for CI) instead of the full one.
    out : pathlib.Path
        Folder for ``results.md``, ``results.json`` and figures.
    device : str
        ``"cpu"`` or ``"cuda"``.
    seed : int
    quiet : bool
        No progress bars.
    data_root : pathlib.Path or None
        A local dataset folder for the reproductions that can run at full size on one (for example
        CIFAR-10 for ``phase-collapse``); ``None`` uses the data available offline.
    """

    smoke: bool = False
    out: Path = Path("results")
    device: str = "cpu"
    seed: int = 0
    quiet: bool = False
    data_root: Path | None = None


@dataclass
class Result:
    """What a reproduction returns: a title, the paper, one or more tables, notes and figures.

    ``tables`` maps a table name to its rows (dicts with the same keys); ``figures`` maps a file name to a
    function ``f(path)`` that draws and saves the figure (called only when matplotlib is available).
    """

    name: str
    title: str
    paper: str
    tables: dict[str, list[dict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Callable[[Path], None]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", "", f"Paper: {self.paper}", ""]
        if self.settings:
            lines += ["Settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()), ""]
        for tname, rows in self.tables.items():
            lines += [f"## {tname}", "", markdown_table(rows), ""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "paper": self.paper,
            "settings": self.settings,
            "tables": self.tables,
            "notes": self.notes,
        }


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table from a list of dicts (columns from the first row)."""
    if not rows:
        return "(empty)"
    cols = list(rows[0].keys())
    out = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    out += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def text_table(rows: list[dict], width: int | None = None) -> str:
    """The table of :func:`markdown_table` as plain text fitted to ``width`` columns
    (:func:`groupconv.utils.table.format_table`), as ``groupconv reproduce`` prints it.

    >>> print(text_table([{"depth": 2, "regions": 16}, {"depth": 3, "regions": 64}]))
    depth  regions
    -----  -------
    2      16
    3      64
    """
    if not rows:
        return "(empty)"
    cols = list(rows[0].keys())
    return format_table(cols, [[_fmt(r.get(c, "")) for c in cols] for r in rows], width)


def register(name: str, fn: Callable[[Options], Result]) -> None:
    """Register (or replace) the reproduction ``name``."""
    if not callable(fn):
        raise TypeError(f"expected a callable fn(options) -> Result, got {type(fn).__name__}")
    _REGISTRY[name] = fn


def available() -> list[str]:
    """Names of all reproductions (built-in and registered)."""
    return sorted(set(BUILTIN) | set(_REGISTRY))


def get(name: str) -> Callable[[Options], Result]:
    """The reproduction function registered under ``name``."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name not in BUILTIN:
        raise ValueError(f"unknown reproduction {name!r}; available: {', '.join(available())}")
    module, func = BUILTIN[name].split(":")
    return getattr(importlib.import_module(module), func)


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def run(name: str, options: Options | None = None) -> Result:
    """Run the reproduction ``name`` and write its results to ``options.out``.

    Under ``torchrun`` the process group is joined first, every rank runs the reproduction (its training
    loops are data-parallel) and rank 0 writes the results.
    """
    options = options or Options()
    if options.device not in ("cpu", "cuda") and not str(options.device).startswith("cuda:"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {options.device!r}")
    if str(options.device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but CUDA is not available")
    from ..analysis.train import init_distributed

    # under torchrun every rank runs the reproduction (training is data-parallel); rank 0 writes
    info = init_distributed()
    if info.distributed and options.device == "cuda":
        options.device = f"cuda:{info.local_rank}"
    result = get(name)(options)
    if info.rank != 0:
        return result
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    result.settings.setdefault("smoke", options.smoke)
    result.settings.setdefault("seed", options.seed)
    result.settings.setdefault("device", options.device)
    (out / "results.md").write_text(result.to_markdown())
    (out / "results.json").write_text(json.dumps(result.to_json(), indent=2, default=_json_default))
    if result.figures:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            warnings.warn("matplotlib is not installed: figures skipped", stacklevel=2)
        else:
            import matplotlib.pyplot as plt

            for fname, draw in result.figures.items():
                draw(out / fname)
                plt.close("all")
    return result
