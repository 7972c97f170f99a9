"""Parse the compact printable form of representations back into objects.

The form is ``GROUP[TERM + TERM + ...]`` with ``TERM = [N x ]ATOM`` and ``ATOM`` one of

- ``trivial``, ``regular``, ``standard``,
- ``irrep(ID...)``: the irrep with that identifier (``irrep(1,1)`` of ``D4``, ``irrep(3,1)`` of ``S4``),
- the name of an irrep of a polyhedral group (``T1`` of ``O``, ``T1u`` of ``Oh``, as they print),
- ``quotient(H)``: the quotient representation on ``G/H`` (``H`` a group name with a standard inclusion),
- ``induced(H:ATOM)``: induced from an atom of the subgroup ``H``.

Example
-------
>>> from groupconv.reps import parse_representation
>>> rho = parse_representation("D4[2 x regular + irrep(1,1)]")
>>> rho.dim
18
>>> parse_representation(repr(rho)) == rho
True
"""

from __future__ import annotations

import ast

from ..groups.base import Group
from ..groups.polyhedral import PolyhedralGroup
from ..groups.registry import group_from_name
from .irreps import irrep, irreps
from .operations import induced, standard, trivial
from .permutation import quotient, regular
from .representation import Representation, directsum

__all__ = ["parse_representation", "parse_atom"]


def _split_top(s: str, sep: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out]


def parse_atom(group: Group, text: str) -> Representation:
    """Parse one atom (``regular``, ``irrep(1,1)``, ...) of ``group``."""
    t = text.strip()
    if t == "trivial":
        return trivial(group)
    if t == "regular":
        return regular(group)
    if t == "standard":
        return standard(group)
    if t.endswith(")") and "(" in t:
        head, inner = t[: t.index("(")], t[t.index("(") + 1 : -1]
        if head == "irrep":
            try:
                args = ast.literal_eval(f"({inner},)")
            except (ValueError, SyntaxError) as e:
                raise ValueError(f"cannot read the irrep identifier in {t!r}") from e
            return irrep(group, *args)
        if head == "quotient":
            return quotient(group, group_from_name(inner))
        if head == "induced":
            sub, _, atom = inner.partition(":")
            h = group_from_name(sub)
            return induced(group, h, parse_atom(h, atom))
    if isinstance(group, PolyhedralGroup):
        named = [ir for ir in irreps(group) if ir.name == t]
        if named:
            return named[0]
    raise ValueError(
        f"unknown representation atom {text!r}: expected trivial, regular, standard, irrep(...), "
        "quotient(H), induced(H:atom) or the name of an irrep of a polyhedral group (T1)"
    )


def parse_representation(text: str, group: Group | None = None) -> Representation:
    """Parse ``"D4[16 x regular + 4 x irrep(1,1)]"`` (the form printed by ``repr``)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_representation takes a string, got {type(text).__name__}")
    s = text.strip()
    if not (s.endswith("]") and "[" in s):
        raise ValueError(f"expected GROUP[TERM + ...], got {text!r}")
    gname, body = s[: s.index("[")].strip(), s[s.index("[") + 1 : -1]
    g = group_from_name(gname) if group is None else group
    if group is not None and gname and gname != group.name:
        raise ValueError(f"the string names group {gname}, but group {group} was given")
    reps: list[Representation] = []
    for term in _split_top(body, "+"):
        if not term:
            continue
        count, atom = 1, term
        head, sep, rest = term.partition(" x ")
        if sep and head.strip().isdigit():
            count, atom = int(head), rest
        reps.extend([parse_atom(g, atom)] * count)
    return directsum(*reps, group=g)
