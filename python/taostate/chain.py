"""`Chain`: the live engine over the LMDB block log, snapshots, time travel and verification.

The Rust engine (`taostate._core.Engine`) owns the state and the rules; this module only moves
bytes between it and the log (`taostate.log`), and presents results.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

from . import _core
from .accounts import AccountId, to_account
from .errors import (
    InvalidTransaction,
    LogCorrupted,
    LogError,
    LogFormatError,
    BlockOutOfRange,
    ReplayDivergence,
    TaoStateError,
    TxRejected,
)
from .frames import Forkable, Frames
from .genesis import Genesis
from .log import BlockLog
from .queries import Queries, convert_events
from .tx import Tx

RULESET = "finney-2023"
SNAPSHOT_VERSION = 1
DELTA_SNAPSHOT_VERSION = 2
REPLAY_BATCH = 4096
# a replay list also ends at this many bytes of records, so reading overlaps applying (_batches)
REPLAY_BATCH_BYTES = 4 << 20
PREFETCH = 2
FORK_CACHE = 4  # restored states kept for forks (Chain._engine_at)
Event = tuple[str, dict[str, Any]]


class Receipt:
    """Where an accepted transaction landed (`block`, `index`) and what it did (`events`)."""

    __slots__ = ("block", "index", "_raw", "_events")

    def __init__(self, block: int, index: int, raw: _core.Events) -> None:
        self.block = block
        self.index = index
        self._raw = raw
        self._events: list[Event] | None = None

    @property
    def events(self) -> list[Event]:
        """Events as docs/ruleset.md names them, `(name, {field: value})`, converted on first access."""
        if self._events is None:
            self._events = convert_events(self._raw.to_list())
        return self._events

    def __repr__(self) -> str:
        return f"Receipt(block={self.block}, index={self.index}, events={self.events!r})"


def _pack_snapshot(block: int, root: bytes, state: bytes) -> bytes:
    packed: bytes = msgpack.packb([SNAPSHOT_VERSION, block, root, state], use_bin_type=True)
    return packed


class _Stored(NamedTuple):
    """What a stored snapshot record says: the block, the state root after it, where the engine
    snapshot (or delta) starts in the record, and for a delta the block of its full base."""

    block: int
    root: bytes
    offset: int
    base: int | None


def _pack_delta(block: int, root: bytes, base: int, delta: bytes) -> bytes:
    packed: bytes = msgpack.packb([DELTA_SNAPSHOT_VERSION, block, root, base, delta], use_bin_type=True)
    return packed


def _unpack_snapshot(data: bytes) -> _Stored | None:
    """The header of a stored snapshot record, or None for one this engine does not read (it is a
    cache). The engine snapshot (~50 MB at a Finney-scale year's end) is restored from `data` in
    place (`Engine.restore(data, offset)`), not copied out."""
    # [1, block, root, state] or [2, block, root, base, delta]: the state is a bin at the end
    kinds = {b"\x94": SNAPSHOT_VERSION, b"\x95": DELTA_SNAPSHOT_VERSION}
    kind = kinds.get(data[:1])
    if kind is None:
        return None
    head = msgpack.Unpacker(raw=False)
    head.feed(data[1:80])
    try:
        version, block, root = head.unpack(), head.unpack(), head.unpack()
        base = head.unpack() if kind == DELTA_SNAPSHOT_VERSION else None
    except Exception:
        return None
    if version != kind or not isinstance(block, int) or not isinstance(root, bytes) or not (
            base is None or isinstance(base, int) and 0 <= base < block):
        return None
    at = 1 + head.tell()
    marker, size = data[at:at + 1], {b"\xc4": 1, b"\xc5": 2, b"\xc6": 4}
    if marker not in size:
        return None
    n = size[marker]
    start = at + 1 + n
    if start + int.from_bytes(data[at + 1:start], "big") != len(data):
        return None
    return _Stored(block, root, start, base)


def _restore_stored(log: BlockLog, data: bytes) -> tuple[_core.Engine, Callable[[], _core.Engine]] | None:
    """The engine of stored snapshot record `data` (for a delta, with its base read from the log),
    and a function that restores it again from the same bytes; None if it cannot be read (a
    snapshot is only a cache: an unknown version, a missing or unreadable base)."""
    snap = _unpack_snapshot(data)
    if snap is None:
        return None
    if snap.base is None:
        def again() -> _core.Engine:
            return _core.Engine.restore(data, snap.offset)
    else:
        try:
            base_data = log.get_snapshot(snap.base)
        except LogError:
            return None
        base = _unpack_snapshot(base_data)
        if base is None or base.base is not None:
            return None

        def again() -> _core.Engine:
            return _core.Engine.restore_delta(base_data, data, base.offset, snap.offset)
    try:
        return again(), again
    except LogFormatError:
        return None


def _check_full_every(full: int | None, snapshot_every: int) -> int:
    """`full_snapshot_every` as stored: 0 (every snapshot full) or a multiple of `snapshot_every`."""
    if full is None or full == 0:
        return 0
    if isinstance(full, bool) or not isinstance(full, int) or full < 0 or full % snapshot_every:
        raise ValueError(f"full_snapshot_every must be a multiple of snapshot_every ({snapshot_every}) "
                         f"or None, got {full!r}")
    return full


class View(Queries, Forkable):
    """A read-only view of the committed state after one block (`fork()` branches from it)."""

    def __init__(self, engine: _core.Engine) -> None:
        self._engine = engine

    # the one block a view holds, for `fork()` (taostate.frames.Source)
    def _committed_head(self) -> int:
        return int(self._engine.head)

    def _first_block(self) -> int:
        return int(self._engine.head)

    def _engine_at(self, block: int) -> _core.Engine:
        return self._engine


class Chain(Queries, Frames):
    """A chain: the LMDB log at `path` and the engine replayed from it.

    Use `Chain.create`, `Chain.open` or `Chain.ephemeral`; close it (or use `with`).
    """

    def __init__(self, log: BlockLog, engine: _core.Engine, snapshot_every: int,
                 temp_dir: str | None = None, recent_snapshots: tuple[int, int] = (0, 0),
                 full_snapshot_every: int = 0) -> None:
        self._log = log
        self._engine = engine
        self._snapshot_every = snapshot_every
        self._recent_every, self._recent_window = recent_snapshots
        self._full_every = full_snapshot_every
        # the engine of the last full snapshot on the grid, the base of the deltas after it
        self._delta_base: tuple[int, _core.Engine] | None = None
        self._temp_dir = temp_dir
        self._closed = False
        self._buffer: tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]] | None = None
        self._batch_size = 10_000
        # committed states restored for forks, by block (never mutated; the latest few kept)
        self._states: dict[int, _core.Engine] = {}
        self._restored = _Restored()

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], genesis: Genesis, *,
               snapshot_every: int = 10_000, recent_snapshots: tuple[int, int] | None = None,
               full_snapshot_every: int | None = None) -> Chain:
        """Create a new chain at `path` (ChainExists if there is one).

        Snapshot policy: a snapshot every `snapshot_every` blocks, kept; with `recent_snapshots =
        (every, window)` also one every `every` blocks, kept only while it is within `window`
        blocks of the head — `at(b)` of recent blocks replays a short tail, old history costs
        one snapshot per `snapshot_every` blocks of disk (bench/README.md). With
        `full_snapshot_every` (a multiple of `snapshot_every`), only the snapshots of those blocks
        hold the whole state; the others are deltas from the full one before them (the accounts
        that changed, docs/WIRE.md "Delta snapshots"): a quarter of the disk or less each, for the
        cost of restoring both.
        """
        if snapshot_every < 1:
            raise ValueError("snapshot_every must be at least 1")
        recent = recent_snapshots or (0, 0)
        if len(recent) != 2 or recent[0] < 0 or recent[1] < 0:
            raise ValueError("recent_snapshots is (every ≥ 1, window ≥ 0) or None")
        full = _check_full_every(full_snapshot_every, snapshot_every)
        gbytes = genesis.to_msgpack()
        engine = _core.Engine.from_genesis(gbytes)  # validates before anything is written
        log = BlockLog.create(path, gbytes, ruleset=RULESET)
        log.put_meta("snapshot_every", msgpack.packb(snapshot_every))
        if recent[0]:
            log.put_meta("recent_snapshots", msgpack.packb(list(recent)))
        if full:
            log.put_meta("full_snapshot_every", msgpack.packb(full))
        return cls(log, engine, snapshot_every, recent_snapshots=(int(recent[0]), int(recent[1])),
                   full_snapshot_every=full)

    @classmethod
    def ephemeral(cls, genesis: Genesis, *, snapshot_every: int = 10_000) -> Chain:
        """A chain in a temporary directory that is removed on close."""
        tmp = tempfile.mkdtemp(prefix="taostate-")
        try:
            chain = cls.create(os.path.join(tmp, "chain"), genesis, snapshot_every=snapshot_every)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        chain._temp_dir = tmp
        return chain

    @classmethod
    def open(cls, path: str | os.PathLike[str], readonly: bool = False, *,
             progress: bool = False) -> Chain:
        """Open a chain: restore the latest snapshot and replay the tail of the log."""
        log = BlockLog.open(path, readonly=readonly)
        try:
            raw = log.get_meta("snapshot_every")
            snapshot_every = msgpack.unpackb(raw) if raw is not None else 10_000
            raw = log.get_meta("recent_snapshots")
            every, window = msgpack.unpackb(raw) if raw is not None else (0, 0)
            raw = log.get_meta("full_snapshot_every")
            full = int(msgpack.unpackb(raw)) if raw is not None else 0
            engine = _replay_to(log, log.head(), progress=progress)
        except BaseException:
            log.close()
            raise
        return cls(log, engine, snapshot_every, recent_snapshots=(int(every), int(window)),
                   full_snapshot_every=full)

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the log. An open, unsealed block is discarded (call `step()` first to keep it);
        so are sealed blocks still buffered by an unfinished `batch()`."""
        if self._closed:
            return
        self._closed = True
        self._restored = _Restored()
        self._log.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def _check_open(self) -> None:
        if self._closed:
            raise TaoStateError("this chain is closed; open it again with Chain.open(path)")

    # ---- writing ------------------------------------------------------------------------
    @property
    def head(self) -> int:
        """The last sealed block number (committed, except for blocks buffered inside `batch()`)."""
        return int(self._engine.head)

    @property
    def genesis_block(self) -> int:
        """The block the genesis record is the state of: 0, or b₀ for imported chain state
        (`Genesis.from_neurons`), whose first block is b₀ + 1."""
        return self._log.genesis_block

    @property
    def head_hash(self) -> str:
        """Hex of the last committed block's hash (at the genesis block: of the genesis record)."""
        return bytes(self._engine.head_hash).hex()

    def submit(self, tx: Tx) -> Receipt:
        """Validate and apply one transaction in the open block (opened if needed)."""
        self._check_open()
        self._log.check_writable()
        if not isinstance(tx, Tx):
            raise InvalidTransaction(f"submit() takes a taostate.tx transaction, got {type(tx).__name__}")
        data = tx.to_msgpack()
        try:
            raw_events = self._engine.submit(data)
        except TxRejected as e:
            e.tx = tx
            raise
        engine = self._engine
        return Receipt(engine.block, engine.pending_len - 1, raw_events)

    def submit_many(self, txs: Iterable[Tx]) -> list[Receipt]:
        """Submit in order; stops at the first rejection and raises it (earlier ones stay applied)."""
        return [self.submit(tx) for tx in txs]

    def submit_encoded(self, txs: Sequence[bytes]) -> int:
        """The bulk append path: submit transactions given as their wire bytes (docs/WIRE.md, e.g.
        `tx.to_msgpack()` made once, or any msgpack writer's shortest form), in order, in one call
        into the engine. Each goes through exactly the checks of `submit` and raises the same
        errors (`InvalidTransaction`, the `TxRejected` subclass); at the first one refused the call
        stops, raises it with `.index` set to its position, and the ones before it stay applied.
        Returns how many were applied (all of them). No receipts: use `submit` for events."""
        self._check_open()
        self._log.check_writable()
        if not isinstance(txs, list):
            txs = list(txs)
        for i, t in enumerate(txs):
            if type(t) is not bytes:
                raise InvalidTransaction(f"submit_encoded: item {i} is {type(t).__name__}, expected the "
                                         "transaction's wire bytes (bytes)")
        engine = self._engine
        before = engine.pending_len
        try:
            return int(engine.submit_many(txs))
        except (TxRejected, InvalidTransaction) as e:
            setattr(e, "index", engine.pending_len - before)  # noqa: B010 - an extra attribute
            raise

    def step(self, blocks: int = 1) -> int:
        """Seal the open block (empty if none), then `blocks - 1` empty ones; returns the new head.

        The sealed blocks are appended in one write transaction (inside `batch()`, when the batch
        is flushed). If the append fails the engine is rebuilt from the log and the error is
        raised: nothing half-applied survives.
        """
        self._check_open()
        self._log.check_writable()
        if blocks < 1:
            raise ValueError("step(blocks) needs blocks ≥ 1")
        records: list[tuple[int, bytes]] = []
        snapshots: list[tuple[int, bytes]] = []
        try:
            for _ in range(blocks):
                rec = bytes(self._engine.seal())
                number = int(self._engine.head)
                records.append((number, rec))
                if number % self._snapshot_every == 0 or (
                        self._recent_every and number % self._recent_every == 0):
                    snapshots.append((number, self._snapshot_record(number)))
        except BaseException:
            self._rebuild()
            raise
        if self._buffer is not None:
            self._buffer[0].extend(records)
            self._buffer[1].extend(snapshots)
            if len(self._buffer[0]) >= self._batch_size:
                self._flush()
        else:
            self._append(records, snapshots)
        return int(self._engine.head)

    def _snapshot_record(self, number: int) -> bytes:
        """The snapshot record of the engine's state after block `number`: on the grid, a delta
        from the last full snapshot when the policy has deltas and one is held, else the whole
        state, which becomes that base (after `open`, the first one on the grid is full); off the
        grid (the recent window's, for fast reads of recent history), the whole state."""
        engine = self._engine
        root = bytes(engine.state_root())
        base = self._delta_base
        on_grid = number % self._snapshot_every == 0
        full_due = not self._full_every or number % self._full_every == 0
        if on_grid and not full_due and base is not None:
            return _pack_delta(number, root, base[0], bytes(engine.snapshot_delta(base[1])))
        if self._full_every and on_grid:
            self._delta_base = (number, _core.fork_engine(engine))
        return _pack_snapshot(number, root, bytes(engine.snapshot()))

    def _append(self, records: list[tuple[int, bytes]], snapshots: list[tuple[int, bytes]]) -> None:
        if self._recent_every and snapshots:  # recent-only snapshots already out of the window
            snapshots = [(n, d) for n, d in snapshots if not self._expired(n, records[-1][0])]
        try:
            self._log.append(records, snapshots=snapshots)
        except BaseException:
            self._rebuild()
            raise
        if self._recent_every and snapshots:
            head = records[-1][0]
            for b in self._log.snapshots():
                if b >= head - self._recent_window:
                    break
                if self._expired(b, head):
                    self._log.drop_snapshot(b)

    def set_snapshot_policy(self, snapshot_every: int | None = None,
                            recent_snapshots: tuple[int, int] | None = None,
                            full_snapshot_every: int | None = None) -> None:
        """Change the snapshot policy of this chain from now on (stored in the log; see `create`).
        `None` keeps a setting; `recent_snapshots=(0, 0)` switches the recent ones off,
        `full_snapshot_every=0` the deltas."""
        self._check_open()
        self._log.check_writable()
        every = self._snapshot_every if snapshot_every is None else snapshot_every
        recent = (self._recent_every, self._recent_window) if recent_snapshots is None else recent_snapshots
        if every < 1 or len(recent) != 2 or recent[0] < 0 or recent[1] < 0:
            raise ValueError("snapshot_every ≥ 1 and recent_snapshots = (every ≥ 0, window ≥ 0)")
        full = _check_full_every(self._full_every if full_snapshot_every is None else full_snapshot_every,
                                 every)
        self._log.put_meta("snapshot_every", msgpack.packb(every))
        self._log.put_meta("recent_snapshots", msgpack.packb(list(recent)))
        self._log.put_meta("full_snapshot_every", msgpack.packb(full))
        if every != self._snapshot_every or full != self._full_every:
            self._delta_base = None  # the next grid snapshot is full
        self._snapshot_every, self._full_every = every, full
        self._recent_every, self._recent_window = int(recent[0]), int(recent[1])

    def _expired(self, block: int, head: int) -> bool:
        """A snapshot of the recent policy only (not on the `snapshot_every` grid), out of its window."""
        return (block % self._snapshot_every != 0 and block % self._recent_every == 0
                and block < head - self._recent_window)

    def _rebuild(self) -> None:
        if self._buffer is not None:
            self._buffer = ([], [])
        self._delta_base = None  # its snapshot may not have been written
        self._engine = _replay_to(self._log, self._log.head())

    def _flush(self) -> None:
        if self._buffer is not None and self._buffer[0]:
            records, snapshots = self._buffer
            self._buffer = ([], [])
            self._append(records, snapshots)

    @contextlib.contextmanager
    def batch(self, size: int = 10_000) -> Iterator[Chain]:
        """Within the block, `step()` buffers sealed blocks and appends them `size` at a time in one
        write transaction (the rest at exit, also when the block exits with an exception: sealed
        blocks are valid). Blocks are committed only when appended."""
        self._check_open()
        if self._buffer is not None:
            raise TaoStateError("batch() is already active on this chain")
        self._buffer, self._batch_size = ([], []), size
        try:
            yield self
        finally:
            try:
                if not self._closed:
                    self._flush()
            finally:
                self._buffer = None

    def snapshot(self) -> int:
        """Store a snapshot of the committed state now (the open block, if any, is not included)."""
        self._check_open()
        self._log.check_writable()
        committed = self._log.head()
        live = self._engine
        engine = live if not live.is_open and int(live.head) == committed else _replay_to(self._log, committed)
        block = int(engine.head)
        self._log.put_snapshot(block, _pack_snapshot(block, bytes(engine.state_root()),
                                                     bytes(engine.snapshot())))
        return block

    def create_pow(self, netuid: int, hotkey: Any) -> tuple[int, int, bytes]:
        """Solve the POW of `netuid` for `hotkey` at the current difficulty (block = head)."""
        hk = to_account(hotkey, "hotkey")
        block, nonce, work = self._engine.create_pow(netuid, bytes(hk))
        return int(block), int(nonce), bytes(work)

    # ---- reading history ----------------------------------------------------------------
    def at(self, block: int) -> View:
        """The committed state after `block` (the genesis block, 0 unless the genesis says
        otherwise, is the genesis state), read-only."""
        self._check_open()
        first = self._log.genesis_block
        if isinstance(block, int) and not isinstance(block, bool) and 0 <= block < first:
            raise BlockOutOfRange(f"block {block} is before this chain's genesis: it starts from the state "
                                  f"of block {first} (an imported genesis); choose {first} ≤ block ≤ head "
                                  f"({self._log.head()})")
        if not isinstance(block, int) or block < 0 or block > self._log.head():
            raise ValueError(f"block {block!r} is not committed: choose {first} ≤ block ≤ head ({self._log.head()})")
        engine = _replay_to(self._log, block, restored=self._restored)
        self._restored.view = (block, engine)
        return View(engine)

    def block_hash(self, block: int) -> str:
        """Hex of committed block `block`'s hash: BLAKE2b-256 of its log record (the genesis block: of the
        genesis record), the hash the POW seal uses (docs/ruleset.md §8.3)."""
        self._check_open()
        first = self._log.genesis_block
        if not isinstance(block, int) or isinstance(block, bool) or not first <= block <= self._log.head():
            raise BlockOutOfRange(f"block {block!r} is not committed: choose {first} ≤ block ≤ head "
                                  f"({self._log.head()})")
        record = self._log.genesis() if block == first else self._log.get(block)
        return hashlib.blake2b(record, digest_size=32).hexdigest()

    def events(self, block: int) -> list[Event]:
        """The events of committed block `block`: its block step's, then each transaction's."""
        self._check_open()
        first = self._log.genesis_block + 1
        if not isinstance(block, int) or not first <= block <= self._log.head():
            raise ValueError(f"block {block!r} is not committed: choose {first} ≤ block ≤ head ({self._log.head()})")
        engine = _replay_to(self._log, block - 1, restored=self._restored)
        return convert_events(engine.apply_record_events(self._log.get(block)))

    # ---- what forks and frames read (taostate.frames.Source) ------------------------------
    def _committed_head(self) -> int:
        self._check_open()
        return self._log.head()

    def _first_block(self) -> int:
        return self._log.genesis_block

    def _engine_at(self, block: int) -> _core.Engine:
        """The committed state after `block`, restored once (snapshot + tail) and cached; callers
        copy it (`_core.fork_engine`) before changing anything."""
        self._check_open()
        engine = self._states.pop(block, None)
        if engine is None:
            live = self._engine
            if not live.is_open and int(live.head) == block == self._log.head():
                engine = _core.fork_engine(live)
            else:
                engine = _replay_to(self._log, block, restored=self._restored)
        self._states[block] = engine
        while len(self._states) > FORK_CACHE:
            del self._states[next(iter(self._states))]
        return engine

    def _record_batches(self, start: int, stop: int) -> Iterator[list[bytes]]:
        self._check_open()
        return _batches(self._log, start, stop)

    def verify(self, *, progress: bool = False) -> dict[str, Any]:
        """Replay the whole log from genesis; compare the hash chain and every snapshot's root.

        Raises `LogCorrupted` naming the block where the log is broken, or `ReplayDivergence`
        naming the block whose state differs from its stored snapshot or from the live engine.
        """
        self._check_open()
        head = self._log.head()
        snaps = {}
        for b in self._log.snapshots():
            snap = _unpack_snapshot(self._log.get_snapshot(b))
            if snap is not None:
                snaps[b] = snap.root
        engine = _core.Engine.from_genesis(self._log.genesis())
        checked = 0
        for batch in _batches(self._log, int(engine.head) + 1, head, progress=progress, desc="verify"):
            # Replay up to each snapshot block in the batch, comparing roots there.
            start = int(engine.head) + 1
            cut = [b for b in snaps if start <= b < start + len(batch)]
            pos = 0
            for b in sorted(cut):
                engine.apply_records(batch[pos:b - start + 1])
                pos = b - start + 1
                if bytes(engine.state_root()) != snaps[b]:
                    raise ReplayDivergence(
                        f"block {b}: the replayed state root differs from the stored snapshot's; "
                        "the log or the snapshot was altered, or the engine changed", block=b)
                checked += 1
            engine.apply_records(batch[pos:])
        root = bytes(engine.state_root())
        live = self._engine
        if not live.is_open and int(live.head) == head and root != bytes(live.state_root()):
            raise ReplayDivergence(f"block {head}: the replay differs from the live state", block=head)
        return {"head": head, "head_hash": bytes(engine.head_hash).hex(), "state_root": root.hex(),
                "snapshots_checked": checked}


def _batches(log: BlockLog, start: int, stop: int, *, progress: bool = False,
             desc: str = "replay") -> Iterator[list[bytes]]:
    """Records start..stop (inclusive) in lists of at most REPLAY_BATCH records and about
    REPLAY_BATCH_BYTES, with an optional progress bar.

    The records are read and decompressed on a background thread, up to PREFETCH lists ahead,
    while the caller applies the previous lists (the engine releases the GIL): replay then costs
    about max(read, apply) instead of their sum. The read transaction lives on that thread only.
    Errors of the read (LogCorrupted, LogError, …) are raised here, to the caller, as they were
    raised there; the thread is stopped and joined when the iteration ends, fails or is closed.
    """
    bar = None
    if progress and stop >= start:
        from tqdm import tqdm

        bar = tqdm(total=stop - start + 1, desc=desc, unit="block", unit_scale=True)
    lists = _read_batches(log.iter_blocks(start, stop + 1))
    try:
        for batch in _prefetched(lists):
            yield batch
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()


def _read_batches(records: Iterator[tuple[int, bytes]]) -> Generator[list[bytes], None, None]:
    batch: list[bytes] = []
    size = 0
    try:
        for _, rec in records:
            batch.append(rec)
            size += len(rec)
            if len(batch) >= REPLAY_BATCH or size >= REPLAY_BATCH_BYTES:
                yield batch
                batch, size = [], 0
    finally:
        close = getattr(records, "close", None)  # ends the log's read transaction
        if close is not None:
            close()
    if batch:
        yield batch


_END = object()


def _prefetched(lists: Generator[list[bytes], None, None]) -> Iterator[list[bytes]]:
    """`lists`, produced on a background thread up to PREFETCH items ahead of the consumer."""
    q: queue.Queue[Any] = queue.Queue(maxsize=PREFETCH)
    stop = threading.Event()

    def produce() -> None:
        try:
            with contextlib.closing(lists):  # the read transaction ends on this thread
                for item in lists:
                    if stop.is_set():
                        return
                    q.put(item)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            q.put(_Raised(e))
        finally:
            q.put(_END)

    worker = threading.Thread(target=produce, name="taostate-replay-read", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get(timeout=0.01)
            except queue.Empty:
                pass
        worker.join()


@dataclass(frozen=True)
class _Raised:
    error: BaseException


class _Restored:
    """What history reads (`at`, `events`, forks) can start from besides a snapshot on disk.

    * The decompressed record of the snapshot the last read restored, so that the next read from
      the same snapshot restores it without reading and decompressing it again (~0.1 s instead of
      ~0.16 s for a Finney-scale year's end state). Only the bytes are kept: restoring a second
      engine from them in the background (sessions 7–9) cost a copy per later read and, above all,
      took both cores from whatever came next (the next read, or nothing: after a one-shot read
      it was wasted); bench/README.md, "The year, session 10".
    * The engine of the last `at()` view (views never change their engine), so that reading
      forward — `at(b)` for ascending `b`, the common scan — replays only the blocks since the last
      read instead of those since the snapshot.

    At most one record (~50 MB) and one engine (~100 MiB at that year's end); `Chain.close()`
    releases them."""

    def __init__(self) -> None:
        self.block: int | None = None
        self._again: Callable[[], _core.Engine] | None = None
        self.view: tuple[int, _core.Engine] | None = None
        # measured costs, for choosing between the last view and a snapshot across a snapshot
        self.restore_s: float | None = None  # the last read and restore of a snapshot, seconds
        self.block_s: float | None = None  # the last tail replay, seconds a block

    def keep(self, block: int, again: Callable[[], _core.Engine]) -> None:
        """Keep the snapshot of `block` as `again`, which restores it from its records in memory."""
        self.block, self._again = block, again

    def start(self, block: int, snapshot: int | None) -> _core.Engine | None:
        """The cheapest engine held or restorable in memory for reading `block` whose latest
        snapshot is `snapshot`, or None (read and restore that snapshot). The last view (copied)
        wins when it lies between the snapshot and `block`; before the snapshot, when replaying the
        blocks between costs less than restoring (by the costs measured on earlier reads)."""
        view = self.view
        if view is not None and view[0] <= block:
            since_snapshot = view[0] >= (snapshot if snapshot is not None else -1)
            cheaper = (self.restore_s is not None and self.block_s is not None and snapshot is not None
                       and (snapshot - view[0]) * self.block_s < self.restore_s)
            if since_snapshot or cheaper:
                return _core.fork_engine(view[1])
        if self._again is not None and snapshot == self.block:
            return self._again()
        return None


def _replay_to(log: BlockLog, block: int, *, progress: bool = False,
               restored: _Restored | None = None) -> _core.Engine:
    """Engine at `block`: the latest readable snapshot ≤ block, then the log's tail. With
    `restored`, a copy of an engine it holds when that is cheaper (`_Restored.start`); otherwise
    the snapshot is restored and also kept there."""
    engine = None
    kept: tuple[int, Callable[[], _core.Engine]] | None = None
    at_most = block
    if restored is not None:
        engine = restored.start(block, log.latest_snapshot_block(at_most))
    while engine is None:
        t0 = time.perf_counter()
        found = log.latest_snapshot(at_most)
        if found is None:
            engine = _core.Engine.from_genesis(log.genesis())
            break
        b, data = found
        got = _restore_stored(log, data)
        if got is None:  # unreadable snapshot: it is only a cache, use an earlier one
            at_most = b - 1
            if at_most < 0:
                engine = _core.Engine.from_genesis(log.genesis())
            continue
        engine, again = got
        if restored is not None:
            restored.restore_s = time.perf_counter() - t0
            kept = (b, again)
    start = int(engine.head) + 1
    t0 = time.perf_counter()
    for batch in _batches(log, start, block, progress=progress):
        engine.apply_records(batch)
    if int(engine.head) != block:
        raise LogCorrupted(f"block {int(engine.head) + 1}: the log ends before block {block}",
                           block=int(engine.head) + 1)
    if restored is not None and block - start >= 100:
        restored.block_s = (time.perf_counter() - t0) / (block - start + 1)
    if restored is not None and kept is not None:
        # after the tail, whose replay uses both cores: the read is not slowed by it
        restored.keep(*kept)
    return engine


__all__ = ["Chain", "Genesis", "Receipt", "View", "AccountId", "LogError"]
