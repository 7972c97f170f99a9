"""MkDocs hook: formulas rendered to MathML when the site is built, so that they display without
JavaScript and without a network connection.

``pymdownx.arithmatex`` (generic mode) protects ``$...$``, ``$$...$$``, ``\\(...\\)`` and ``\\[...\\]`` from
Markdown and wraps them in ``<span class="arithmatex">`` / ``<div class="arithmatex">``; this hook replaces
each wrapper by the MathML that ``latex2mathml`` produces (inline, or ``display="block"``). Every current
browser renders MathML Core natively. A formula that does not convert fails the build, naming the page and
the formula, so that no raw LaTeX reaches a reader.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

_SPAN = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_DIV = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


class MathConversionError(ValueError):
    """A formula that latex2mathml cannot convert."""


def to_mathml(latex: str, display: bool) -> str:
    """The MathML of one formula (its LaTeX as written in the page, HTML entities decoded)."""
    source = html.unescape(latex).strip()
    try:
        out = convert(source, display="block" if display else "inline")
    except Exception as e:  # latex2mathml raises several exception types on bad input
        raise MathConversionError(f"cannot render the formula {source!r}: {e}") from e
    if "<math" not in out:
        raise MathConversionError(f"cannot render the formula {source!r}")
    return out


def render_math(text: str, where: str = "") -> str:
    """``text`` (HTML from Markdown with arithmatex) with every formula replaced by MathML."""
    try:
        text = _DIV.sub(lambda m: f'<div class="math-display">{to_mathml(m[1], True)}</div>', text)
        return _SPAN.sub(lambda m: to_mathml(m[1], False), text)
    except MathConversionError as e:
        raise MathConversionError(f"{where}: {e}" if where else str(e)) from None


def on_page_content(html_text: str, page, config, files) -> str:
    """MkDocs hook: render the page's formulas."""
    return render_math(html_text, page.file.src_path)
