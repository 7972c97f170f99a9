from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

# groupconv's pytest plugin, as a user's own conftest.py loads it (its fixtures are tested in
# tests/test_pytest_plugin.py); a root conftest is where pytest accepts pytest_plugins
pytest_plugins = ["groupconv.pytest_plugin"]


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


# The shared test helpers (_module_cases, _fourier_helpers) live next to this file; the tests import them
# by name from any folder of the tree (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).resolve().parent))
