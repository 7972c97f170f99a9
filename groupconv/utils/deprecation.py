"""Renamed keyword parameters that keep working for one release.

:func:`renamed_keywords` wraps a function (or method) whose parameters were renamed: a call with an old
keyword name is forwarded to the new one with a :class:`DeprecationWarning` naming both, and
``inspect.signature`` of the wrapped function shows only the new names.

Examples
--------
>>> import inspect, warnings
>>> @renamed_keywords(G="group")
... def order(group):
...     return len(group)
>>> inspect.signature(order)
<Signature (group)>
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     order(G=[0, 1, 2])
3
>>> print(caught[0].message)
order(): the keyword 'G' is deprecated, use 'group'
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import TypeVar

__all__ = ["renamed_keywords"]

F = TypeVar("F", bound=Callable)


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Decorator: accept the old keyword ``old`` of every ``old="new"`` pair for the parameter ``new``.

    Parameters
    ----------
    **renames:
        ``old_name="new_name"`` for each renamed parameter.

    Returns
    -------
    A decorator. The wrapped function warns with a :class:`DeprecationWarning` (pointing at the caller)
    when called with an old keyword and forwards the value to the new one; positional calls and calls
    with the new names are untouched.

    Raises
    ------
    TypeError
        at decoration time when a new name is not a parameter of the function or an old name still is
        one; at call time when both the old and the new keyword are given.
    """
    for old, new in renames.items():
        if not isinstance(new, str) or not new.isidentifier():
            raise TypeError(f"renamed_keywords maps old names to new parameter names, got {old}={new!r}")

    def decorate(fn: F) -> F:
        params = inspect.signature(fn).parameters
        for old, new in renames.items():
            if new not in params:
                raise TypeError(f"{fn.__qualname__} has no parameter {new!r} to rename {old!r} to")
            if old in params:
                raise TypeError(
                    f"{fn.__qualname__} still has the parameter {old!r} that is renamed to {new!r}"
                )
        # a constructor is named by its class, as the caller wrote it
        name = fn.__qualname__.removesuffix(".__init__").removesuffix(".__new__")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{name}() got the keyword {new!r} and its deprecated name {old!r}; "
                            f"pass only {new!r}"
                        )
                    warnings.warn(
                        f"{name}(): the keyword {old!r} is deprecated, use {new!r}",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
