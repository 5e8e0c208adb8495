"""The bittensor SDK on the real rules: a drop-in `MockSubtensor` and a `Subtensor` over any chain.

Needs the SDK (``pip install 'taostate[bittensor]'``, bittensor ≥ 6.1, < 8). `install()` makes
``bittensor.MockSubtensor`` this package's `MockSubtensor`, so existing subnet test suites run
unchanged; the pytest plugin (``pytest -p taostate.bittensor.pytest_plugin``) does it for a whole
test session.
"""

from __future__ import annotations

try:
    import bittensor as _sdk
except ImportError as e:  # pragma: no cover - exercised by tests without the SDK
    raise ImportError(
        "taostate.bittensor needs the bittensor SDK: pip install 'taostate[bittensor]' "
        "(bittensor>=6.1,<8)") from e

from ._wallet import LabelWallet
from .mock import PROFILES, MockSubtensor
from .subtensor import Subtensor

_ORIGINAL: dict[tuple[str, str], object] = {}


def install(*, subtensor: bool = False) -> None:
    """Make the SDK's `MockSubtensor` names (``bittensor.MockSubtensor``,
    ``bittensor.mock.MockSubtensor``, ``bittensor.mock.subtensor_mock.MockSubtensor``) this one.

    With ``subtensor=True`` also ``bittensor.subtensor`` (and ``bittensor.Subtensor``): every
    ``bittensor.subtensor(...)`` the SDK or ``btcli`` makes is then the shared taostate mock."""
    import bittensor.mock
    import bittensor.mock.subtensor_mock

    names = [(mod, "MockSubtensor") for mod in (_sdk, bittensor.mock, bittensor.mock.subtensor_mock)]
    if subtensor:
        names += [(_sdk, "subtensor"), (_sdk, "Subtensor")]
    for mod, name in names:
        key = (mod.__name__, name)
        if key not in _ORIGINAL:
            _ORIGINAL[key] = getattr(mod, name)
        setattr(mod, name, MockSubtensor)


def uninstall() -> None:
    """Give the SDK back its own names."""
    import sys

    for (module, name), original in _ORIGINAL.items():
        setattr(sys.modules[module], name, original)
    _ORIGINAL.clear()


__all__ = ["PROFILES", "LabelWallet", "MockSubtensor", "Subtensor", "install", "uninstall"]
