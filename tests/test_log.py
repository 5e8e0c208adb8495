"""The LMDB event log (taostate.log, docs/design.md §2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lmdb
import msgpack
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import taostate.log as L
from taostate.errors import (
    ChainExists,
    ChainNotFound,
    InvalidGenesis,
    LogCorrupted,
    LogError,
    LogFormatError,
    LogLocked,
)
from taostate.log import BlockLog
from taostate.logcodec import BLOCK_GROUP, BLOCK_GROUP_BYTES

from helpers import corrupted_block

GENESIS: bytes = msgpack.packb(
    {"balances": [], "sudo": b"\x00" * 32, "triumvirate": [], "params": {},
     "ruleset": "finney-2023"},
    use_bin_type=True,
)

# Child processes import the same taostate as this test run.
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(Path(L.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}


def rec(n: int) -> bytes:
    """A deterministic record for block n (content is opaque to the log)."""
    data: bytes = msgpack.packb([1, n, bytes(32), [[1, n.to_bytes(32, "big")]]],
                                use_bin_type=True)
    return data


def blocks(a: int, b: int) -> list[tuple[int, bytes]]:
    return [(n, rec(n)) for n in range(a, b + 1)]


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "chain")


@pytest.fixture
def log(path: str) -> Any:
    lg = BlockLog.create(path, GENESIS)
    yield lg
    lg.close()


def child(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    prog = "import sys\nfrom taostate.log import BlockLog\nfrom taostate import errors\n" + \
        textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", prog, *args], capture_output=True, text=True,
                          env=CHILD_ENV, timeout=timeout)


# --------------------------------------------------------------------------- #
# Basics


def test_create_append_read(log: BlockLog, path: str) -> None:
    assert log.head() == 0
    assert log.genesis() == GENESIS
    assert list(log.iter_blocks()) == []
    assert log.append(blocks(1, 3)) == 3
    assert log.append([]) == 3
    assert log.append(blocks(4, 10)) == 10
    assert log.head() == 10
    assert log.get(1) == rec(1) and log.get(10) == rec(10)
    assert list(log.iter_blocks()) == blocks(1, 10)
    assert list(log.iter_blocks(4)) == blocks(4, 10)
    assert list(log.iter_blocks(4, 7)) == blocks(4, 6)  # stop is exclusive
    assert list(log.iter_blocks(11)) == []
    assert list(log.iter_blocks(5, 5)) == []
    assert list(log.iter_blocks(9, 100)) == blocks(9, 10)
    with pytest.raises(LogError, match="head is 10"):
        log.get(11)
    with pytest.raises(LogError, match="genesis"):
        log.get(0)
    with pytest.raises(TypeError):
        log.get("1")  # type: ignore[arg-type]
    assert log.path == os.path.realpath(path)
    assert log.ruleset == "finney-2023"
    assert log.format == {"format": "taostate", "version": 3, "ruleset": "finney-2023", "blocks": "zstd-uids-1",
                          "block_group": BLOCK_GROUP,
                          "block_group_bytes": BLOCK_GROUP_BYTES, "snapshots": "zstd"}
    assert "head=10" in repr(log)


def test_reopen_sees_everything(path: str) -> None:
    with BlockLog.create(path, GENESIS) as lg:
        lg.append(blocks(1, 5))
        lg.put_snapshot(3, b"snap3")
    with BlockLog.open(path) as lg:
        assert lg.head() == 5
        assert lg.genesis() == GENESIS
        assert list(lg.iter_blocks()) == blocks(1, 5)
        assert lg.latest_snapshot() == (3, b"snap3")
        lg.append(blocks(6, 6))
    with BlockLog.open(path, readonly=True) as lg:
        assert lg.head() == 6


def test_meta_format_and_engine_recorded(log: BlockLog, path: str) -> None:
    info = log.lmdb_info()
    created = info["created_with"]
    # docs/design.md §2: lib_version=0, the LMDB 0.9 data format
    assert created["lib_version"] == 0 and created["data_format"] == 1
    assert created["version"].startswith("0.9.")
    assert info["engine"].startswith("0.9.")
    log.close()
    env = lmdb.open(path, max_dbs=3, readonly=True, lock=False)
    try:
        meta = env.open_db(b"meta", create=False)
        with env.begin(db=meta) as txn:
            fmt = msgpack.unpackb(txn.get(b"format"), raw=False)
            assert fmt == {"format": "taostate", "version": 3, "ruleset": "finney-2023", "blocks": "zstd-uids-1",
                           "block_group": BLOCK_GROUP,
                          "block_group_bytes": BLOCK_GROUP_BYTES, "snapshots": "zstd"}
            assert txn.get(b"genesis") == GENESIS
        assert {b"meta", b"blocks", b"snapshots"} <= set(env.dbs())
    finally:
        env.close()
    with BlockLog.open(path) as lg:
        assert lg._sh.env.info()["map_size"] == L.DEFAULT_MAP_SIZE == 1 << 40
        lg.append(blocks(1, BLOCK_GROUP + 4))
    env = lmdb.open(path, max_dbs=3, readonly=True, lock=False)
    try:
        blk = env.open_db(b"blocks", create=False)
        with env.begin(db=blk) as txn:
            keys = [k for k, _ in txn.cursor()]
        # u64 big-endian, a group of BLOCK_GROUP blocks a key (its first block)
        assert keys == [(1).to_bytes(8, "big"), (BLOCK_GROUP + 1).to_bytes(8, "big")]
    finally:
        env.close()


def test_user_meta(log: BlockLog) -> None:
    assert log.get_meta("snapshot_every") is None
    log.put_meta("snapshot_every", b"\x10")
    assert log.get_meta("snapshot_every") == b"\x10"
    assert log.get_meta("genesis") == GENESIS
    for reserved in ("format", "genesis", "lmdb"):
        with pytest.raises(LogError):
            log.put_meta(reserved, b"x")


# --------------------------------------------------------------------------- #
# Append is all-or-nothing


@pytest.mark.parametrize(
    "bad",
    [
        [(5, b"x")],  # gap after head 3
        [(3, b"x")],  # duplicate
        [(2, b"x"), (3, b"y")],  # rewrite
        [(4, b"x"), (6, b"y")],  # gap inside the batch
        [(4, b"x"), (5, b"y"), (5, b"z")],  # duplicate inside the batch
        [(4, b"x"), (5, "not bytes")],
        [(4, b"x"), (5,)],
    ],
)
def test_bad_append_writes_nothing(log: BlockLog, bad: Any) -> None:
    log.append(blocks(1, 3))
    with pytest.raises(LogError):
        log.append(bad)
    assert log.head() == 3
    assert list(log.iter_blocks()) == blocks(1, 3)


def test_first_append_must_start_at_one(log: BlockLog) -> None:
    with pytest.raises(LogError, match="start at block 1"):
        log.append(blocks(2, 3))
    assert log.head() == 0
    with pytest.raises(LogError):
        log.append([(0, b"x")])
    with pytest.raises(TypeError):
        log.append([("1", b"x")])  # type: ignore[list-item]
    assert log.head() == 0


def test_append_with_snapshots_is_atomic(log: BlockLog) -> None:
    assert log.append(blocks(1, 4), snapshots=[(2, b"s2"), (4, b"s4")]) == 4
    assert log.snapshots() == [2, 4]
    with pytest.raises(LogError, match="nothing was written"):
        log.append(blocks(5, 6), snapshots=[(7, b"s7")])
    assert log.head() == 4 and log.snapshots() == [2, 4]


# --------------------------------------------------------------------------- #
# Snapshots


def test_snapshots(log: BlockLog) -> None:
    assert log.latest_snapshot() is None and log.snapshots() == []
    log.append(blocks(1, 30))
    log.put_snapshot(0, b"s0")
    log.put_snapshot(10, b"s10")
    log.put_snapshot(20, b"s20")
    assert log.snapshots() == [0, 10, 20]
    assert log.latest_snapshot() == (20, b"s20")
    assert log.latest_snapshot(30) == (20, b"s20")
    assert log.latest_snapshot(20) == (20, b"s20")
    assert log.latest_snapshot(19) == (10, b"s10")
    assert log.latest_snapshot(9) == (0, b"s0")
    assert log.latest_snapshot(0) == (0, b"s0")
    assert log.latest_snapshot(-1) is None
    assert log.latest_snapshot(2**64 - 1) == (20, b"s20")
    assert log.get_snapshot(10) == b"s10"
    with pytest.raises(LogError):
        log.get_snapshot(11)
    log.put_snapshot(10, b"s10b")  # replacing is allowed: snapshots are a cache
    assert log.get_snapshot(10) == b"s10b"
    assert log.drop_snapshot(10) is True and log.drop_snapshot(10) is False
    assert log.latest_snapshot(19) == (0, b"s0")
    with pytest.raises(LogError, match="ends at block 30"):
        log.put_snapshot(31, b"x")


# --------------------------------------------------------------------------- #
# Create / open errors


def test_chain_exists(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    with pytest.raises(ChainExists):
        BlockLog.create(path, GENESIS)
    with BlockLog.open(path):
        with pytest.raises(ChainExists):
            BlockLog.create(path, GENESIS)


def test_create_refuses_foreign_directories(tmp_path: Path) -> None:
    d = tmp_path / "home"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    with pytest.raises(LogError, match="not empty"):
        BlockLog.create(d, GENESIS)
    assert os.listdir(d) == ["notes.txt"]  # nothing written there
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(LogError):
        BlockLog.create(f, GENESIS)
    # an LMDB environment that is not a taostate log
    other = tmp_path / "other"
    env = lmdb.open(str(other), max_dbs=1)
    with env.begin(write=True) as txn:
        txn.put(b"k", b"v")
    env.close()
    with pytest.raises(ChainNotFound):
        BlockLog.open(other)
    with pytest.raises(LogError, match="not a taostate log"):
        BlockLog.create(other, GENESIS)
    env = lmdb.open(str(other), max_dbs=1)
    with env.begin() as txn:
        assert list(txn.cursor()) == [(b"k", b"v")]  # untouched
    env.close()


def test_create_in_empty_directory(tmp_path: Path) -> None:
    with BlockLog.create(tmp_path, GENESIS) as lg:  # pytest's tmp_path exists and is empty
        assert lg.head() == 0


def test_create_validates_its_arguments(path: str) -> None:
    with pytest.raises(InvalidGenesis):
        BlockLog.create(path, b"\xc1")
    with pytest.raises(InvalidGenesis):
        BlockLog.create(path, msgpack.packb([1, 2]))
    with pytest.raises(InvalidGenesis, match="ruleset"):
        BlockLog.create(path, msgpack.packb({"ruleset": "other"}))
    with pytest.raises(LogFormatError, match="ruleset"):
        BlockLog.create(path, GENESIS, ruleset="finney-2099")
    with pytest.raises(ChainNotFound):
        BlockLog.open(path)


def test_chain_not_found(tmp_path: Path) -> None:
    with pytest.raises(ChainNotFound, match="no chain"):
        BlockLog.open(tmp_path / "nope")
    with pytest.raises(ChainNotFound):
        BlockLog.open(tmp_path / "nope", readonly=True)
    assert not (tmp_path / "nope").exists()  # opening never creates anything
    with pytest.raises(ChainNotFound):
        BlockLog.open(tmp_path)  # empty directory


def _rewrite_format(path: str, fmt: Any) -> None:
    env = lmdb.open(path, max_dbs=3)
    meta = env.open_db(b"meta")
    with env.begin(write=True, db=meta) as txn:
        txn.put(b"format", fmt if isinstance(fmt, bytes) else msgpack.packb(fmt))
    env.close()


@pytest.mark.parametrize(
    ("fmt", "found"),
    [
        ({"format": "taostate", "version": 4, "ruleset": "finney-2023"}, "version 4 is newer"),
        ({"format": "taostate", "version": 0, "ruleset": "finney-2023"}, "version 0"),
        ({"format": "taostate", "version": 1, "ruleset": "finney-2030"}, "finney-2030"),
        ({"format": "other", "version": 1, "ruleset": "finney-2023"}, "other"),
        ({"format": "taostate", "ruleset": "finney-2023"}, "None"),
        ([1, 2], "list"),
        (b"\xc1", "msgpack"),
    ],
)
def test_format_mismatch(path: str, fmt: Any, found: str) -> None:
    BlockLog.create(path, GENESIS).close()
    _rewrite_format(path, fmt)
    for ro in (False, True):
        with pytest.raises(LogFormatError) as ei:
            BlockLog.open(path, readonly=ro)
        assert found in str(ei.value)
    # the failed writable open released its lock
    _rewrite_format(path, {"format": "taostate", "version": 1, "ruleset": "finney-2023"})
    BlockLog.open(path).close()


def test_ruleset_requested_at_open(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    BlockLog.open(path, ruleset="finney-2023").close()
    for ro in (False, True):
        with pytest.raises(LogFormatError, match="finney-2023"):
            BlockLog.open(path, readonly=ro, ruleset="finney-2024")
    with BlockLog.open(path) as lg:  # the refused opens left nothing open or locked
        assert lg.head() == 0
    with BlockLog.open(path) as lg:
        with pytest.raises(LogFormatError):
            BlockLog.open(path, readonly=True, ruleset="finney-2024")


def test_garbage_data_file(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    with open(os.path.join(path, "data.mdb"), "r+b") as f:
        f.write(b"\xde\xad" * 4096)
    with pytest.raises(LogError) as ei:
        BlockLog.open(path)
    assert isinstance(ei.value, (LogFormatError, LogCorrupted))
    with pytest.raises(LogError):
        BlockLog.open(path)  # and the failed open left no lock behind


def test_gap_in_blocks_is_reported(path: str) -> None:
    with BlockLog.create(path, GENESIS, format_version=2) as lg:  # a value per block
        lg.append(blocks(1, 5))
    env = lmdb.open(path, max_dbs=3)
    with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
        txn.delete((3).to_bytes(8, "big"))
    env.close()
    with BlockLog.open(path) as lg:
        with pytest.raises(LogCorrupted) as ei:
            list(lg.iter_blocks())
        assert ei.value.block == 3
        with pytest.raises(LogCorrupted) as ei:
            lg.get(3)
        assert ei.value.block == 3
        assert lg.get(4) == rec(4)


def test_missing_group_is_reported(path: str) -> None:
    """Format 3: a missing group of blocks is named by its first block (reading on) or by the
    block asked for; the groups around it read as before."""
    g = BLOCK_GROUP
    with BlockLog.create(path, GENESIS) as lg:
        lg.append(blocks(1, 2 * g + 8))
    env = lmdb.open(path, max_dbs=3)
    with env.begin(write=True, db=env.open_db(b"blocks")) as txn:
        keys = [int.from_bytes(k, "big") for k in txn.cursor().iternext(values=False)]
        assert keys == [1, g + 1, 2 * g + 1]
        txn.delete((g + 1).to_bytes(8, "big"))
    env.close()
    with BlockLog.open(path) as lg:
        assert lg.head() == 2 * g + 8
        assert corrupted_block(lambda: list(lg.iter_blocks())) == g + 1
        assert corrupted_block(lambda: list(lg.iter_blocks(g + 4))) == g + 4
        assert corrupted_block(lambda: lg.get(g + 4)) == g + 4
        assert lg.get(g) == rec(g) and lg.get(2 * g + 1) == rec(2 * g + 1)
        assert list(lg.iter_blocks(2 * g + 1)) == blocks(2 * g + 1, 2 * g + 8)


# --------------------------------------------------------------------------- #
# Single writer


def test_locked_in_process(log: BlockLog, path: str) -> None:
    with pytest.raises(LogLocked, match="this process"):
        BlockLog.open(path)
    with pytest.raises(LogLocked):
        BlockLog.open(os.path.join(path, ".", ""))  # same directory, other spelling
    ro = BlockLog.open(path, readonly=True)  # readers don't take the lock
    log.append(blocks(1, 2))
    assert ro.head() == 2  # and see each commit
    with pytest.raises(LogError, match="read-only"):
        ro.append(blocks(3, 3))
    with pytest.raises(LogError, match="read-only"):
        ro.check_writable()
    log.check_writable()
    log.close()
    w = BlockLog.open(path)  # the lock was released; readers keep working
    assert ro.head() == 2
    w.append(blocks(3, 3))
    assert ro.head() == 3
    w.close()
    ro.close()


def test_symlinked_path_is_the_same_log(log: BlockLog, path: str, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(path)
    with pytest.raises(LogLocked):
        BlockLog.open(link)


def test_readonly_first_then_writer(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    ro = BlockLog.open(path, readonly=True)
    with pytest.raises(LogLocked, match="read-only"):
        BlockLog.open(path)
    ro.close()
    BlockLog.open(path).close()


def test_closed_handle(path: str) -> None:
    lg = BlockLog.create(path, GENESIS)
    lg.close()
    lg.close()  # idempotent
    assert lg.closed
    with pytest.raises(LogError, match="closed"):
        lg.head()
    with pytest.raises(LogError, match="closed"):
        lg.append(blocks(1, 1))
    assert "closed" in repr(lg)
    with pytest.raises(TypeError):
        BlockLog()


def test_dropped_handle_releases_the_lock(path: str) -> None:
    lg = BlockLog.create(path, GENESIS)
    del lg
    BlockLog.open(path).close()


def test_locked_across_processes(log: BlockLog, path: str) -> None:
    log.append(blocks(1, 4))
    r = child("""
        try:
            BlockLog.open(sys.argv[1])
        except errors.LogLocked as e:
            print("LogLocked", e)
        with BlockLog.open(sys.argv[1], readonly=True) as ro:
            print("head", ro.head())
    """, path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("LogLocked")
    assert "another process" in r.stdout and os.path.realpath(path) in r.stdout
    assert "head 4" in r.stdout


@contextmanager
def running(code: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """A child process running ``code``; SIGKILLed and reaped on exit."""
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                         stdout=subprocess.PIPE, text=True, env=CHILD_ENV)
    try:
        yield p
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()
        assert p.stdout is not None
        p.stdout.close()


def kill(p: subprocess.Popen[str]) -> None:
    p.send_signal(signal.SIGKILL)
    p.wait()


def test_lock_of_a_killed_writer_is_released(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    with running("""
        import sys, time
        from taostate.log import BlockLog
        lg = BlockLog.open(sys.argv[1])
        print("ready", flush=True)
        time.sleep(60)
    """, path) as p:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        with pytest.raises(LogLocked, match="another process"):
            BlockLog.open(path)
        kill(p)
    BlockLog.open(path).close()


def test_sigkill_while_appending_loses_nothing_committed(path: str) -> None:
    BlockLog.create(path, GENESIS).close()
    committed = 0
    with running("""
        import sys, msgpack
        from taostate.log import BlockLog
        def rec(n):
            return msgpack.packb([1, n, bytes(32), [[1, n.to_bytes(32, "big")]]],
                                 use_bin_type=True)
        lg = BlockLog.open(sys.argv[1])
        n = 0
        while True:
            batch = [(m, rec(m)) for m in range(n + 1, n + 1 + 1 + n % 50)]
            n = lg.append(batch)
            if n % 3 == 0:
                lg.put_snapshot(n, b"s" * 1000)
            print(n, flush=True)
    """, path) as p:
        assert p.stdout is not None
        deadline = time.monotonic() + 30
        while committed < 3000 and time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            committed = int(line)
        kill(p)  # at an arbitrary point of its loop
    assert committed > 0
    with BlockLog.open(path) as lg:
        head = lg.head()
        assert head >= committed
        assert [n for n, _ in lg.iter_blocks()] == list(range(1, head + 1))
        assert all(data == rec(n) for n, data in lg.iter_blocks())
        lg.append(blocks(head + 1, head + 1))


def test_stale_readers_are_cleared(path: str) -> None:
    """A reader SIGKILLed mid-transaction leaves a slot in the lock table while
    other processes keep the environment open; the next open clears it."""
    writer = BlockLog.create(path, GENESIS)
    writer.append(blocks(1, 100))
    reader = """
        import sys, time
        from taostate.log import BlockLog
        lg = BlockLog.open(sys.argv[1], readonly=True)
        it = lg.iter_blocks()
        next(it)  # holds a read transaction (a reader slot)
        print("reading", flush=True)
        time.sleep(60)
    """
    try:
        for opener in ("in-process", "another process"):
            with running(reader, path) as p:
                assert p.stdout is not None and p.stdout.readline().strip() == "reading"
                pid = str(p.pid)
                assert pid in writer._sh.env.readers().split()
                kill(p)
            assert pid in writer._sh.env.readers().split()  # stale
            if opener == "in-process":
                BlockLog.open(path, readonly=True).close()
            else:
                r = child("BlockLog.open(sys.argv[1], readonly=True).close()", path)
                assert r.returncode == 0, r.stderr
            assert pid not in writer._sh.env.readers().split()
        writer.append(blocks(101, 200))
        assert writer.head() == 200
    finally:
        writer.close()


# --------------------------------------------------------------------------- #
# Model-based: the log behaves like a list of records and a dict of snapshots


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[bytes] = []
        self.snaps: dict[int, bytes] = {}

    @initialize(tmp=st.integers(0, 10**9))
    def make(self, tmp: int) -> None:
        import tempfile

        self.dir = tempfile.TemporaryDirectory(prefix="taostate-log-")
        self.path = os.path.join(self.dir.name, "chain")
        self.log = BlockLog.create(self.path, GENESIS)

    def teardown(self) -> None:
        if hasattr(self, "log"):
            self.log.close()
            self.dir.cleanup()

    @rule(n=st.integers(0, 20), snap_at=st.lists(st.integers(0, 25), max_size=3),
          size=st.sampled_from([0, 0, 40_000]))
    def append(self, n: int, snap_at: list[int], size: int) -> None:
        head = len(self.blocks)
        # small records, or records large enough to close format 3's groups by their bytes
        new = [(head + 1 + i, os.urandom(8) + bytes([i]) + bytes(size)) for i in range(n)]
        snaps = [(b, b"snap%d" % b) for b in snap_at]
        ok = bool(new) and all(b <= head + n for b, _ in snaps)
        if not new and not snaps:
            ok = True
        try:
            got = self.log.append(new, snapshots=snaps)
        except LogError:
            assert not ok
            return
        assert ok
        assert got == head + n
        self.blocks.extend(d for _, d in new)
        self.snaps.update(snaps)

    @rule(skip=st.integers(2, 5), n=st.integers(1, 4))
    def bad_append(self, skip: int, n: int) -> None:
        head = len(self.blocks)
        with pytest.raises(LogError):
            self.log.append([(head + skip + i, b"x") for i in range(n)])

    @precondition(lambda self: bool(self.blocks))
    @rule(data=st.data())
    def snapshot(self, data: st.DataObject) -> None:
        b = data.draw(st.integers(0, len(self.blocks)))
        self.log.put_snapshot(b, b"s%d" % b)
        self.snaps[b] = b"s%d" % b

    @rule(data=st.data())
    def read_range(self, data: st.DataObject) -> None:
        head = len(self.blocks)
        start = data.draw(st.integers(1, head + 2))
        stop = data.draw(st.one_of(st.none(), st.integers(0, head + 3)))
        got = list(self.log.iter_blocks(start, stop))
        end = head + 1 if stop is None else min(stop, head + 1)
        assert got == [(n, self.blocks[n - 1]) for n in range(start, end)]

    @precondition(lambda self: bool(self.blocks))
    @rule(data=st.data())
    def read_one(self, data: st.DataObject) -> None:
        n = data.draw(st.integers(1, len(self.blocks)))
        assert self.log.get(n) == self.blocks[n - 1]

    @rule(at=st.one_of(st.none(), st.integers(-1, 60)))
    def latest(self, at: int | None) -> None:
        cands = [b for b in self.snaps if at is None or b <= at]
        want = (max(cands), self.snaps[max(cands)]) if cands else None
        assert self.log.latest_snapshot(at) == want

    @rule()
    def reopen(self) -> None:
        self.log.close()
        self.log = BlockLog.open(self.path)

    @invariant()
    def head_matches(self) -> None:
        if hasattr(self, "log"):
            assert self.log.head() == len(self.blocks)
            assert self.log.snapshots() == sorted(self.snaps)


LogMachine.TestCase.settings = settings(
    stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLogModel = LogMachine.TestCase


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_does_not_inherit_the_writer(log: BlockLog, path: str) -> None:
    log.append(blocks(1, 2))
    pid = os.fork()
    if pid == 0:  # child: report through the exit code, never return into pytest
        code = 0
        try:
            try:
                log.head()
                code |= 1
            except LogError:
                pass
            try:
                BlockLog.open(path)
                code |= 2
            except LogLocked:
                pass
            try:  # py-lmdb refuses to reopen an environment inherited across fork
                with BlockLog.open(path, readonly=True) as ro:
                    if ro.head() != 2:
                        code |= 4
            except LogLocked as e:
                if "fork" not in str(e):
                    code |= 4
        except BaseException:
            code |= 8
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent still holds its lock and its environment
    log.append(blocks(3, 3))
    r = child("""
        try:
            BlockLog.open(sys.argv[1])
        except errors.LogLocked:
            print("locked")
    """, path)
    assert r.stdout.strip() == "locked"
