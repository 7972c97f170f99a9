"""The help of the ``groupconv`` command (groupconv._cli_help): a description for every subcommand, help
for every option, what each reproduction does and how long it runs, and the smoke-test banner."""

from __future__ import annotations

import re

import pytest

from groupconv import _cli_help, reproduce
from groupconv.cli import build_parser, main


def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def _options(text: str) -> dict[str, str]:
    # "  --name VALUE   help text" and its continuation lines -> {"--name": "help text ..."}
    section = text.split("options:")[1]
    found: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        m = re.match(r"^  (-\w|--[\w-]+)(?:[ ,][^ ].*?)?(?:\s{2,}(.*))?$", line)
        if m:
            name = m[1] if m[1] != "-h" else "--help"
            found[name] = m[2] or ""
        elif name is not None and line.strip():
            found[name] += " " + line.strip()
    return found


def _subcommands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return list(sub.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_a_description_and_every_option_help(monkeypatch, capsys, command):
    monkeypatch.setenv("COLUMNS", "100")
    text = _help(capsys, command)
    description = text.split("\n\n")[1]
    # the description is a paragraph of its own, not the usage line again
    assert not description.startswith("usage") and len(description.split()) >= 15, text
    options = _options(text)
    assert options, text
    for name, help_text in options.items():
        assert len(help_text.split()) >= 2, (name, text)


def test_dtype_and_device_are_explained(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    options = _options(_help(capsys, "verify"))
    assert "float64" in options["--dtype"] and "bfloat16" in options["--dtype"]
    assert "tolerances" in options["--dtype"]
    assert "cuda:N" in options["--device"]
    options = _options(_help(capsys, "reproduce"))
    assert "cuda:N" in options["--device"] and "not results" in options["--smoke"]


def test_reproduce_help_says_what_each_reproduction_does_and_how_long_it_runs(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    text = _help(capsys, "reproduce")
    paragraphs = {p.split(":")[0]: " ".join(p.split()) for p in text.split("\n\n")}
    for name in reproduce.BUILTIN:
        what, smoke, full = _cli_help.REPRODUCTIONS[name]
        assert name in paragraphs, text
        assert f"Smoke run {smoke}; full run {full}." in paragraphs[name]
        assert " ".join(what.split()) in paragraphs[name]
        assert re.search(r"\d", smoke) and re.search(r"\d", full)
    assert max(len(line) for line in text.splitlines()) <= 100


def test_every_builtin_reproduction_is_described():
    assert set(_cli_help.REPRODUCTIONS) == set(reproduce.BUILTIN)


def test_a_registered_reproduction_is_listed_with_unknown_times():
    text = _cli_help.reproduce_description(["cbn", "mine"], width=100)
    assert "mine: a registered reproduction. Smoke run unknown; full run unknown." in text


@pytest.fixture
def tiny_reproduction():
    def tiny(options):
        rows = [{"variant": "plain", "accuracy": 0.5}, {"variant": "equivariant", "accuracy": 0.75}]
        return reproduce.Result("tiny-cli", "Tiny", "nobody", tables={"accuracy": rows})

    reproduce.register("tiny-cli", tiny)
    yield "tiny-cli"
    reproduce._REGISTRY.pop("tiny-cli")


def test_a_smoke_run_says_above_its_table_that_its_numbers_are_not_results(
    tiny_reproduction, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["reproduce", tiny_reproduction, "--smoke", "--quiet", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("SMOKE TEST: a small, fast run that checks that the tiny-cli pipeline works; its")
    assert "numbers are not results" in " ".join(text.split())
    assert text.index("SMOKE TEST") < text.index("accuracy\nvariant")
    assert "equivariant  0.75" in text and "|" not in text  # a text table, not Markdown
    # the last line names the output folder, a path that is as long as it is
    assert max(len(line) for line in text.splitlines()[:-1]) <= 80
    assert text.splitlines()[-1] == f"results written to {tmp_path}"
    assert main(["reproduce", tiny_reproduction, "--quiet", "--out", str(tmp_path)]) == 0
    assert "SMOKE TEST" not in capsys.readouterr().out


def test_smoke_banner_names_the_page():
    assert "docs/reproduce_linear_regions.md" in _cli_help.smoke_banner("linear-regions")
