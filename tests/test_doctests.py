"""Run every module's docstring examples, imported through the ``qmem`` namespace."""

import doctest
import importlib
import pkgutil

import pytest

import qmem

MODULES = sorted(m.name for m in pkgutil.walk_packages(qmem.__path__, "qmem."))
MODULES = ["qmem", *MODULES]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
