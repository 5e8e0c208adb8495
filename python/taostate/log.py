"""The LMDB event log (docs/design.md §2): the only module that touches LMDB.

An environment is a directory holding three named databases:

========== ====================== =============================================
``meta``   ascii names            ``format`` → msgpack ``{"format": "taostate",
                                  "version": 3, "ruleset": …, "blocks": …,
                                  "block_group": 64, …}``;
                                  ``genesis`` → the genesis record; ``lmdb`` →
                                  the LMDB engine and data format the log was
                                  created with
``blocks`` block number, u64 BE   the block record; format 3: the group (up to
                                  64 blocks) starting at that block (below)
``snapshots`` block number, u64 BE msgpack ``[version, block, root, state]``
========== ====================== =============================================

Stored forms (docs/WIRE.md "Storage"): format version 3 (new logs) stores block
records up to 64 to a value — groups keyed by their first block, one zstd
frame a group made with a fixed raw-content dictionary (``zstd-uids-1``: the
msgpack forms of 0‥4095, which every dense weight row's uids are a run of) —
and a snapshot as a zstd frame (level 5, long-distance matching). Version 2
logs (a value per block record: its zstd frame when shorter, else the record)
and version 1 logs (every value as is) stay readable and writable in their own
form. Callers see records only: the hash chain and snapshot roots are over the
record bytes.

Rules kept here:

* One LMDB environment handle per process and path: every :class:`BlockLog`
  on the same directory shares it (two handles on one environment in one
  process would corrupt LMDB's lock table).
* One writer per log: a second writable open raises :class:`LogLocked`, in this
  process (a registry of open paths) and in others (an exclusive ``flock`` on
  ``taostate.lock`` in the directory, released by the kernel if the process
  dies). Read-only opens take no lock and see each commit as it lands.
* A write that fails because the filesystem is full raises DiskFull (with the
  free space); the write transaction is aborted, so nothing committed is lost,
  and the environment is reopened so that appending works again once space is
  freed.
* A committed write transaction is durable (LMDB's default sync settings);
  appending many blocks is one transaction (``putmulti(append=True)``); a crash
  at any moment leaves the log at its last commit, and stale reader slots of
  dead processes are cleared at open.

The environment layer (opening, the per-process registry, the writer lock, the format checks,
LMDB errors and the full disk) is `logenv.py`; the stored forms are `logcodec.py`.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Generator, Iterable, Iterator
from types import TracebackType
from typing import Any, Final

import lmdb
import msgpack
import zstandard

from .errors import (
    ChainExists,
    ChainNotFound,
    InvalidGenesis,
    LogCorrupted,
    LogError,
    LogFormatError,
    LogLocked,
)
from .logcodec import BLOCK_GROUP, ZSTD_MAGIC, Codec
from .logenv import (
    _DB_NAMES,
    _REGISTRY,
    _REGISTRY_LOCK,
    _U64_MAX,
    DEFAULT_MAP_SIZE,
    FORMAT_NAME,
    FORMAT_VERSION,
    LOCK_FILE,
    READ_VERSIONS,
    SUPPORTED_RULESETS,
    _check_genesis,
    _check_only_lmdb_files,
    _clear_stale_readers,
    _decode_format,
    _key,
    _lmdb_error,
    _open_env,
    _release_writer_lock,
    _Shared,
    _stored_head,
    _take_writer_lock,
    _unkey,
    _write_error,
)

__all__ = [
    "BlockLog",
    "DEFAULT_MAP_SIZE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "READ_VERSIONS",
    "LOCK_FILE",
    "SUPPORTED_RULESETS",
]


# --------------------------------------------------------------------------- #


class BlockLog:
    """An append-only log of block records in an LMDB directory.

    Make one with :meth:`create` or :meth:`open`; close it (or use ``with``).
    Block numbers start at b₀ + 1, where b₀ is the genesis record's ``block`` (0 unless it
    says otherwise: a genesis of imported chain state is the state after block b₀).
    """

    __slots__ = ("_sh", "_readonly", "_writer", "_closed", "_pid", "__weakref__")

    _sh: _Shared
    _readonly: bool
    _writer: bool
    _closed: bool
    _pid: int

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("use BlockLog.create(path, genesis) or BlockLog.open(path)")

    @classmethod
    def _attach(cls, sh: _Shared, readonly: bool, writer: bool) -> BlockLog:
        self = object.__new__(cls)
        self._sh = sh
        self._readonly = readonly
        self._writer = writer
        self._closed = False
        self._pid = os.getpid()
        sh.refs += 1
        return self

    # -- opening ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        genesis_bytes: bytes,
        ruleset: str = "finney-2023",
        *,
        map_size: int = DEFAULT_MAP_SIZE,
        format_version: int = FORMAT_VERSION,
    ) -> BlockLog:
        """Create a new log at ``path`` (a new or empty directory) holding the
        genesis record, and open it for writing. Raises ChainExists if a log
        is already there. ``format_version`` 1 writes the old, uncompressed
        form (for tools that read only version 1)."""
        if isinstance(format_version, bool) or format_version not in READ_VERSIONS:
            raise LogFormatError(
                f"format_version {format_version!r}: this taostate writes versions "
                f"{', '.join(map(str, sorted(READ_VERSIONS)))}"
            )
        if ruleset not in SUPPORTED_RULESETS:
            raise LogFormatError(
                f"ruleset {ruleset!r} is not implemented by this taostate "
                f"(supported: {', '.join(sorted(SUPPORTED_RULESETS))})"
            )
        if not isinstance(genesis_bytes, (bytes, bytearray, memoryview)):
            raise InvalidGenesis(
                f"genesis: expected the genesis record bytes, got {type(genesis_bytes).__name__}",
                field="genesis",
            )
        genesis = bytes(genesis_bytes)
        _check_genesis(genesis, ruleset)
        real = os.path.realpath(os.fspath(path))
        with _REGISTRY_LOCK:
            if real in _REGISTRY:
                raise ChainExists(f"{real}: a chain is stored (and open) there; open it instead")
            if os.path.exists(real) and not os.path.isdir(real):
                raise LogError(f"{real} is a file; a log is a directory: choose another path")
            if os.path.isdir(real):
                _check_only_lmdb_files(real)  # before anything is written there
            try:
                os.makedirs(real, exist_ok=True)
            except OSError as e:
                raise LogError(f"{real}: cannot create the directory: {e}") from None
            fd = _take_writer_lock(real)
            try:
                sh = cls._create_locked(real, genesis, ruleset, map_size, format_version)
            except BaseException:
                _release_writer_lock(fd)
                raise
            sh.lock_fd = fd
            sh.writer = True
            _REGISTRY[real] = sh
            return cls._attach(sh, readonly=False, writer=True)

    @classmethod
    def _create_locked(
        cls, real: str, genesis: bytes, ruleset: str, map_size: int, version: int
    ) -> _Shared:
        _check_only_lmdb_files(real)
        foreign = LogError(
            f"{real} holds an LMDB environment that is not a taostate log; choose another path"
        )
        try:
            env = _open_env(real, readonly=False, create=True, map_size=map_size)
        except LogFormatError:
            raise foreign from None
        try:
            env.reader_check()
            with env.begin() as txn:  # the main DB may only name our databases
                names = {k for k in txn.cursor().iternext(keys=True, values=False)}
            if not names <= _DB_NAMES:
                raise foreign
            fmt: dict[str, Any] = {"format": FORMAT_NAME, "version": version, "ruleset": ruleset}
            fmt.update(Codec(version).format_fields())
            major, minor, patch = env.lib_version()
            engine = {
                "lib_version": major,
                "version": f"{major}.{minor}.{patch}",
                "data_format": 1 if major == 0 else 3,
                "py_lmdb": lmdb.__version__,
            }
            with env.begin(write=True) as txn:
                meta = env.open_db(b"meta", txn=txn)
                blocks = env.open_db(b"blocks", txn=txn)
                snapshots = env.open_db(b"snapshots", txn=txn)
                if txn.get(b"format", db=meta) is not None:
                    raise ChainExists(f"{real}: a chain is stored there already; open it instead")
                # an interrupted create wrote nothing (format, lmdb and genesis
                # are one transaction), so blocks must be empty here
                if txn.stat(blocks)["entries"] or txn.stat(snapshots)["entries"]:
                    raise foreign
                txn.put(b"format", msgpack.packb(fmt, use_bin_type=True), db=meta)
                txn.put(b"lmdb", msgpack.packb(engine, use_bin_type=True), db=meta)
                txn.put(b"genesis", genesis, db=meta)
        except lmdb.Error as e:
            env.close()
            raise _lmdb_error(real, e, "creating the log") from None
        except BaseException:
            env.close()
            raise
        return _Shared(real, env, True, meta, blocks, snapshots, fmt, genesis)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        readonly: bool = False,
        *,
        ruleset: str | None = None,
        map_size: int = DEFAULT_MAP_SIZE,
    ) -> BlockLog:
        """Open the log at ``path``. ChainNotFound if there is none;
        LogFormatError if its format, version or ruleset (``ruleset``, when
        given) differ; LogLocked if opened for writing elsewhere."""
        real = os.path.realpath(os.fspath(path))
        with _REGISTRY_LOCK:
            sh = _REGISTRY.get(real)
            if sh is not None and sh.pid == os.getpid():
                cls._check_ruleset(sh, ruleset)
                _clear_stale_readers(sh)
                if readonly:
                    return cls._attach(sh, readonly=True, writer=False)
                if sh.writer:
                    raise LogLocked(
                        f"{real} is already open for writing in this process; use that "
                        f"handle, close it first, or open with readonly=True"
                    )
                if not sh.writable:
                    raise LogLocked(
                        f"{real} is open read-only in this process; close those handles "
                        f"before opening it for writing"
                    )
                sh.lock_fd = _take_writer_lock(real)
                sh.writer = True
                return cls._attach(sh, readonly=False, writer=True)
            if not os.path.isfile(os.path.join(real, "data.mdb")):
                raise ChainNotFound(
                    f"no chain at {real}; create one with Chain.create (or BlockLog.create)"
                )
            fd = None if readonly else _take_writer_lock(real)
            try:
                sh = cls._open_fresh(real, readonly, map_size)
            except BaseException:
                _release_writer_lock(fd)
                raise
            try:
                cls._check_ruleset(sh, ruleset)
            except BaseException:
                sh.env.close()
                _release_writer_lock(fd)
                raise
            sh.lock_fd = fd
            sh.writer = fd is not None
            _REGISTRY[real] = sh
            return cls._attach(sh, readonly=readonly, writer=not readonly)

    @staticmethod
    def _check_ruleset(sh: _Shared, ruleset: str | None) -> None:
        if ruleset is not None and sh.format.get("ruleset") != ruleset:
            raise LogFormatError(
                f"{sh.path}: the log follows ruleset {sh.format.get('ruleset')!r}, "
                f"not {ruleset!r}"
            )

    @classmethod
    def _open_fresh(cls, real: str, readonly: bool, map_size: int) -> _Shared:
        env = _open_env(real, readonly=readonly, create=False, map_size=map_size)
        try:
            env.reader_check()  # free slots of readers that died
            try:
                meta = env.open_db(b"meta", create=False)
                blocks = env.open_db(b"blocks", create=False)
                snapshots = env.open_db(b"snapshots", create=False)
            except lmdb.NotFoundError:
                raise ChainNotFound(
                    f"{real} holds an LMDB environment but no taostate log (missing named "
                    f"databases); create the chain in another directory"
                ) from None
            with env.begin() as txn:
                fmt = _decode_format(real, txn.get(b"format", db=meta))
                genesis = txn.get(b"genesis", db=meta)
            if genesis is None:
                raise LogCorrupted(f"{real}: the genesis record is missing from meta", block=0)
        except lmdb.Error as e:
            env.close()
            raise _lmdb_error(real, e, "opening") from None
        except BaseException:
            env.close()
            raise
        return _Shared(real, env, not readonly, meta, blocks, snapshots, fmt, genesis)

    # -- closing ---------------------------------------------------------

    def close(self) -> None:
        """Release this handle (idempotent). The environment closes with its
        last handle; a writer releases the writer lock."""
        with _REGISTRY_LOCK:
            if self._closed:
                return
            self._closed = True
            sh = self._sh
            if self._pid != os.getpid():
                return  # a fork child's copy: the parent owns the env and the lock
            if self._writer:
                sh.writer = False
                fd, sh.lock_fd = sh.lock_fd, None
                _release_writer_lock(fd)
            sh.refs -= 1
            if sh.refs <= 0:
                if _REGISTRY.get(sh.path) is sh:
                    del _REGISTRY[sh.path]
                sh.env.close()

    def __enter__(self) -> BlockLog:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not getattr(self, "_closed", True):
                self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def __repr__(self) -> str:
        if self._closed:
            return f"BlockLog({self._sh.path!r}, closed)"
        mode = "read-only" if self._readonly else "writer"
        return f"BlockLog({self._sh.path!r}, {mode}, head={self.head()})"

    # -- properties ------------------------------------------------------

    def _live(self) -> _Shared:
        if self._closed:
            raise LogError(f"{self._sh.path}: this BlockLog is closed; open the log again")
        if self._pid != os.getpid():
            raise LogError(
                f"{self._sh.path}: this BlockLog was opened in process {self._pid}; "
                f"open the log again in this process"
            )
        return self._sh

    def _write(self) -> _Shared:
        sh = self._live()
        if self._readonly:
            raise LogError(f"{sh.path} is open read-only; open it with readonly=False to write")
        return sh

    def check_writable(self) -> None:
        """Raise LogError unless this handle is open and may write."""
        self._write()

    @property
    def path(self) -> str:
        """The log directory (absolute, symlinks resolved)."""
        return self._sh.path

    @property
    def readonly(self) -> bool:
        return self._readonly

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ruleset(self) -> str:
        """The ruleset recorded at creation."""
        r: str = self._sh.format["ruleset"]
        return r

    @property
    def format(self) -> dict[str, Any]:
        """The decoded ``meta/format`` record."""
        return dict(self._sh.format)

    def lmdb_info(self) -> dict[str, Any]:
        """The engine the environment runs on and the one recorded at creation."""
        sh = self._live()
        with sh.env.begin() as txn:
            raw = txn.get(b"lmdb", db=sh.meta)
        recorded = msgpack.unpackb(raw, raw=False) if raw is not None else None
        return {"engine": ".".join(map(str, sh.env.lib_version())), "created_with": recorded}

    # -- meta ------------------------------------------------------------

    def get_meta(self, name: str) -> bytes | None:
        """The value stored under ``name`` in ``meta`` (None if absent)."""
        sh = self._live()
        key = _meta_key(name)
        try:
            with sh.env.begin(db=sh.meta) as txn:
                return txn.get(key)
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"reading meta/{name}") from None

    def put_meta(self, name: str, value: bytes) -> None:
        """Store ``value`` under ``name`` in ``meta`` (for settings such as a
        snapshot interval). ``format``, ``genesis`` and ``lmdb`` are reserved."""
        sh = self._write()
        key = _meta_key(name)
        if name in _RESERVED_META:
            raise LogError(f"meta/{name} is written only at creation and never changes")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"meta values are bytes, got {type(value).__name__}")
        try:
            with sh.env.begin(write=True, db=sh.meta) as txn:
                txn.put(key, value)
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"writing meta/{name}") from None

    # -- reading ---------------------------------------------------------

    def genesis(self) -> bytes:
        """The genesis record bytes (the state of block `genesis_block`)."""
        return self._live().genesis

    @property
    def genesis_block(self) -> int:
        """The block the genesis record is the state of (0 unless the record says ``block``)."""
        return self._live().base

    def head(self) -> int:
        """The number of the last block in the log (the genesis block if none)."""
        sh = self._live()
        try:
            with sh.env.begin(db=sh.blocks) as txn:
                return _stored_head(sh, txn.cursor())
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, "reading the head") from None

    def get(self, block: int) -> bytes:
        """The record of ``block`` (1 ≤ block ≤ head)."""
        sh = self._live()
        n = _block_number(block, "block")
        if n <= sh.base:
            raise LogError(
                f"block {n} is not a block record: the log starts after its genesis, block "
                f"{sh.base} (read that with genesis())"
            )
        try:
            with sh.env.begin(db=sh.blocks) as txn:
                if sh.codec.grouped:
                    found = _group_of(sh, txn.cursor(), n)
                    if found is not None:
                        return _ungroup(sh, found[0], found[1])[n - found[0]]
                else:
                    data = txn.get(_key(n))
                    if data is not None:
                        return _unblock(sh, n, data)
                head = _stored_head(sh, txn.cursor())
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"reading block {n}") from None
        if n <= head:
            raise LogCorrupted(f"{sh.path}: block {n} is missing (head is {head})", block=n)
        raise LogError(f"{sh.path}: block {n} is not in the log yet (head is {head})")

    def iter_blocks(self, start: int | None = None, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
        """Yield ``(number, record)`` for ``start ≤ number < stop`` in order
        (``start=None``: from the first block; ``stop=None``: to the head as of the first item), from one consistent
        read transaction. A gap raises LogCorrupted naming the missing block."""
        sh = self._live()
        first = sh.base + 1 if start is None else _block_number(start, "start")
        if first <= sh.base:
            raise LogError(
                f"blocks start at {sh.base + 1} (block {sh.base} is the genesis record)"
            )
        end = None if stop is None else _block_number(stop, "stop")
        return self._iter(sh, first, end)

    @staticmethod
    def _iter(sh: _Shared, first: int, end: int | None) -> Iterator[tuple[int, bytes]]:
        if end is not None and end <= first:
            return
        if sh.codec.grouped:
            yield from BlockLog._iter_groups(sh, first, end)
            return
        expected = first
        codec = sh.codec
        magic = ZSTD_MAGIC if codec.version >= 2 else b"\xff" * 5  # v1: never a prefix
        unblock = codec.unblock
        try:
            with contextlib.closing(_stored(sh, first, end)) as stored:  # ends the read txn
                for n, v, _ in stored:
                    if n != expected:
                        raise _missing(sh, expected, n)
                    yield n, unblock(v) if v[:4] == magic else v
                    expected += 1
        except zstandard.ZstdError as e:
            raise LogCorrupted(
                f"{sh.path}: block {expected}: the stored record is not a valid zstd frame ({e})",
                block=expected,
            ) from None
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"reading block {expected}") from None

    @staticmethod
    def _iter_groups(sh: _Shared, first: int, end: int | None) -> Iterator[tuple[int, bytes]]:
        """`_iter` for format 3: each group read and split once."""
        expected = first  # the first block of the next group to read
        try:
            with sh.env.begin(db=sh.blocks) as txn:  # where the group holding `first` starts
                found = _group_of(sh, txn.cursor(), first)
            if found is not None:
                expected = found[0]
            with contextlib.closing(_stored(sh, expected, end)) as stored:  # ends the read txn
                for n, v, _ in stored:
                    if n != expected:
                        raise _missing(sh, max(expected, first), max(n, first))
                    records = _ungroup(sh, n, v)
                    for b, rec in enumerate(records, start=n):
                        if b >= first and (end is None or b < end):
                            yield b, rec
                    expected = n + len(records)
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"reading block {expected}") from None

    # -- writing ---------------------------------------------------------

    def append(
        self,
        records: Iterable[tuple[int, bytes]],
        snapshots: Iterable[tuple[int, bytes]] = (),
    ) -> int:
        """Append ``(number, record)`` pairs numbered head+1, head+2, … in ONE
        write transaction, with ``snapshots`` ``(block, record)`` of blocks up
        to the new head in the same transaction; returns the new head. Anything
        else (a gap, a duplicate, a non-bytes record, a snapshot past the new
        head) raises LogError and writes nothing."""
        sh = self._write()
        items, numbers = _pairs(records, "append")
        snaps, snap_numbers = _pairs(snapshots, "append snapshots")
        codec = sh.codec
        if codec.version >= 2:
            if not codec.grouped:
                items = [(k, codec.block(v)) for k, v in items]
            snaps = [(k, codec.snapshot(v)) for k, v in snaps]
        if not items:
            if snaps:
                raise LogError("append: snapshots without blocks; use put_snapshot")
            return self.head()
        for a, b in zip(numbers, numbers[1:]):
            if b != a + 1:
                raise LogError(f"append: block numbers must be consecutive; {b} follows {a}")
        try:
            with sh.env.begin(write=True, db=sh.blocks) as txn:
                cur = txn.cursor()
                head = _stored_head(sh, cur)
                if numbers[0] != head + 1:
                    raise LogError(
                        f"{sh.path}: append must start at block {head + 1} (the head is {head}), "
                        f"got {numbers[0]}; nothing was written"
                    )
                if codec.grouped:
                    rewritten, items = _groups(sh, cur, items, numbers)
                    if rewritten is not None:
                        txn.put(*rewritten)  # the last group, with the first new blocks
                _, added = cur.putmulti(items, append=True)
                if added != len(items):  # pragma: no cover - guarded above
                    raise LogError(
                        f"{sh.path}: append wrote {added} of {len(items)} blocks; rolled back"
                    )
                for n, (k, v) in zip(snap_numbers, snaps):
                    if n > numbers[-1]:
                        raise LogError(
                            f"{sh.path}: cannot snapshot block {n}, the log would end at "
                            f"block {numbers[-1]}; nothing was written"
                        )
                    txn.put(k, v, db=sh.snapshots)
        except lmdb.Error as e:
            size = sum(len(v) for _, v in items) + sum(len(v) for _, v in snaps)
            raise _write_error(sh, e, f"appending blocks {numbers[0]}..{numbers[-1]}", size) from None
        return numbers[-1]

    # -- snapshots -------------------------------------------------------

    def put_snapshot(self, block: int, data: bytes) -> None:
        """Store the snapshot record of ``block`` (genesis block ≤ block ≤ head), replacing
        any snapshot of that block."""
        sh = self._write()
        n = _block_number(block, "block")
        if n < sh.base:
            raise LogError(f"{sh.path}: cannot snapshot block {n}, the log starts at its genesis, "
                           f"block {sh.base}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise LogError(f"put_snapshot: data is {type(data).__name__}, expected bytes")
        stored = sh.codec.snapshot(bytes(data))
        try:
            with sh.env.begin(write=True) as txn:
                cur = txn.cursor(db=sh.blocks)
                head = _stored_head(sh, cur)
                if n > head:
                    raise LogError(
                        f"{sh.path}: cannot snapshot block {n}, the log ends at block {head}"
                    )
                txn.put(_key(n), stored, db=sh.snapshots)
        except lmdb.Error as e:
            raise _write_error(sh, e, f"writing the snapshot of block {n}", len(stored)) from None

    def latest_snapshot(self, at_most: int | None = None) -> tuple[int, bytes] | None:
        """The snapshot with the highest block ≤ ``at_most`` (any block if
        None), as ``(block, record)``, or None."""
        found = self._latest_snapshot(at_most, read=True)
        return None if found is None else (found[0], found[1] or b"")

    def latest_snapshot_block(self, at_most: int | None = None) -> int | None:
        """The block of ``latest_snapshot(at_most)``, without reading the snapshot."""
        found = self._latest_snapshot(at_most, read=False)
        return None if found is None else found[0]

    def _latest_snapshot(self, at_most: int | None, *, read: bool) -> tuple[int, bytes | None] | None:
        sh = self._live()
        if at_most is not None:
            if isinstance(at_most, bool) or not isinstance(at_most, int):
                raise TypeError(
                    f"at_most must be an int block number, got {type(at_most).__name__}"
                )
            if at_most < 0:
                return None
        try:
            with sh.env.begin(db=sh.snapshots) as txn:
                cur = txn.cursor()
                if at_most is None or at_most >= _U64_MAX:
                    found = cur.last()
                elif cur.set_range(_key(at_most + 1)):
                    found = cur.prev()
                else:
                    found = cur.last()
                if not found:
                    return None
                n = _unkey(cur.key(), sh.path)
                return n, (_unsnapshot(sh, n, cur.value()) if read else None)
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, "reading snapshots") from None

    def get_snapshot(self, block: int) -> bytes:
        """The snapshot record of ``block``; LogError if there is none."""
        sh = self._live()
        n = _block_number(block, "block")
        try:
            with sh.env.begin(db=sh.snapshots) as txn:
                data = txn.get(_key(n))
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"reading the snapshot of block {n}") from None
        if data is None:
            raise LogError(f"{sh.path}: no snapshot of block {n} (see snapshots())")
        return _unsnapshot(sh, n, data)

    def snapshots(self) -> list[int]:
        """Block numbers that have a snapshot, ascending."""
        sh = self._live()
        try:
            with sh.env.begin(db=sh.snapshots) as txn:
                return [_unkey(k, sh.path) for k in txn.cursor().iternext(keys=True, values=False)]
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, "listing snapshots") from None

    def drop_snapshot(self, block: int) -> bool:
        """Delete the snapshot of ``block`` (e.g. one of an old version);
        True if there was one. Snapshots are a cache: the blocks stay."""
        sh = self._write()
        n = _block_number(block, "block")
        try:
            with sh.env.begin(write=True, db=sh.snapshots) as txn:
                return bool(txn.delete(_key(n)))
        except lmdb.Error as e:
            raise _lmdb_error(sh.path, e, f"dropping the snapshot of block {n}") from None


def _stored(sh: _Shared, start: int, end: int | None) -> Generator[tuple[int, bytes, Any], None, None]:
    """(key, stored value, cursor) of the blocks database from key `start` on, below `end`, in
    one read transaction (ended when the iteration ends or is closed)."""
    with sh.env.begin(db=sh.blocks) as txn:
        cur = txn.cursor()
        if not cur.set_range(_key(start)):
            return
        for k, v in cur:
            n = _unkey(k, sh.path)
            if end is not None and n >= end:
                return
            yield n, v, cur


def _missing(sh: _Shared, block: int, next_stored: int) -> LogCorrupted:
    return LogCorrupted(
        f"{sh.path}: block {block} is missing (the next stored block is {next_stored})",
        block=block,
    )


def _ungroup(sh: _Shared, first: int, stored: bytes) -> list[bytes]:
    """The records of the stored group starting at block `first`; LogCorrupted naming that block
    if the value is damaged."""
    try:
        return sh.codec.ungroup(stored)
    except (zstandard.ZstdError, ValueError, struct.error) as e:
        raise LogCorrupted(
            f"{sh.path}: block {first}: the stored group of blocks from {first} on is damaged ({e})",
            block=first,
        ) from None


def _group_of(sh: _Shared, cur: Any, n: int) -> tuple[int, bytes] | None:
    """Format 3: (first block, stored value) of the group holding block n — the group with the
    greatest first block ≤ n, if it reaches n — or None."""
    if cur.set_range(_key(n)):
        if _unkey(cur.key(), sh.path) == n:
            return n, cur.value()
        if not cur.prev():
            return None
    elif not cur.last():
        return None
    first = _unkey(cur.key(), sh.path)
    value = cur.value()
    return (first, value) if n < first + sh.codec.group_count(value) else None


def _groups(sh: _Shared, cur: Any, items: list[tuple[bytes, bytes]], numbers: list[int],
            ) -> tuple[tuple[bytes, bytes] | None, list[tuple[bytes, bytes]]]:
    """Format 3: the (key, value) pairs that store blocks `numbers` (records `items`, the head
    followed by them; `cur` a cursor on the blocks): the log's last group rewritten, if it is still
    open (`Codec.closed`) so that the first new blocks join it, and the new groups after it."""
    codec = sh.codec
    start, records, rewrites = numbers[0], [v for _, v in items], False
    if cur.last():
        first, stored = _unkey(cur.key(), sh.path), cur.value()
        if codec.group_count(stored) < BLOCK_GROUP:
            last = _ungroup(sh, first, stored)
            if not codec.closed(last):
                start, records, rewrites = first, last + records, True
    out = []
    for group in codec.groups(records):
        out.append((_key(start), codec.group(group)))
        start += len(group)
    return (out.pop(0) if rewrites else None), out


def _unblock(sh: _Shared, n: int, stored: bytes) -> bytes:
    try:
        return sh.codec.unblock(stored)
    except zstandard.ZstdError as e:
        raise LogCorrupted(
            f"{sh.path}: block {n}: the stored record is not a valid zstd frame ({e})", block=n
        ) from None


def _unsnapshot(sh: _Shared, n: int, stored: bytes) -> bytes:
    """A snapshot record; a broken frame gives b"" (snapshots are a cache: an unreadable one is
    skipped by its readers, like one of an unknown version)."""
    try:
        return sh.codec.unsnapshot(stored)
    except zstandard.ZstdError:
        return b""


def _block_number(x: object, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what} must be an int block number, got {type(x).__name__}")
    if not 0 <= x <= _U64_MAX:
        raise LogError(f"{what} {x} is not a block number (0 ≤ n < 2**64)")
    return int(x)


_RESERVED_META: Final = frozenset({"format", "genesis", "lmdb"})


def _meta_key(name: str) -> bytes:
    if not isinstance(name, str) or not name or not name.isascii():
        raise TypeError(f"meta names are non-empty ascii str, got {name!r}")
    return name.encode("ascii")


def _pairs(
    pairs: Iterable[tuple[int, bytes]], what: str
) -> tuple[list[tuple[bytes, bytes]], list[int]]:
    """Validated ``[(key, value)]`` and block numbers of ``(number, bytes)`` pairs."""
    items: list[tuple[bytes, bytes]] = []
    numbers: list[int] = []
    for i, pair in enumerate(pairs):
        try:
            n, data = pair
        except (TypeError, ValueError):
            raise LogError(f"{what}: item {i} is not a (number, bytes) pair") from None
        num = _block_number(n, f"{what} item {i} number")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise LogError(f"{what}: block {num}: record is {type(data).__name__}, expected bytes")
        numbers.append(num)
        items.append((_key(num), data if type(data) is bytes else bytes(data)))
    return items, numbers
