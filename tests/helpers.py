"""Small shared helpers for the tests (real engine, real LMDB log, real msgpack)."""

from __future__ import annotations

from collections.abc import Callable

import taostate as ts

ALICE = ts.account("alice")
BOB = ts.account("bob")
CAROL = ts.account("carol")
DAVE = ts.account("dave")
SUDO = ts.account("sudo")


def genesis(**params: int | bool) -> ts.Genesis:
    return ts.Genesis(
        balances={ALICE: 10_000 * ts.TAO, BOB: 1_000 * ts.TAO, CAROL: 5 * ts.TAO, SUDO: 100_000 * ts.TAO},
        sudo=SUDO,
        triumvirate=[ts.account("t0"), ts.account("t1")],
        params=params,
    )


def replayed_root(path: str, block: int | None = None) -> str:
    """State root after a fresh full replay of the log at `path` (no snapshots used)."""
    with ts.Chain.open(path, readonly=True) as c:
        view = c.at(block if block is not None else c.head)
        return view.state_root()


def corrupted_block(read: Callable[[], object]) -> int:
    """The block a LogCorrupted raised by `read()` names (fails if it raises none)."""
    from taostate.errors import LogCorrupted

    try:
        read()
    except LogCorrupted as e:
        assert e.block is not None
        return e.block
    raise AssertionError("no LogCorrupted raised")
