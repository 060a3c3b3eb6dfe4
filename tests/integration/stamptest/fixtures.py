"""Fixtures that both suites use (tests/integration and tests/interop):
their conftest.py imports them by name, so that pytest finds them there."""
import os

import pytest

from . import run as R


@pytest.fixture(scope="session")
def stamp():
    p = os.environ.get("STAMP")
    if not p:
        pytest.fail("STAMP is not set (STAMP=/abs/path/build/stamp)")
    if not os.access(p, os.X_OK):
        pytest.fail("STAMP=%s is not an executable file" % p)
    return os.path.abspath(p)


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    return str(h)


@pytest.fixture
def env(home):
    """A clean environment for stamp: private HOME, no D-Bus, no DISPLAY."""
    return R.base_env(home)
