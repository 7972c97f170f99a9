"""Groups from their names.

:func:`group_from_name` parses the names that groups print (``Group.name``):

- ``"C<n>"`` cyclic, ``"D<n>"`` dihedral, ``"S<n>"`` symmetric;
- ``"SO2"``, ``"O2"``, ``"SO3"``, ``"O3"``;
- the polyhedral groups ``"O"``, ``"Oh"``, ``"I"``, ``"Ih"`` (a letter ``O`` or ``I`` followed by a digit
  is not one of them: ``"O2"``, ``"O3"`` are the orthogonal groups);
- products ``"<A>x<B>"`` (also ``"<A>×<B>"``), left-associative, with parentheses for grouping:
  ``"C4xC2xC3"`` is ``(C4 x C2) x C3`` and prints as ``"(C4xC2)xC3"``.

Names are read in any case: ``"so3"``, ``"oh"``, ``"d4xc2"`` are ``SO3``, ``Oh``, ``D4xC2``.

Examples
--------
>>> group_from_name("(C4xC2)xS3").order
48
>>> group_from_name("oh"), group_from_name("so3"), group_from_name("d4Xc2")
(Oh, SO3, D4xC2)
"""

from __future__ import annotations

import re

from .base import Group
from .planar import O2, SO2, Cyclic, Dihedral
from .polyhedral import FullIcosahedral, FullOctahedral, Icosahedral, Octahedral
from .product import DirectProduct
from .spatial import O3, SO3
from .symmetric import Symmetric

__all__ = ["group_from_name"]

_TOKEN = re.compile(r"\s*(SO3|SO2|O3|O2|Oh|Ih|O(?!\d)|I(?!\d)|[CDS]\d+|[x×()])", re.IGNORECASE)
_CANONICAL = {"so3": "SO3", "so2": "SO2", "o3": "O3", "o2": "O2", "oh": "Oh", "ih": "Ih", "o": "O", "i": "I"}


def _canonical(tok: str) -> str:
    """The printed spelling of a token matched in any case (``so3`` -> ``SO3``, ``oh`` -> ``Oh``)."""
    low = tok.lower()
    if low in _CANONICAL:
        return _CANONICAL[low]
    if low == "x":
        return "x"
    return tok[0].upper() + tok[1:] if tok[0].isalpha() else tok


_POLYHEDRAL = {"O": Octahedral, "Oh": FullOctahedral, "I": Icosahedral, "Ih": FullIcosahedral}


def _atom(tok: str) -> Group:
    if tok == "SO2":
        return SO2()
    if tok == "O2":
        return O2()
    if tok == "SO3":
        return SO3()
    if tok == "O3":
        return O3()
    if tok in _POLYHEDRAL:
        return _POLYHEDRAL[tok]()
    kind, n = tok[0], int(tok[1:])
    return {"C": Cyclic, "D": Dihedral, "S": Symmetric}[kind](n)


def group_from_name(name: str) -> Group:
    """The group with the printed name ``name`` (see the module docstring for the grammar).

    Examples
    --------
    >>> group_from_name("C4xC2")
    C4xC2
    >>> group_from_name("S4").order
    24

    Raises
    ------
    ValueError
        on a name that is not in the grammar (the message names the offending position).
    """
    if not isinstance(name, str):
        raise TypeError(f"group_from_name takes a string, got {type(name).__name__}")
    tokens: list[tuple[str, int]] = []
    pos = 0
    text = name.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(
                f"cannot parse group name {name!r} at position {pos} ({text[pos:]!r}); expected one of "
                "C<n>, D<n>, S<n>, SO2, O2, SO3, O3, O, Oh, I, Ih, a product A x B, or parentheses"
            )
        tokens.append((_canonical(m.group(1)), m.start(1)))
        pos = m.end()
    if not tokens:
        raise ValueError("group name is empty")
    i = 0

    def fail(msg: str):
        raise ValueError(f"cannot parse group name {name!r}: {msg}")

    def factor() -> Group:
        nonlocal i
        if i >= len(tokens):
            fail("unexpected end of name")
        tok, at = tokens[i]
        if tok == "(":
            i += 1
            g = product()
            if i >= len(tokens) or tokens[i][0] != ")":
                fail(f"missing ')' for the '(' at position {at}")
            i += 1
            return g
        if tok in ("x", "×", ")"):
            fail(f"unexpected {tok!r} at position {at}")
        i += 1
        return _atom(tok)

    def product() -> Group:
        nonlocal i
        g = factor()
        while i < len(tokens) and tokens[i][0] in ("x", "×"):
            i += 1
            g = DirectProduct(g, factor())
        return g

    g = product()
    if i != len(tokens):
        fail(f"unexpected {tokens[i][0]!r} at position {tokens[i][1]}")
    return g
