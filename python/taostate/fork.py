"""`Fork`: a writable in-memory branch of the state after any committed block ("what if…").

`chain.fork(at=b)`, `view.fork()` and `fork.fork(at=b)` return one. A fork takes the same
`submit`, `submit_many`, `step`, queries, `metagraph`, `events`, `state_root`, `at` (blocks of the
fork) and `fork` as a chain, plus `replay(source)`: the source line's next blocks re-submitted
into the fork, so the same transactions meet the fork's changed state. Nothing is written
anywhere: the fork's sealed blocks are kept in memory, the source's log is never touched.

Cost: the chain restores the state after `b` once (latest snapshot + the log's tail, as `at()`
does) and keeps it (`Chain._engine_at`), so forking the same block again only copies the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import msgpack

from . import _core
from .chain import Event, Receipt, View
from .errors import InvalidTransaction, TaoStateError, TxRejected
from .frames import REPLAY_BATCH, Frames, Source, check_block
from .queries import Queries, convert_events
from .tx import SudoSetHyperparameter, Tx, from_wire


@dataclass(frozen=True)
class Rejected:
    """A transaction of the source line that the fork's rules refused during `replay`."""

    block: int
    index: int
    tx: Tx
    error: TxRejected


class Fork(Queries, Frames):
    """An in-memory chain branched from the state after block `base` (see the module doc)."""

    def __init__(self, base: _core.Engine) -> None:
        self._root: _core.Engine | None = base  # the state after `base`, shared, never changed
        self._live: _core.Engine | None = _core.fork_engine(base)
        self._records: list[bytes] = []
        self._closed = False
        self.overrides: list[Receipt] = []

    @classmethod
    def _start(cls, base: _core.Engine,
               hyperparameters: Mapping[int | None, Mapping[str, int | bool]] | None) -> Fork:
        if base.is_open:
            raise TaoStateError("a fork starts from a sealed block; seal (step) first")
        fork = cls(base)
        if hyperparameters:
            if not isinstance(hyperparameters, Mapping):
                raise InvalidTransaction("hyperparameters: a mapping {netuid: {name: value}}")
            sudo = fork.sudo_key
            try:
                bad = [n for n in hyperparameters
                       if n is not None and (isinstance(n, bool) or not isinstance(n, int))]
                if bad:
                    raise InvalidTransaction(f"hyperparameters: keys are netuids (int, or None for a "
                                             f"global parameter), got {bad!r}")
                for netuid in sorted(hyperparameters, key=lambda n: -1 if n is None else n):
                    params = hyperparameters[netuid]
                    if not isinstance(params, Mapping):
                        raise InvalidTransaction(
                            f"hyperparameters[{netuid!r}]: a mapping {{name: value}}, got {params!r}")
                    for name, value in params.items():
                        fork.overrides.append(fork.submit(SudoSetHyperparameter(
                            origin=sudo, netuid=netuid, name=name, value=value)))
            except BaseException:
                fork.close()
                raise
        return fork

    # ---- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> Fork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the fork's states and blocks; using it afterwards raises TaoStateError."""
        self._closed = True
        self._records = []
        self._root = self._live = None

    def _check_open(self) -> None:
        if self._closed:
            raise TaoStateError("this fork is closed; fork the chain again")

    @property
    def _engine(self) -> _core.Engine:
        if self._live is None:
            raise TaoStateError("this fork is closed; fork the chain again")
        return self._live

    @_engine.setter
    def _engine(self, engine: _core.Engine) -> None:
        self._live = engine

    @property
    def _base(self) -> _core.Engine:
        if self._root is None:
            raise TaoStateError("this fork is closed; fork the chain again")
        return self._root

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"base={self.base}, head={self.head}"
        return f"Fork({state})"

    # ---- the fork's line ----------------------------------------------------------------
    @property
    def base(self) -> int:
        """The block the fork branched after."""
        return int(self._base.head)

    @property
    def head(self) -> int:
        """The fork's last sealed block."""
        self._check_open()
        return int(self._engine.head)

    @property
    def head_hash(self) -> str:
        return bytes(self._engine.head_hash).hex()

    def submit(self, tx: Tx) -> Receipt:
        """Validate and apply one transaction in the fork's open block (opened if needed)."""
        self._check_open()
        if not isinstance(tx, Tx):
            raise InvalidTransaction(f"submit() takes a taostate.tx transaction, got {type(tx).__name__}")
        try:
            raw = self._engine.submit(tx.to_msgpack())
        except TxRejected as e:
            e.tx = tx
            raise
        return Receipt(self._engine.block, self._engine.pending_len - 1, raw)

    def submit_many(self, txs: Iterable[Tx]) -> list[Receipt]:
        """Submit in order; stops at the first rejection and raises it (earlier ones stay applied)."""
        return [self.submit(tx) for tx in txs]

    def step(self, blocks: int = 1) -> int:
        """Seal the open block (empty if none), then `blocks - 1` empty ones; returns the new head."""
        self._check_open()
        if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
            raise ValueError("step(blocks) needs blocks ≥ 1")
        for _ in range(blocks):
            self._records.append(bytes(self._engine.seal()))
        return self.head

    def replay(self, source: Source, blocks: int | None = None) -> list[Rejected]:
        """Re-submit the transactions of `source`'s blocks head+1 … head+`blocks` (all the blocks
        the source has past the fork's head by default) into the fork, block by block: each
        block's step, then the source's transactions in order (after any the fork already has
        open). Those the fork's rules refuse are skipped and returned; the rest are sealed."""
        self._check_open()
        start = self.head + 1
        last = source._committed_head()
        if blocks is None:
            stop = last
        else:
            if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
                raise ValueError("replay(blocks) needs blocks ≥ 1 (or None for all)")
            stop = start + blocks - 1
        if source._first_block() >= start:
            raise TaoStateError(f"the source starts after block {source._first_block()}; "
                                f"it cannot give the fork's block {start}")
        check_block(stop, start, last, "replay to block")
        rejected: list[Rejected] = []
        for batch in source._record_batches(start, stop):
            first = self.head + 1
            try:
                sealed, refused = _core.resubmit(self._engine, batch)
            except BaseException:
                self._rebuild()
                raise
            self._records.extend(bytes(r) for r in sealed)
            for block, index, error in refused:
                wire = msgpack.unpackb(batch[block - first], raw=False)[3][index]
                error.tx = from_wire(wire)  # the message then names the call and its signer
                rejected.append(Rejected(block, index, error.tx, error))
        return rejected

    def _rebuild(self) -> None:
        engine = _core.fork_engine(self._base)
        engine.apply_records(self._records)
        self._engine = engine

    # ---- reading ------------------------------------------------------------------------
    def at(self, block: int) -> View:
        """The fork's state after `block` (base ≤ block ≤ head), read-only."""
        self._check_open()
        return View(self._engine_at(check_block(block, self.base, self.head)))

    def events(self, block: int) -> list[Event]:
        """The events of the fork's block `block` (base < block ≤ head)."""
        self._check_open()
        b = check_block(block, self.base + 1, self.head)
        engine = _core.fork_engine(self._engine_at(b - 1))
        return convert_events(engine.apply_record_events(self._records[b - self.base - 1]))

    def pending_events(self) -> list[Event]:
        """Events of the fork's open block so far (its step's and its transactions')."""
        self._check_open()
        return convert_events(self._engine.pending_events())

    # ---- taostate.frames.Source ---------------------------------------------------------
    def _committed_head(self) -> int:
        return self.head

    def _first_block(self) -> int:
        return self.base

    def _engine_at(self, block: int) -> _core.Engine:
        self._check_open()
        if block == self.base:
            return self._base
        engine = _core.fork_engine(self._base)
        engine.apply_records(self._records[:block - self.base])
        return engine

    def _record_batches(self, start: int, stop: int) -> Iterator[list[bytes]]:
        self._check_open()
        lo, hi = start - self.base - 1, stop - self.base
        for i in range(lo, hi, REPLAY_BATCH):
            yield self._records[i:min(i + REPLAY_BATCH, hi)]


