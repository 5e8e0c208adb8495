"""pytest plugin: ``pytest -p taostate.bittensor.pytest_plugin`` runs a subnet's test suite with
``bittensor.MockSubtensor`` replaced by `taostate.bittensor.MockSubtensor` (the real rules).

Installed when pytest loads the plugin, before the suite's modules import the SDK's mock, so a
``class MockSubtensor(bt.MockSubtensor)`` in the suite subclasses taostate's. ``--taostate-profile``
picks the profile (``mock`` by default, or ``finney``).
"""

from __future__ import annotations

from typing import Any

from . import MockSubtensor, install

install()


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--taostate-profile", default="mock", choices=["mock", "finney"],
                     help="taostate.bittensor.MockSubtensor profile (default: mock)")


def pytest_configure(config: Any) -> None:
    MockSubtensor.reset(profile=config.getoption("--taostate-profile"))
