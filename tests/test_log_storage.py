"""Stored forms of the log (docs/WIRE.md "Storage"): version 2 compresses block records (zstd with
the `zstd-uids-1` dictionary, when shorter) and snapshots (zstd); callers see records only; a
version-1 log stays readable and appendable in its own form; other versions are refused, naming
the version; a damaged frame is a corrupted log naming the block."""

from __future__ import annotations

import hashlib
import os
import struct

import lmdb
import msgpack
import pytest

import taostate as ts
from taostate import tx
from taostate.errors import LogCorrupted, LogError, LogFormatError
from taostate.log import FORMAT_VERSION, BlockLog
from taostate.logcodec import BLOCK_GROUP, BLOCK_GROUP_BYTES, ZSTD_MAGIC

from helpers import ALICE, BOB, corrupted_block, genesis

GENESIS = genesis().to_msgpack()


def _record(n: int, txs: list[bytes]) -> bytes:
    parent = hashlib.blake2b(b"%d" % n, digest_size=32).digest()
    return msgpack.packb([1, n, parent, [msgpack.unpackb(t) for t in txs]], use_bin_type=True)


def _dense(n: int) -> bytes:
    """A block record holding one dense weight row over 256 uids."""
    row = tx.SetWeights(origin=ALICE, netuid=1, uids=list(range(256)),
                        values=[(i * 7919) % 65535 + 1 for i in range(256)])
    return _record(n, [row.to_msgpack()])


def _stored(path: str, db: bytes, key: int) -> bytes:
    env = lmdb.open(path, max_dbs=3, readonly=True, lock=False)
    try:
        with env.begin(db=env.open_db(db, create=False)) as txn:
            value = txn.get(struct.pack(">Q", key))
            assert value is not None
            return bytes(value)
    finally:
        env.close()


def test_version_2_stores_compressed_and_reads_records(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    dense, small = _dense(1), _record(2, [tx.Transfer(origin=ALICE, dest=BOB, amount=5).to_msgpack()])
    snap = msgpack.packb([1, 2, bytes(32), b"\x01\x02" * 5000])
    with BlockLog.create(path, GENESIS, format_version=2) as log:
        assert log.format["version"] == 2
        assert log.format["blocks"] == "zstd-uids-1" and log.format["snapshots"] == "zstd"
        log.append([(1, dense), (2, small)], snapshots=[(2, snap)])
        assert log.get(1) == dense and log.get(2) == small
        assert list(log.iter_blocks()) == [(1, dense), (2, small)]
        assert log.latest_snapshot() == (2, snap) and log.get_snapshot(2) == snap
    stored = _stored(path, b"blocks", 1)
    assert stored[:4] == ZSTD_MAGIC and len(stored) < len(dense) * 0.7  # the uids run cost ~nothing
    assert _stored(path, b"blocks", 2) == small  # a frame would be longer: stored as is
    stored_snap = _stored(path, b"snapshots", 2)
    assert stored_snap[:4] == ZSTD_MAGIC and len(stored_snap) < len(snap) // 10


def test_version_3_stores_groups_and_reads_records(tmp_path: object) -> None:
    """New logs (format 3): BLOCK_GROUP consecutive records a value, keyed by the group's first
    block; the last group rewritten as blocks are appended (in any batches), so every record reads
    back, in one process or after reopening; smaller than a value per record."""
    g = BLOCK_GROUP
    path = os.path.join(str(tmp_path), "c")
    last = 2 * g + 9
    recs = {n: _dense(n) if n % 3 else _record(n, []) for n in range(1, last + 1)}
    with BlockLog.create(path, GENESIS) as log:
        assert log.format["version"] == FORMAT_VERSION == 3 and log.format["block_group"] == g
        log.append([(1, recs[1])])
        log.append([(n, recs[n]) for n in range(2, g + 4)])  # fills group 1, starts group 2
        assert log.head() == g + 3 and log.get(g + 1) == recs[g + 1] and log.get(g + 3) == recs[g + 3]
        log.append([(n, recs[n]) for n in range(g + 4, last)], snapshots=[(last - 1, b"s")])
        assert log.head() == last - 1
    with BlockLog.open(path) as log:
        assert log.head() == last - 1 and log.get_snapshot(last - 1) == b"s"
        log.append([(last, recs[last])])
        assert list(log.iter_blocks()) == sorted(recs.items())
        assert list(log.iter_blocks(g + 2, 2 * g + 3)) == [(n, recs[n]) for n in range(g + 2, 2 * g + 3)]
        assert all(log.get(n) == r for n, r in recs.items())
        with pytest.raises(LogError, match=f"head is {last}"):
            log.get(last + 1)
    env = lmdb.open(path, max_dbs=3, readonly=True, lock=False)
    with env.begin(db=env.open_db(b"blocks", create=False)) as txn:
        stored = {struct.unpack(">Q", k)[0]: bytes(v) for k, v in txn.cursor()}
    env.close()
    assert sorted(stored) == [1, g + 1, 2 * g + 1] and [v[0] for v in stored.values()] == [g, g, 9]
    assert all(v[1:5] == ZSTD_MAGIC for v in stored.values())
    assert sum(map(len, stored.values())) < 0.5 * sum(map(len, recs.values()))


def test_version_3_groups_close_at_their_byte_cap(tmp_path: object) -> None:
    """Large records close a group before BLOCK_GROUP of them (BLOCK_GROUP_BYTES), so that an
    append never rewrites much: groups are then found by a search, and read the same."""
    path = os.path.join(str(tmp_path), "c")
    big = BLOCK_GROUP_BYTES // 3 + 1  # three records close a group
    recs = {n: _record(n, []) + bytes([n % 251]) * big for n in range(1, 15)}
    with BlockLog.create(path, GENESIS) as log:
        for n in range(1, 8):  # one block an append
            log.append([(n, recs[n])])
        log.append([(n, recs[n]) for n in range(8, 15)])
    with BlockLog.open(path) as log:
        assert log.head() == 14
        assert list(log.iter_blocks()) == sorted(recs.items())
        assert list(log.iter_blocks(5, 12)) == [(n, recs[n]) for n in range(5, 12)]
        assert all(log.get(n) == r for n, r in recs.items())
    env = lmdb.open(path, max_dbs=3)
    with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
        stored = {struct.unpack(">Q", k)[0]: bytes(v) for k, v in txn.cursor()}
        assert sorted(stored) == [1, 4, 7, 10, 13] and [v[0] for v in stored.values()] == [3, 3, 3, 3, 2]
        txn.delete(struct.pack(">Q", 7))  # a group in the middle lost
    env.close()
    with BlockLog.open(path, readonly=True) as log:
        assert corrupted_block(lambda: list(log.iter_blocks())) == 7
        assert corrupted_block(lambda: log.get(8)) == 8
        assert log.get(6) == recs[6] and list(log.iter_blocks(10)) == [(n, recs[n]) for n in range(10, 15)]


def test_version_3_damaged_group_is_a_corrupted_block(tmp_path: object) -> None:
    """A damaged group is named by its first block, and only its blocks are unreadable."""
    g = BLOCK_GROUP
    path = os.path.join(str(tmp_path), "c")
    with BlockLog.create(path, GENESIS) as log:
        log.append([(n, _dense(n)) for n in range(1, 2 * g + 9)])
    bad = g + 1
    for damage in (lambda v: v[:-20], lambda v: bytes([g + 1]) + v[1:], lambda v: bytes([v[0] - 1]) + v[1:]):
        env = lmdb.open(path, max_dbs=3)
        with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
            key = struct.pack(">Q", bad)
            good = txn.get(key)
            txn.put(key, damage(good))
        env.close()
        with BlockLog.open(path, readonly=True) as log:
            assert log.get(g) == _dense(g) and log.get(2 * g + 1) == _dense(2 * g + 1)
            with pytest.raises(LogCorrupted, match=f"block {bad}") as ei:
                log.get(bad + 3)
            assert ei.value.block == bad
            with pytest.raises(LogCorrupted, match=f"block {bad}"):
                list(log.iter_blocks())
        env = lmdb.open(path, max_dbs=3)
        with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
            txn.put(struct.pack(">Q", bad), good)
        env.close()


def test_version_2_log_stays_readable_and_appendable(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with BlockLog.create(path, GENESIS, format_version=2) as log:
        log.append([(1, _dense(1))])
    with BlockLog.open(path) as log:
        assert log.format["version"] == 2
        log.append([(2, _dense(2)), (3, _dense(3))])
        assert [r for _, r in log.iter_blocks()] == [_dense(1), _dense(2), _dense(3)]
    assert _stored(path, b"blocks", 3)[:4] == ZSTD_MAGIC  # still a value per record


def test_version_1_log_stays_readable_and_appendable(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with BlockLog.create(path, GENESIS, format_version=1) as log:
        log.append([(1, _dense(1))], snapshots=[(1, b"s1")])
    assert _stored(path, b"blocks", 1) == _dense(1)
    with BlockLog.open(path) as log:
        assert log.format == {"format": "taostate", "version": 1, "ruleset": "finney-2023"}
        assert log.get(1) == _dense(1) and log.get_snapshot(1) == b"s1"
        log.append([(2, _dense(2))])
    assert _stored(path, b"blocks", 2) == _dense(2)  # still version 1's form


def test_version_1_chain_opens_and_replays(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    log = BlockLog.create(path, GENESIS, format_version=1)
    log.put_meta("snapshot_every", msgpack.packb(2))
    chain = ts.Chain(log, ts._core.Engine.from_genesis(GENESIS), 2)
    with chain:
        for i in range(5):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=100 + i))
            chain.step()
        root = chain.state_root()
    with ts.Chain.open(path, readonly=True) as chain:
        assert chain.head == 5 and chain.state_root() == root
        assert chain.verify()["snapshots_checked"] == 2


def test_newer_version_is_refused_naming_it(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    BlockLog.create(path, GENESIS).close()
    env = lmdb.open(path, max_dbs=3)
    with env.begin(write=True, db=env.open_db(b"meta")) as txn:
        txn.put(b"format", msgpack.packb({"format": "taostate", "version": 4, "ruleset": "finney-2023"}))
    env.close()
    with pytest.raises(LogFormatError, match="version 4 is newer than this taostate; it reads versions 1, 2, 3"):
        ts.Chain.open(path)
    with pytest.raises(LogFormatError, match="format_version 4"):
        BlockLog.create(os.path.join(str(tmp_path), "d"), GENESIS, format_version=4)


def test_damaged_frame_is_a_corrupted_block(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with BlockLog.create(path, GENESIS, format_version=2) as log:
        log.append([(1, _dense(1)), (2, _dense(2))])
    env = lmdb.open(path, max_dbs=3)
    with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
        key = struct.pack(">Q", 2)
        v = txn.get(key)
        txn.put(key, v[:-20])
    env.close()
    with BlockLog.open(path, readonly=True) as log:
        assert log.get(1) == _dense(1)
        with pytest.raises(LogCorrupted, match="block 2") as ei:
            log.get(2)
        assert ei.value.block == 2
        with pytest.raises(LogCorrupted, match="block 2"):
            list(log.iter_blocks())
