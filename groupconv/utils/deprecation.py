"""Renamed keyword parameters and replaced constructor calls that keep working for one release.

:func:`renamed_keywords` wraps a function (or method) whose parameters were renamed: a call with an old
keyword name is forwarded to the new one with a :class:`DeprecationWarning` naming both, and
``inspect.signature`` of the wrapped function shows only the new names. :func:`accepts_channel_counts`
wraps the constructor of a layer built from field types so that the channel-count call it replaced still
builds the same layer, with a :class:`DeprecationWarning` naming ``from_channels``.

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

__all__ = ["accepts_channel_counts", "renamed_keywords"]

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


def accepts_channel_counts(
    legacy: Callable, is_legacy: Callable[[tuple, dict], bool], convert: Callable[[type, dict], tuple]
) -> Callable[[F], F]:
    """Decorator for the ``__init__(in_type, out_type, ...)`` of a layer whose constructor took channel
    counts before: a call that ``is_legacy(args, kwargs)`` recognizes is bound to the signature of
    ``legacy`` (a function standing for the old constructor, never called), turned into the new call by
    ``convert(cls, arguments) -> (args, kwargs)``, and warned about with a :class:`DeprecationWarning`
    naming ``from_channels``, which takes the old arguments. ``inspect.signature`` shows the new one."""
    old = inspect.signature(legacy)
    shown = ", ".join(list(old.parameters)[:3]) + ", ..."

    def decorate(init: F) -> F:
        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            if not is_legacy(args, kwargs):
                return init(self, *args, **kwargs)
            name = type(self).__name__
            warnings.warn(
                f"{name}({shown}) is deprecated; use {name}.from_channels({shown}) (the same arguments) or "
                f"{name}(in_type, out_type, ...)",
                DeprecationWarning,
                stacklevel=2,
            )
            bound = old.bind(*args, **kwargs)
            bound.apply_defaults()
            new_args, new_kwargs = convert(type(self), bound.arguments)
            return init(self, *new_args, **new_kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
