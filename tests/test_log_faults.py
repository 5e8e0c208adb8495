"""A damaged log is refused with a named error that says which block; crashes lose nothing."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable

import lmdb
import msgpack
import pytest
import zstandard

import taostate as ts
from taostate import tx
from taostate.logcodec import BLOCK_GROUP, Codec

from helpers import ALICE, BOB, genesis


def _build(path: str, blocks: int = 6) -> None:
    with ts.Chain.create(path, genesis(), snapshot_every=1000) as chain:
        for b in range(blocks):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=1000 + b))
            chain.step()


def _edit_records(path: str, edit: Callable[[dict[int, bytes]], None]) -> None:
    """Rewrites the log's block records (not their stored form) through `edit`, which changes the
    dict {block: record} in place, storing them back as the log's format stores them (format 3:
    16 records a value, keyed by the group's first block)."""
    env = lmdb.open(path, max_dbs=8, subdir=True)
    with env.begin(write=True) as txn:
        fmt = msgpack.unpackb(txn.get(b"format", db=env.open_db(b"meta", txn=txn)))
        codec = Codec(fmt["version"])
        blocks = env.open_db(b"blocks", txn=txn)
        records: dict[int, bytes] = {}
        for k, v in txn.cursor(db=blocks):
            first = struct.unpack(">Q", k)[0]
            for i, r in enumerate(codec.records(bytes(v))):
                records[first + i] = r
        edit(records)
        assert sorted(records) == list(range(1, len(records) + 1))  # a record changed, not a block
        txn.drop(blocks, delete=False)
        if codec.grouped:
            for first in range(1, len(records) + 1, BLOCK_GROUP):
                group = [records[n] for n in range(first, min(first + BLOCK_GROUP, len(records) + 1))]
                txn.put(struct.pack(">Q", first), codec.group(group), db=blocks)
        else:
            for n, r in records.items():
                txn.put(struct.pack(">Q", n), codec.block(r), db=blocks)
    env.close()


def _tamper(path: str, block: int, fn: Callable[[bytes], bytes]) -> None:
    def edit(records: dict[int, bytes]) -> None:
        records[block] = fn(records[block])
    _edit_records(path, edit)


def _swap(path: str, a: int, b: int) -> None:
    def edit(records: dict[int, bytes]) -> None:
        records[a], records[b] = records[b], records[a]
    _edit_records(path, edit)


def _flip(rec: bytes) -> bytes:
    b = bytearray(rec)
    b[-5] ^= 0x01  # inside the last transfer's dest account: still decodes and applies
    return bytes(b)


@pytest.mark.parametrize("name,damage,block", [
    ("truncated", lambda p: _tamper(p, 4, lambda r: r[:-5]), 4),
    ("bit-flipped", lambda p: _tamper(p, 3, _flip), 4),  # block 3 decodes, block 4's parent hash breaks
    ("reordered", lambda p: _swap(p, 2, 5), 2),
    ("unknown version", lambda p: _tamper(p, 5, lambda r: b"\x94\x07" + r[2:]), 5),
])
def test_damage_is_named(tmp_path: object, name: str, damage: object, block: int) -> None:
    path = os.path.join(str(tmp_path), "c")
    _build(path)
    damage(path)  # type: ignore[operator]
    with pytest.raises(ts.errors.LogCorrupted) as ei:
        ts.Chain.open(path)
    assert ei.value.block == block, (name, str(ei.value))
    assert f"block {block}" in str(ei.value)


def test_verify_names_the_block_with_a_bad_snapshot(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis(), snapshot_every=3) as chain:
        for _ in range(7):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=1000))
            chain.step()
    env = lmdb.open(path, max_dbs=8, subdir=True)
    snaps = env.open_db(b"snapshots")
    with env.begin(write=True, db=snaps) as txn:
        key = struct.pack(">Q", 6)
        v, b, root, state = msgpack.unpackb(zstandard.ZstdDecompressor().decompress(txn.get(key)))
        txn.put(key, zstandard.ZstdCompressor().compress(msgpack.packb([v, b, bytes(32), state])))
    env.close()
    with ts.Chain.open(path, readonly=True) as chain:
        with pytest.raises(ts.ReplayDivergence) as ei:
            chain.verify()
    assert ei.value.block == 6


def test_ruleset_and_format_mismatch(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    _build(path, 1)
    env = lmdb.open(path, max_dbs=8, subdir=True)
    meta = env.open_db(b"meta")
    with env.begin(write=True, db=meta) as txn:
        fmt = msgpack.unpackb(txn.get(b"format"))
        fmt["ruleset"] = "finney-2099"
        txn.put(b"format", msgpack.packb(fmt))
    env.close()
    with pytest.raises(ts.errors.LogFormatError, match="finney-2099"):
        ts.Chain.open(path)


CHILD = textwrap.dedent("""
    import sys, taostate as ts
    from taostate import tx
    a, b = ts.account("alice"), ts.account("bob")
    path = sys.argv[1]
    chain = ts.Chain.open(path)
    print("ready", flush=True)
    while True:
        with chain.batch(size=7):
            for _ in range(50):
                chain.submit(tx.Transfer(origin=a, dest=b, amount=1000))
                chain.step()
""")


def test_sigkill_while_appending_loses_no_committed_block(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    _build(path, 1)
    import random
    import time

    rng = random.Random(1)
    last = 1
    for _ in range(8):
        p = subprocess.Popen([sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE)
        assert p.stdout is not None and p.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        with ts.Chain.open(path) as chain:  # the writer lock died with the process
            head = chain.head
            assert head >= last  # nothing committed was lost
            chain.verify()
            chain.check_invariants()
            assert chain.balance(BOB) == 1_000 * ts.TAO + 1000 + 1000 * (head - 1)
        last = head
    assert last > 1
