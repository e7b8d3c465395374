"""The examples in the package's docstrings run as tests (``make test`` runs this file).

Every module of :mod:`rankbound` is found by walking the package, so a new module is covered
without editing this file. A public module must contain at least one example: the docstrings are
meant to carry a doctest (see STYLE.md), and a module whose examples silently disappeared would
otherwise pass with nothing checked.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rankbound

MODULES = ["rankbound"] + sorted(
    info.name for info in pkgutil.walk_packages(rankbound.__path__, prefix="rankbound.")
)


def test_modules_are_found():
    assert {"rankbound.metrics", "rankbound.losses", "rankbound.ranking"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    # the failing example and its output are printed to stdout, which pytest shows on failure
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
    if not name.rsplit(".", 1)[-1].startswith("_"):
        assert result.attempted > 0, f"{name} has no doctest example"
