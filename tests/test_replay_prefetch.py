"""Replay reads the log on a background thread, a few record lists ahead of the engine
(chain._batches): with lists small enough that a replay spans many of them, the result is the
live state, a damaged or missing block is named exactly as before, and the reading thread is
gone after the replay ends, fails or is abandoned."""

from __future__ import annotations

import os
import struct
import threading

import lmdb
import pytest

import taostate as ts
from taostate import chain as chain_mod
from taostate import tx
from taostate.errors import LogCorrupted
from taostate.logcodec import BLOCK_GROUP, ZSTD_MAGIC

from helpers import ALICE, BOB, CAROL, genesis

BLOCKS = 2 * BLOCK_GROUP + 12  # three groups of stored records (format 3), a multiple of 4


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "taostate-replay-read"]


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists of at most 4 records: a replay crosses BLOCKS / 4 of them, 2 read ahead."""
    monkeypatch.setattr(chain_mod, "REPLAY_BATCH", 4)


def _build(path: str) -> str:
    with ts.Chain.create(path, genesis(), snapshot_every=10**9) as c:
        for i in range(BLOCKS):
            # several transfers a block, so the stored record is a zstd frame
            c.submit_many([tx.Transfer(origin=ALICE, dest=d, amount=ts.TAO + i + k)
                           for k, d in enumerate((BOB, CAROL) * 4)])
            c.step()
        return c.state_root()


def _blocks(path: str) -> tuple[lmdb.Environment, object]:
    env = lmdb.open(path, max_dbs=3)
    return env, env.open_db(b"blocks")


def test_replay_over_many_lists_is_the_live_state(tmp_path: object, small_lists: None) -> None:
    path = os.path.join(str(tmp_path), "c")
    root = _build(path)
    with ts.Chain.open(path, readonly=True) as c:
        assert c.at(BLOCKS).state_root() == root
        assert c.verify()["state_root"] == root
        lists = list(chain_mod._batches(c._log, 1, BLOCKS))
    assert [len(x) for x in lists] == [4] * (BLOCKS // 4)
    assert not _readers()


@pytest.mark.parametrize("damage", ["truncated frame", "missing block"])
def test_damage_in_a_later_list_is_named(tmp_path: object, small_lists: None, damage: str) -> None:
    path = os.path.join(str(tmp_path), "c")
    _build(path)
    # format 3: the second group of stored records (BLOCK_GROUP a value), in a later list; a
    # group after it, so that its loss is a gap and not a shorter log
    bad = BLOCK_GROUP + 1
    env, db = _blocks(path)
    with env.begin(write=True, db=db) as txn:
        key = struct.pack(">Q", bad)
        value = txn.get(key)
        assert value[1:5] == ZSTD_MAGIC
        if damage == "missing block":
            txn.delete(key)
        else:
            txn.put(key, value[:-9])
    env.close()
    with pytest.raises(LogCorrupted) as ei:
        ts.Chain.open(path)
    assert ei.value.block == bad
    assert f"block {bad}" in str(ei.value)
    assert not _readers()


def test_abandoned_iteration_stops_the_reader(tmp_path: object, small_lists: None) -> None:
    path = os.path.join(str(tmp_path), "c")
    root = _build(path)
    with ts.Chain.open(path, readonly=True) as c:
        it = chain_mod._batches(c._log, 1, BLOCKS)
        first = next(it)
        assert len(first) == 4
        assert len(_readers()) == 1  # reading ahead meanwhile
        it.close()
        assert not _readers()
        # the log is still usable: a fresh replay reads every block
        assert c.at(BLOCKS).state_root() == root
    assert not _readers()
