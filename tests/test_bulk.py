"""The bulk append path `Chain.submit_encoded` (wire bytes in, one call into the engine): the same
checks, errors and results as `submit`, stopping at the first refused transaction with its index."""

from __future__ import annotations

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, CAROL, genesis


def _txs() -> list[tx.Tx]:
    out: list[tx.Tx] = []
    for i in range(40):
        out.append(tx.Transfer(origin=ALICE, dest=BOB if i % 2 else CAROL, amount=1000 + i))
        out.append(tx.Transfer(origin=BOB, dest=ALICE, amount=7 * i + 1))
    return out


def test_bulk_equals_submit() -> None:
    txs = _txs()
    with ts.Chain.ephemeral(genesis()) as a, ts.Chain.ephemeral(genesis()) as b:
        for t in txs:
            a.submit(t)
        a.step()
        assert b.submit_encoded([t.to_msgpack() for t in txs]) == len(txs)
        b.step()
        assert a.state_root() == b.state_root() and a.head_hash == b.head_hash
        assert a._log.get(1) == b._log.get(1)


def test_bulk_stops_at_the_first_refusal_with_its_index() -> None:
    txs = _txs()
    bad = tx.Transfer(origin=CAROL, dest=BOB, amount=10**15)  # more than CAROL has
    wire = [t.to_msgpack() for t in txs]
    wire.insert(5, bad.to_msgpack())
    with ts.Chain.ephemeral(genesis()) as a, ts.Chain.ephemeral(genesis()) as b:
        for t in txs[:5]:
            a.submit(t)
        with pytest.raises(ts.errors.InsufficientBalance) as single:
            a.submit(bad)
        b.submit(txs[0])  # the block is already open: the index counts from this call
        with pytest.raises(type(single.value)) as bulk:
            b.submit_encoded(wire[1:])
        assert bulk.value.index == 4  # type: ignore[attr-defined]
        assert bulk.value.code == single.value.code
        assert b._engine.pending_len == 5
        a.step()
        b.step()
        assert a.state_root() == b.state_root()


def test_bulk_refuses_malformed_input_naming_the_item() -> None:
    with ts.Chain.ephemeral(genesis()) as c:
        good = tx.Transfer(origin=ALICE, dest=BOB, amount=5).to_msgpack()
        root = c.state_root()
        with pytest.raises(ts.InvalidTransaction, match="item 1"):
            c.submit_encoded([good, "not bytes"])  # type: ignore[list-item]
        assert c._engine.pending_len == 0 and c.state_root() == root  # checked before anything
        with pytest.raises(ts.InvalidTransaction) as ei:
            c.submit_encoded([good, good[:-3]])
        assert ei.value.index == 1  # type: ignore[attr-defined]
        assert c._engine.pending_len == 1
        with pytest.raises(ts.InvalidTransaction):
            c.submit_encoded([b"\x93\x01"])
        c.step()
        assert c.balance(BOB) == 1_000 * ts.TAO + 5
