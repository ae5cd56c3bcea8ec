# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pytest set-up for ppy.

Markers:
  root      the test changes credentials or file capabilities and needs uid 0;
            it is skipped, with the reason, when the suite runs as another user.
  slow      a long load test (tests/robustness); it runs with `make check-load`.
  oracle    needs the network (pip download from PyPI): `make test` runs these outside
            the private network namespace it gives the rest.

Fixtures:
  inst      one ppytest.Install (GRANTABLE=all, no ppy.conf) per test module, removed after
            it; a module that needs more set up (a conf, a venv, an app directory) defines
            its own.
"""
import os

import pytest

from ppytest import Install

IS_ROOT = os.geteuid() == 0


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "root: needs uid 0 (creates users' files, setcap, switches uid); skipped otherwise"
    )
    config.addinivalue_line("markers", "slow: long load test; run by `make check-load`")
    config.addinivalue_line("markers", "oracle: fetches from PyPI; make test runs it with the network")


def pytest_collection_modifyitems(config, items):
    if IS_ROOT:
        return
    skip = pytest.mark.skip(reason="needs root: this test sets file capabilities and runs as other uids")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def inst():
    inst = Install()
    try:
        yield inst
    finally:
        inst.remove()
