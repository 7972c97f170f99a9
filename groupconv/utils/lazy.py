"""Heavy optional-at-import dependencies loaded on first use.

``sympy`` (about 0.3 s to import) and ``scipy.linalg`` (about 0.2 s) serve the exact representation theory
and a few constructions, not the forward pass of a layer. Modules that need them write
``from groupconv.utils.lazy import sympy`` and use ``sympy.Matrix`` and the like in their function bodies;
the real module is imported the first time an attribute is read, so ``import groupconv.nn`` does not pay
for it.

Examples
--------
>>> from groupconv.utils.lazy import LazyModule
>>> math_mod = LazyModule("math")
>>> math_mod.sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule", "sympy", "scipy_linalg"]


class LazyModule:
    """A stand-in for the module ``name`` that imports it on the first attribute read.

    Parameters
    ----------
    name : str
        The dotted module name, as given to :func:`importlib.import_module`.
    """

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"LazyModule takes a module name, got {name!r}")
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_module", None)

    def load(self) -> ModuleType:
        """The module itself (imported now if it was not yet)."""
        module = object.__getattribute__(self, "_module")
        if module is None:
            module = importlib.import_module(object.__getattribute__(self, "_name"))
            object.__setattr__(self, "_module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.load(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"cannot set {attr!r} on the lazily imported module {self._name!r}")

    def __dir__(self) -> list[str]:
        return dir(self.load())

    def __repr__(self) -> str:
        state = "loaded" if object.__getattribute__(self, "_module") is not None else "not loaded yet"
        return f"<lazy module {object.__getattribute__(self, '_name')!r} ({state})>"


sympy = LazyModule("sympy")
scipy_linalg = LazyModule("scipy.linalg")
