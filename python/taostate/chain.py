"""`Chain`: the live engine over the LMDB block log, snapshots, time travel and verification.

The Rust engine (`taostate._core.Engine`) owns the state and the rules; this module only moves
bytes between it and the log (`taostate.log`), and presents results.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack

from . import _core
from .accounts import AccountId, to_account
from .errors import (
    InvalidGenesis,
    InvalidTransaction,
    LogCorrupted,
    LogError,
    LogFormatError,
    ReplayDivergence,
    TaoStateError,
    TxRejected,
)
from .log import BlockLog
from .queries import Queries, convert_events
from .tx import Tx

RULESET = "finney-2023"
SNAPSHOT_VERSION = 1
REPLAY_BATCH = 4096
Event = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Genesis:
    """The genesis record (docs/design.md §2): balances, sudo key, triumvirate, global
    parameters."""

    balances: Mapping[Any, int] = field(default_factory=dict)
    sudo: Any = None
    triumvirate: Sequence[Any] = ()
    params: Mapping[str, int | bool] = field(default_factory=dict)

    def to_msgpack(self) -> bytes:
        if self.sudo is None:
            raise InvalidGenesis("Genesis.sudo: a sudo account is required")
        balances = []
        for k, v in self.balances.items():
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**64:
                raise InvalidGenesis(f"Genesis.balances: {v!r} is not a rao amount (0 ≤ int < 2**64)")
            balances.append([bytes(to_account(k, "Genesis.balances")), int(v)])
        balances.sort()
        for name, value in self.params.items():
            if not isinstance(name, str):
                raise InvalidGenesis(f"Genesis.params: parameter names are strings, got {name!r}")
            if not isinstance(value, (bool, int)) or (not isinstance(value, bool) and not 0 <= value < 2**64):
                raise InvalidGenesis(f"Genesis.params.{name}: {value!r} is not a bool or u64")
        record = {
            "balances": balances,
            "sudo": bytes(to_account(self.sudo, "Genesis.sudo")),
            "triumvirate": [bytes(to_account(m, "Genesis.triumvirate")) for m in self.triumvirate],
            "params": dict(sorted(self.params.items())),
            "ruleset": RULESET,
        }
        packed: bytes = msgpack.packb(record, use_bin_type=True)
        return packed


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


def _unpack_snapshot(data: bytes) -> tuple[int, bytes, bytes] | None:
    """(block, root, state) or None for a snapshot this engine does not read (it is a cache)."""
    try:
        version, block, root, state = msgpack.unpackb(data, raw=False)
    except Exception:
        return None
    if version != SNAPSHOT_VERSION:
        return None
    return block, root, state


class View(Queries):
    """A read-only view of the committed state after one block."""

    def __init__(self, engine: _core.Engine) -> None:
        self._engine = engine


class Chain(Queries):
    """A chain: the LMDB log at `path` and the engine replayed from it.

    Use `Chain.create`, `Chain.open` or `Chain.ephemeral`; close it (or use `with`).
    """

    def __init__(self, log: BlockLog, engine: _core.Engine, snapshot_every: int,
                 temp_dir: str | None = None) -> None:
        self._log = log
        self._engine = engine
        self._snapshot_every = snapshot_every
        self._temp_dir = temp_dir
        self._closed = False
        self._buffer: tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]] | None = None
        self._batch_size = 10_000

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], genesis: Genesis, *,
               snapshot_every: int = 10_000) -> Chain:
        """Create a new chain at `path` (ChainExists if there is one)."""
        if snapshot_every < 1:
            raise ValueError("snapshot_every must be at least 1")
        gbytes = genesis.to_msgpack()
        engine = _core.Engine.from_genesis(gbytes)  # validates before anything is written
        log = BlockLog.create(path, gbytes, ruleset=RULESET)
        log.put_meta("snapshot_every", msgpack.packb(snapshot_every))
        return cls(log, engine, snapshot_every)

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
            engine = _replay_to(log, log.head(), progress=progress)
        except BaseException:
            log.close()
            raise
        return cls(log, engine, snapshot_every)

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
    def head_hash(self) -> str:
        """Hex of the last committed block's hash (block 0: of the genesis record)."""
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
                if number % self._snapshot_every == 0:
                    state = bytes(self._engine.snapshot())
                    root = bytes(self._engine.state_root())
                    snapshots.append((number, _pack_snapshot(number, root, state)))
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

    def _append(self, records: list[tuple[int, bytes]], snapshots: list[tuple[int, bytes]]) -> None:
        try:
            self._log.append(records, snapshots=snapshots)
        except BaseException:
            self._rebuild()
            raise

    def _rebuild(self) -> None:
        if self._buffer is not None:
            self._buffer = ([], [])
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
        """The committed state after `block` (0 = genesis), read-only."""
        self._check_open()
        if not isinstance(block, int) or block < 0 or block > self._log.head():
            raise ValueError(f"block {block!r} is not committed: choose 0 ≤ block ≤ head ({self._log.head()})")
        return View(_replay_to(self._log, block))

    def events(self, block: int) -> list[Event]:
        """The events of committed block `block`: its block step's, then each transaction's."""
        self._check_open()
        if not isinstance(block, int) or not 1 <= block <= self._log.head():
            raise ValueError(f"block {block!r} is not committed: choose 1 ≤ block ≤ head ({self._log.head()})")
        engine = _replay_to(self._log, block - 1)
        return convert_events(engine.apply_record_events(self._log.get(block)))

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
                snaps[b] = snap[1]
        engine = _core.Engine.from_genesis(self._log.genesis())
        checked = 0
        for batch in _batches(self._log, 1, head, progress=progress, desc="verify"):
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
    """Records start..stop (inclusive) in lists of REPLAY_BATCH, with an optional progress bar."""
    bar = None
    if progress and stop >= start:
        from tqdm import tqdm

        bar = tqdm(total=stop - start + 1, desc=desc, unit="block", unit_scale=True)
    batch: list[bytes] = []
    try:
        for number, rec in log.iter_blocks(start, stop + 1):
            batch.append(rec)
            if len(batch) >= REPLAY_BATCH:
                yield batch
                if bar is not None:
                    bar.update(len(batch))
                batch = []
        if batch:
            yield batch
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()


def _replay_to(log: BlockLog, block: int, *, progress: bool = False) -> _core.Engine:
    """Engine at `block`: the latest readable snapshot ≤ block, then the log's tail."""
    engine = None
    at_most = block
    while engine is None:
        found = log.latest_snapshot(at_most)
        if found is None:
            engine = _core.Engine.from_genesis(log.genesis())
            break
        b, data = found
        snap = _unpack_snapshot(data)
        if snap is not None:
            try:
                engine = _core.Engine.restore(snap[2])
            except LogFormatError:
                engine = None
        if engine is None:  # unreadable snapshot: it is only a cache, use an earlier one
            at_most = b - 1
            if at_most < 0:
                engine = _core.Engine.from_genesis(log.genesis())
    start = int(engine.head) + 1
    for batch in _batches(log, start, block, progress=progress):
        engine.apply_records(batch)
    if int(engine.head) != block:
        raise LogCorrupted(f"block {int(engine.head) + 1}: the log ends before block {block}",
                           block=int(engine.head) + 1)
    return engine


__all__ = ["Chain", "Genesis", "Receipt", "View", "AccountId", "LogError"]
