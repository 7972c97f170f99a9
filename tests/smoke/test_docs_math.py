"""The documentation's formulas render offline: every formula of every page converts to MathML with the
build hook (docs_hooks/math.py), and the site loads no script from the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import markdown
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md"))


def _hook():
    spec = importlib.util.spec_from_file_location("docs_math_hook", ROOT / "docs_hooks" / "math.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _hook()


def _html(text: str) -> str:
    return markdown.markdown(
        text,
        extensions=["pymdownx.arithmatex", "pymdownx.superfences", "admonition", "tables"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )


def test_every_formula_of_every_page_renders_to_mathml():
    total = 0
    for page in PAGES:
        html = _html(page.read_text())
        n = html.count('class="arithmatex"')
        out = HOOK.render_math(html, str(page.relative_to(ROOT)))
        assert 'class="arithmatex"' not in out, page
        assert out.count("<math") == n, page
        total += n
    assert total > 100  # the pages do use formulas: the test is not vacuous


def test_inline_and_display_formulas():
    out = HOOK.render_math(_html("the group $\\rho(g) \\in O(d)$ and\n\n$$\n\\sum_l (2l+1)^2\n$$\n"))
    assert out.count("<math ") == 2
    assert 'display="inline"' in out and 'display="block"' in out
    assert "<mi>&#x003C1;</mi>" in out  # rho


def test_a_formula_that_does_not_convert_fails_naming_the_page():
    with pytest.raises(HOOK.MathConversionError, match=r"page\.md: cannot render the formula"):
        HOOK.render_math(_html("broken $\\frac{1}{$ here"), "page.md")


def test_the_site_loads_no_script_from_the_network():
    config = (ROOT / "mkdocs.yml").read_text()
    assert "docs_hooks/math.py" in config
    assert "http://" not in config and "https://" not in config
    for page in PAGES:
        text = page.read_text()
        assert "<script" not in text, page
