"""Every public name of the package is on a page of the API reference (docs/api/*.md).

A public name is an entry of ``__all__`` of a public module (no path component starts with ``_``). It is
covered when a ``:::`` block of docs/api renders it: the block of its module without a ``members`` option
(mkdocs.yml renders every member, with or without a docstring), a block whose ``members`` list names it,
a block of the name itself, or any of these for another public module whose ``__all__`` holds the same
object under the same name (a re-export is covered where it is defined). The docs build itself runs in CI.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import groupconv

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "docs" / "api"
SUBPACKAGES = [
    "utils",
    "groups",
    "reps",
    "kernels",
    "fourier",
    "proofs",
    "nn",
    "scattering",
    "verify",
    "analysis",
    "reproduce",
    "testing",
    "interop",
    "cli",
]


def _public_modules() -> list[str]:
    names = ["groupconv"]
    for info in pkgutil.walk_packages(groupconv.__path__, "groupconv."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def _public_names() -> dict[tuple[str, str], object]:
    names = {}
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            names[(module_name, name)] = getattr(module, name)
    return names


def _members(body: list[str]) -> bool | list[str]:
    """The ``members`` option of a block: ``True`` when absent, ``False``, or the listed names."""
    for i, line in enumerate(body):
        key, _, value = line.strip().partition(":")
        if key != "members":
            continue
        value = value.strip()
        if value.lower() == "false":
            return False
        if value.startswith("["):
            return [name.strip() for name in value.strip("[]").split(",") if name.strip()]
        if value:
            raise ValueError(f"cannot read the members option {line.strip()!r}")
        names = []
        for item in body[i + 1 :]:
            if not item.strip().startswith("- "):
                break
            names.append(item.strip()[2:].strip())
        return names
    return True


def _blocks(text: str) -> list[tuple[str, bool | list[str]]]:
    """The ``(target, members)`` of each ``:::`` block of a page."""
    blocks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("::: "):
            continue
        body = []
        for following in lines[i + 1 :]:
            if following and not following.startswith(" "):
                break
            body.append(following)
        blocks.append((line[4:].strip(), _members(body)))
    return blocks


def _uncovered(pages: list[str]) -> list[str]:
    public = _public_names()
    direct = set()
    for text in pages:
        for target, members in _blocks(text):
            module_names = [n for (m, n) in public if m == target]
            if members is True:
                direct.update((target, n) for n in module_names)
            elif members:
                direct.update((target, n) for n in members)
            module, _, name = target.rpartition(".")
            if (module, name) in public:
                direct.add((module, name))
    missing = []
    for (module, name), obj in public.items():
        if not any(n == name and o is obj for (m, n), o in public.items() if (m, n) in direct):
            missing.append(f"{module}.{name}")
    return sorted(missing)


def _pages() -> list[str]:
    return [path.read_text() for path in sorted(API.glob("*.md"))]


def test_every_public_name_is_on_a_reference_page():
    assert len(_public_names()) > 500
    assert _uncovered(_pages()) == []


def test_every_subpackage_has_a_page_in_the_nav():
    config = (ROOT / "mkdocs.yml").read_text()
    section = config[config.index("\n  - API reference:\n") :].split("\n  - ")[1]
    in_nav = set(re.findall(r"^      - [^:]+: (api/\w+\.md)$", section, flags=re.M))
    for sub in SUBPACKAGES:
        text = (API / f"{sub}.md").read_text()
        assert text.startswith(f"# groupconv.{sub}\n")
        assert f"::: groupconv.{sub}" in text
        assert f"api/{sub}.md" in in_nav


def test_a_module_without_a_block_is_reported():
    pages = _pages()
    dropped = [p.replace("::: groupconv.nn.pooling\n", "") for p in pages]
    assert dropped != pages
    pooling = importlib.import_module("groupconv.nn.pooling")
    defined = [
        n for n in pooling.__all__ if getattr(getattr(pooling, n), "__module__", None) == pooling.__name__
    ]
    assert defined
    missing = set(_uncovered(dropped))
    assert {f"groupconv.nn.pooling.{n}" for n in defined} <= missing
    assert {f"groupconv.nn.{n}" for n in defined if n in groupconv.nn.__all__} <= missing
    assert "groupconv.nn.conv.SteerableConv2d" not in missing


@pytest.mark.parametrize(
    "options, expect_missing",
    [
        ("    options:\n      members:\n        - Options\n", True),
        ("    options:\n      members: false\n", True),
        ("    options:\n      members:\n        - Options\n        - Result\n", False),
    ],
)
def test_a_members_option_limits_what_a_block_covers(options, expect_missing):
    others = [p for p in _pages() if not p.startswith("# groupconv.reproduce\n")]
    page = f"::: groupconv.reproduce\n{options}\n::: groupconv.reproduce.dcfnet\n"
    assert ("groupconv.reproduce.Result" in _uncovered([*others, page])) == expect_missing


def test_a_block_of_one_name_covers_it():
    others = [p for p in _pages() if not p.startswith("# groupconv.cli\n")]
    assert "groupconv.cli.main" in _uncovered(others)
    assert "groupconv.cli.main" not in _uncovered([*others, "::: groupconv.cli.main\n"])


def test_the_members_option_is_read_in_its_three_forms():
    page = (
        "::: a.b\n    options:\n      members: false\n\n"
        "::: a.c\n    options:\n      members:\n        - x\n        - y\n\n"
        "::: a.d\n    options:\n      members: [x, z]\n\n"
        "::: a.e\n"
    )
    assert _blocks(page) == [("a.b", False), ("a.c", ["x", "y"]), ("a.d", ["x", "z"]), ("a.e", True)]
    with pytest.raises(ValueError, match="cannot read the members option"):
        _blocks("::: a.b\n    options:\n      members: true\n")
