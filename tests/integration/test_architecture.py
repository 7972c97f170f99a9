"""The architecture rules of docs/architecture.md, checked on the package as it is (the same code as
``python scripts/check_architecture.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _checker():
    spec = importlib.util.spec_from_file_location(
        "check_architecture", ROOT / "scripts" / "check_architecture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()


@pytest.mark.parametrize("title", list(CHECKER.RULES))
def test_rule_holds(title):
    found = CHECKER.RULES[title]()
    assert not found, f"{title}:\n" + "\n".join(found)


def test_the_checker_finds_what_it_looks_for(tmp_path, monkeypatch):
    # a planted package breaking every rule: the checker must name each breach
    pkg = tmp_path / "groupconv"
    (pkg / "alpha").mkdir(parents=True)
    (pkg / "beta").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "alpha" / "__init__.py").write_text("")
    (pkg / "beta" / "__init__.py").write_text("")
    (pkg / "alpha" / "long.py").write_text("x = 1\n" * (CHECKER.MAX_LINES + 1))
    (pkg / "alpha" / "_hidden.py").write_text("def _secret():\n    return 1\n")
    (pkg / "beta" / "user.py").write_text("from ..alpha._hidden import _secret\n")
    (pkg / "beta" / "probe.py").write_text("def f(x):\n    return getattr(x, '_secret', None)\n")
    monkeypatch.setattr(CHECKER, "ROOT", tmp_path)
    monkeypatch.setattr(CHECKER, "PKG", pkg)
    assert any("long.py" in line for line in CHECKER.long_modules())
    crossings = CHECKER.private_crossings()
    assert any("user.py" in line and "_hidden" in line for line in crossings)
    assert any("probe.py" in line and "_secret" in line for line in crossings)
    missing = CHECKER.missing_test_modules()
    assert any("tests/alpha/test_long.py" in line for line in missing)
    assert any("tests/beta/test_user.py" in line for line in missing)
