"""The registry of reproductions (groupconv.reproduce): registering, listing, running, unknown names,
and the Markdown table."""

from __future__ import annotations

import pytest

from groupconv import reproduce


def test_registry_is_open(tmp_path):
    def tiny(options):
        return reproduce.Result("tiny", "Tiny", "nobody", tables={"t": [{"a": 1, "b": 2.5}]})

    reproduce.register("tiny-test", tiny)
    try:
        assert "tiny-test" in reproduce.available()
        res = reproduce.run("tiny-test", reproduce.Options(smoke=True, out=tmp_path))
        assert res.tables["t"][0]["a"] == 1
        assert "| 1 | 2.5 |" in (tmp_path / "results.md").read_text()
    finally:
        reproduce._REGISTRY.pop("tiny-test")
    with pytest.raises(ValueError, match="unknown reproduction"):
        reproduce.get("no-such-thing")


def test_builtin_reproductions_are_listed_without_importing_them():
    assert set(reproduce.BUILTIN) <= set(reproduce.available())
    assert {"cbn", "linear-regions", "backprop", "dcfnet", "phase-collapse"} <= set(reproduce.BUILTIN)
    assert reproduce.markdown_table([{"a": 1, "b": "x"}]).splitlines()[:2] == ["| a | b |", "| --- | --- |"]
