"""The LMDB environment under the block log (docs/design.md §2): opening, the per-process registry
of open environments, the writer lock, the meta/format record's checks, and how LMDB failures
(a full disk above all) become taostate errors. `log.py`'s BlockLog is the only user.

* One LMDB environment handle per process and path (`_REGISTRY`): two handles on one environment
  in one process would corrupt LMDB's lock table. A fork child forgets its parent's handles.
* One writer per log: an exclusive ``flock`` on ``taostate.lock`` in the directory (released by
  the kernel if the process dies).
* A write that fails because the filesystem is full is reported as DiskFull with the free space
  (`_write_error`); LMDB has aborted the transaction, and the environment is reopened (`_reopen`)
  because LMDB refuses every later write once a commit's sync has failed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
from typing import Any, Final

import lmdb
import msgpack

from .errors import (
    ChainNotFound,
    DiskFull,
    InvalidGenesis,
    LogCorrupted,
    LogError,
    LogFormatError,
    LogLocked,
)
from .logcodec import Codec

FORMAT_NAME: Final = "taostate"
FORMAT_VERSION: Final = 3  # the version new logs are written in
READ_VERSIONS: Final = frozenset({1, 2, 3})  # versions this taostate reads (and appends to)
SUPPORTED_RULESETS: Final = frozenset({"finney-2023"})
DEFAULT_MAP_SIZE: Final = 1 << 40  # 1 TiB of address space; the file stays sparse
LOCK_FILE: Final = "taostate.lock"
_U64_MAX: Final = (1 << 64) - 1
_KEY: Final = struct.Struct(">Q")
_LMDB_FILES: Final = frozenset({"data.mdb", "lock.mdb", LOCK_FILE})
_DB_NAMES: Final = frozenset({b"meta", b"blocks", b"snapshots"})

# docs/design.md §2 asks for lib_version=0 (LMDB 0.9 data format). py-lmdb ≥ 2.0 bundles
# both engines and takes `lib_version=`; older releases only have 0.9 and no
# such argument, in which case the engine version (lmdb.version()) is still
# recorded in meta/lmdb.
try:
    lmdb.version(lib_version=0)
    _CREATE_KW: dict[str, Any] = {"lib_version": 0}
except (TypeError, lmdb.Error):  # pragma: no cover - depends on the py-lmdb build
    _CREATE_KW = {}


def _key(n: int) -> bytes:
    return _KEY.pack(n)


def _unkey(k: bytes, path: str) -> int:
    if len(k) != 8:
        raise LogCorrupted(f"{path}: a key of {len(k)} bytes in the log (keys are u64 big-endian)")
    n: int = _KEY.unpack(k)[0]
    return n


def _lmdb_error(path: str, e: lmdb.Error, doing: str) -> LogError:
    """A taostate error for an LMDB failure."""
    if isinstance(e, (lmdb.CorruptedError, lmdb.PanicError, lmdb.PageNotFoundError)):
        return LogCorrupted(
            f"{path}: LMDB reports corruption while {doing} ({e}); "
            f"restore the directory from a backup or rebuild it from its source"
        )
    if isinstance(e, (lmdb.InvalidError, lmdb.VersionMismatchError, lmdb.IncompatibleError)):
        return LogFormatError(f"{path}: not an LMDB environment this taostate can read ({e})")
    if isinstance(e, lmdb.MapFullError):
        return LogError(
            f"{path}: the log outgrew its map size while {doing}; reopen it with a larger map_size"
        )
    if isinstance(e, lmdb.MemoryError):
        return LogError(
            f"{path}: cannot map the log into memory while {doing} ({e}); "
            f"pass a smaller map_size or raise the address-space limit (ulimit -v)"
        )
    return LogError(f"{path}: LMDB error while {doing}: {e}")


_FULL_MARGIN: Final = 16 << 20  # a write failing with less free space than this (+2× its size)


def _free_bytes(path: str) -> int | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return int(st.f_bavail * st.f_frsize)


def _size(n: int | None) -> str:
    if n is None:
        return "unknown free space"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit} free"
    return f"{n} bytes free"


def _write_error(sh: _Shared, e: lmdb.Error, doing: str, size: int) -> LogError:
    """The error for a failed write transaction (already aborted by LMDB): DiskFull when the
    filesystem is out of space — LMDB may say ENOSPC, or only EIO when the data sync fails —
    else what `_lmdb_error` says. After a full disk the environment is reopened, because LMDB
    refuses every later write transaction once a commit's sync has failed."""
    free = _free_bytes(sh.path)
    nospace = isinstance(e, lmdb.DiskError) or "No space left" in str(e)
    low = free is not None and free < 2 * size + _FULL_MARGIN
    if isinstance(e, (lmdb.MapFullError, lmdb.CorruptedError)) or not (nospace or low):
        return _lmdb_error(sh.path, e, doing)
    _reopen(sh)
    head = "?"
    try:
        with sh.env.begin(db=sh.blocks) as txn:
            cur = txn.cursor()
            head = str(_stored_head(sh, cur))
    except lmdb.Error:
        pass
    return DiskFull(
        f"{sh.path}: the filesystem holding the log is full ({_size(free)}) while {doing} "
        f"({size} bytes to write). Nothing committed was lost and nothing of this write was "
        f"kept: the log ends at block {head}. Free space on that filesystem (or move the log "
        f"to a larger one) and append again; the chain continues from there. "
        f"(LMDB said: {e})",
        free_bytes=free,
    )


def _reopen(sh: _Shared) -> None:
    """Close and reopen the environment of ``sh`` (same path, flags and databases)."""
    try:
        map_size = sh.env.info()["map_size"]
        sh.env.close()
        env = _open_env(sh.path, readonly=not sh.writable, create=False, map_size=map_size)
        sh.env = env
        sh.meta = env.open_db(b"meta", create=False)
        sh.blocks = env.open_db(b"blocks", create=False)
        sh.snapshots = env.open_db(b"snapshots", create=False)
    except (lmdb.Error, LogError):  # pragma: no cover - the next use reports it
        pass


def _stored_head(sh: _Shared, cur: Any) -> int:
    """The last block in the log, `cur` a cursor on its blocks database (format 3: the last
    group's first block and its record count)."""
    if not cur.last():
        return sh.base
    first = _unkey(cur.key(), sh.path)
    return first + sh.codec.group_count(cur.value()) - 1 if sh.codec.grouped else first


# --------------------------------------------------------------------------- #
# Process-wide registry: one environment per directory, one writer per log.


class _Shared:
    """One open LMDB environment, shared by every BlockLog on its directory."""

    __slots__ = (
        "path", "env", "meta", "blocks", "snapshots", "writable", "writer",
        "lock_fd", "refs", "pid", "format", "genesis", "codec", "base",
    )

    def __init__(
        self, path: str, env: lmdb.Environment, writable: bool,
        meta: Any, blocks: Any, snapshots: Any, fmt: dict[str, Any], genesis: bytes,
    ) -> None:
        self.path = path
        self.env = env
        self.meta = meta
        self.blocks = blocks
        self.snapshots = snapshots
        self.writable = writable
        self.writer = False
        self.lock_fd: int | None = None
        self.refs = 0
        self.pid = os.getpid()
        self.format = fmt
        self.genesis = genesis
        self.codec = Codec(int(fmt["version"]))
        self.base = genesis_block(genesis)  # the genesis is the state after this block


_REGISTRY: dict[str, _Shared] = {}
_REGISTRY_LOCK = threading.RLock()


def _after_fork_in_child() -> None:
    # The child must not use or release the parent's environments or locks:
    # forget them (closing our copy of a flock fd leaves the parent's lock held).
    for sh in _REGISTRY.values():
        if sh.lock_fd is not None:
            try:
                os.close(sh.lock_fd)
            except OSError:
                pass
            sh.lock_fd = None
    _REGISTRY.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _take_writer_lock(path: str) -> int:
    """Exclusive non-blocking flock on ``path/taostate.lock``; its fd."""
    lock_path = os.path.join(path, LOCK_FILE)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise LogError(f"{path}: cannot open the writer lock {lock_path}: {e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise LogLocked(
                f"{path} is open for writing by another process; close it there, "
                f"or open this one with readonly=True"
            ) from None
        raise LogError(f"{path}: cannot lock {lock_path}: {e}") from None
    return fd


def _clear_stale_readers(sh: _Shared) -> None:
    """Free reader slots of dead processes (they would pin old pages forever)."""
    try:
        sh.env.reader_check()
    except lmdb.Error as e:
        raise _lmdb_error(sh.path, e, "clearing stale readers") from None


def _release_writer_lock(fd: int | None) -> None:
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _decode_format(path: str, raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise ChainNotFound(
            f"{path} holds an LMDB environment but no taostate log (its creation may "
            f"have been interrupted); create the chain again there"
        )
    try:
        fmt = msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except Exception as e:  # noqa: BLE001 - msgpack raises several types
        raise LogFormatError(f"{path}: meta/format is not msgpack ({e})") from None
    if not isinstance(fmt, dict):
        raise LogFormatError(f"{path}: meta/format is a {type(fmt).__name__}, expected a map")
    if fmt.get("format") != FORMAT_NAME:
        raise LogFormatError(
            f"{path}: meta/format says format={fmt.get('format')!r}, expected {FORMAT_NAME!r}; "
            f"this is not a taostate log"
        )
    version = fmt.get("version")
    if isinstance(version, bool) or version not in READ_VERSIONS:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        raise LogFormatError(
            f"{path}: log format version {version!r}"
            + (" is newer than this taostate" if newer else " is not one this taostate knows")
            + f"; it reads versions {', '.join(map(str, sorted(READ_VERSIONS)))}: "
            f"use a taostate release that reads version {version!r}"
        )
    ruleset = fmt.get("ruleset")
    if ruleset not in SUPPORTED_RULESETS:
        raise LogFormatError(
            f"{path}: the log follows ruleset {ruleset!r}, this taostate implements "
            f"{', '.join(sorted(SUPPORTED_RULESETS))}"
        )
    return fmt


def _check_only_lmdb_files(real: str) -> None:
    others = sorted(set(os.listdir(real)) - _LMDB_FILES)
    if others:
        raise LogError(
            f"{real} is not empty and holds no taostate log (found {', '.join(others[:5])}); "
            f"create the chain in a new or empty directory"
        )


def genesis_block(genesis: bytes) -> int:
    """The genesis record's ``block`` (0 if absent, or if the record is unreadable: the engine
    reports that one when it reads the record)."""
    try:
        g = msgpack.unpackb(genesis, raw=False, strict_map_key=False)
    except Exception:  # noqa: BLE001
        return 0
    b = g.get("block", 0) if isinstance(g, dict) else 0
    return b if isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= _U64_MAX else 0


def _check_genesis(genesis: bytes, ruleset: str) -> None:
    try:
        g = msgpack.unpackb(genesis, raw=False, strict_map_key=False)
    except Exception as e:  # noqa: BLE001
        raise InvalidGenesis(f"genesis: not a msgpack record ({e})", field="genesis") from None
    if not isinstance(g, dict):
        raise InvalidGenesis(
            f"genesis: expected a msgpack map, got {type(g).__name__}", field="genesis"
        )
    if "ruleset" in g and g["ruleset"] != ruleset:
        raise InvalidGenesis(
            f"genesis.ruleset: the record says {g['ruleset']!r} but the log is created "
            f"for {ruleset!r}",
            field="genesis.ruleset",
        )
    b = g.get("block", 0)
    if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b < _U64_MAX:
        raise InvalidGenesis(
            f"genesis.block: {b!r} is not a block number (0 ≤ int < 2**64 − 1)",
            field="genesis.block",
        )


def _open_env(path: str, *, readonly: bool, create: bool, map_size: int) -> lmdb.Environment:
    kw: dict[str, Any] = dict(
        map_size=map_size, subdir=True, readonly=readonly, max_dbs=3, create=create,
        lock=True, sync=True, metasync=True, writemap=False,
    )
    if create:
        kw.update(_CREATE_KW)  # existing logs: the data file selects its engine
    try:
        return lmdb.open(path, **kw)
    except lmdb.Error as e:
        if "already open in this process" in str(e):
            raise LogLocked(
                f"{path} is already open in this process, through another path or "
                f"inherited across fork() (py-lmdb refuses a second handle); use the "
                f"open BlockLog/Chain, or start child processes with the 'spawn' method"
            ) from None
        raise _lmdb_error(path, e, "opening") from None
