"""History, events and differences as polars data frames (the extra ``taostate[frames]``).

`Frames` gives `Chain` and `Fork` `history` (metagraph fields of chosen subnets over a block range),
`subnet_series` and `chain_series` (per-subnet and chain-level series), and `events_frame`. Each
is ONE replay pass: the engine is brought to the block before the range (latest snapshot + tail),
then the range's records are fed in batches to a collector in Rust (`_core.History`) that appends
rows to column vectors after each block; the columns come back as numpy arrays, which polars
adopts as Arrow buffers. No Python runs per block or per row (except for `events_frame`, whose
events are heterogeneous). `diff(a, b)` compares two states. polars is imported only when one of
these is called, so `import taostate` works without it.

Metagraph fields keep the chain's integers: the u16 fields (rank, trust, consensus, incentive,
dividends, validator_trust, pruning_score) are out of 65535 as stored (divide by 65535 for the
SDK's floats), stake and emission are rao.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from . import _core
from .accounts import AccountId
from .errors import BlockOutOfRange, MissingExtra, UnknownField, rejected
from .queries import Queries, convert_events

if TYPE_CHECKING:
    import polars as pl

    from .fork import Fork

# column → polars dtype name, in frame order; the first columns of each are its keys
NEURON_KEYS = {"block": "UInt64", "netuid": "UInt16", "uid": "UInt16", "hotkey": "String",
               "coldkey": "String"}
NEURON_FIELDS = {
    "stake": "UInt64", "rank": "UInt16", "trust": "UInt16", "consensus": "UInt16",
    "incentive": "UInt16", "dividends": "UInt16", "validator_trust": "UInt16",
    "emission": "UInt64", "active": "Boolean", "validator_permit": "Boolean",
    "last_update": "UInt64", "block_at_registration": "UInt64", "pruning_score": "UInt16",
}
SUBNET_KEYS = {"block": "UInt64", "netuid": "UInt16"}
SUBNET_FIELDS = {
    "n": "UInt16", "emission_value": "UInt64", "pending_emission": "UInt64", "locked": "UInt64",
    "stake": "UInt64", "registrations": "UInt64", "burn": "UInt64", "difficulty": "UInt64",
    "tempo": "UInt16",
}
CHAIN_KEYS = {"block": "UInt64"}
CHAIN_FIELDS = {
    "total_issuance": "UInt64", "block_emission": "UInt64", "total_stake": "UInt64",
    "total_balance": "UInt64", "total_locked": "UInt64", "subnets": "UInt16",
    "registrations": "UInt64",
}
DIFF_SCHEMA = {"kind": "String", "netuid": "UInt16", "uid": "UInt16", "hotkey": "String",
               "coldkey": "String", "field": "String", "a": "UInt64", "b": "UInt64",
               "a_account": "String", "b_account": "String"}
REPLAY_BATCH = 4096


def require_polars() -> None:
    """Raises `MissingExtra` naming the extra to install unless polars can be imported."""
    try:
        import polars  # noqa: F401
    except ImportError as e:
        raise MissingExtra("data frames need polars: pip install 'taostate[frames]'") from e


class Source(Protocol):
    """What forks and frames read: sealed blocks and the state after any of them."""

    def subnets(self) -> list[int]: ...

    def _committed_head(self) -> int: ...

    def _first_block(self) -> int: ...

    def _engine_at(self, block: int) -> _core.Engine: ...

    def _record_batches(self, start: int, stop: int) -> Iterator[list[bytes]]: ...


def check_block(block: object, lo: int, hi: int, what: str = "block") -> int:
    """`block` as an int in lo..hi, else BlockOutOfRange (bool and non-int refused too)."""
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not lo <= block <= hi:
        raise BlockOutOfRange(f"{what} {block!r} is not available: choose {lo} ≤ {what} ≤ {hi} "
                              f"(the head is {hi})")
    return int(block)


def _check_range(src: Source, start: int | None, stop: int | None) -> tuple[int, int]:
    head, first = src._committed_head(), src._first_block()
    lo = first + 1
    if head < lo:
        raise BlockOutOfRange(f"no blocks to read: the head is {head}; seal (step) some first")
    a = check_block(lo if start is None else start, lo, head, "start")
    b = check_block(head if stop is None else stop, a, head, "stop")
    return a, b


def _check_fields(fields: Iterable[str] | str | None, known: Mapping[str, str]) -> list[str]:
    if fields is None:
        return list(known)
    names = [fields] if isinstance(fields, str) else list(fields)
    bad = [f for f in names if f not in known]
    if bad or not names:
        raise UnknownField(f"unknown field(s) {bad!r}: choose from {', '.join(known)}")
    return [f for f in known if f in names]


def _check_every(every: int | str | None, allow_epoch: bool) -> int | None:
    if every == "epoch" and allow_epoch:
        return None
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        choices = "'epoch' or an int k ≥ 1" if allow_epoch else "an int k ≥ 1"
        raise ValueError(f"every={every!r}: choose {choices}")
    return every


def _check_netuids(src: Source, engine: _core.Engine, netuids: int | Iterable[int] | None) -> list[int] | None:
    if netuids is None:
        return None
    wanted = [netuids] if isinstance(netuids, int) else list(netuids)
    known = set(engine.subnets()) | set(src.subnets())
    bad = [n for n in wanted if isinstance(n, bool) or not isinstance(n, int) or n not in known]
    if bad or not wanted:
        raise rejected("NetworkDoesNotExist", f"subnet(s) {bad!r} do not exist in this range "
                                              f"(existing: {sorted(known)})")
    return sorted(set(wanted))


def _ss58(keys: Sequence[bytes]) -> list[str]:
    return [AccountId(k).ss58 for k in keys]


def _empty(schema: Mapping[str, str]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={k: getattr(pl, v) for k, v in schema.items()})


def _collect(src: Source, level: str, netuids: int | Iterable[int] | None, every: int | None,
             start: int, stop: int) -> dict[str, Any]:
    engine = _core.fork_engine(src._engine_at(start - 1))
    chosen = _check_netuids(src, engine, netuids) if level != "chain" else None
    coll = _core.History(level, chosen, every, start)
    for batch in src._record_batches(start, stop):
        coll.feed(engine, batch)
    return coll.columns()


def _frame(cols: dict[str, Any], keys: Mapping[str, str], fields: Mapping[str, str],
           chosen: list[str]) -> pl.DataFrame:
    import polars as pl

    schema = {**keys, **{f: fields[f] for f in chosen}}
    if "block" not in cols:
        return _empty(schema)
    series = []
    names = pl.Series(_ss58(cols["accounts"]), dtype=pl.String) if "hotkey" in keys else None
    for name, dtype in schema.items():
        if names is not None and name in ("hotkey", "coldkey"):
            s = names.gather(cols[name]).alias(name)
        else:
            s = pl.Series(name, cols[name], dtype=getattr(pl, dtype))
        series.append(s)
    return pl.DataFrame(series)


def history(src: Source, netuids: int | Iterable[int] | None = None,
            fields: Iterable[str] | str | None = None, *, start: int | None = None,
            stop: int | None = None, every: int | str = "epoch") -> pl.DataFrame:
    """See `Frames.history`."""
    require_polars()
    import polars as pl

    chosen = _check_fields(fields, NEURON_FIELDS)
    k = _check_every(every, allow_epoch=True)
    a, b = _check_range(src, start, stop)
    cols = _collect(src, "neurons", netuids, k, a, b)
    return _frame(cols, NEURON_KEYS, NEURON_FIELDS, chosen)


def subnet_series(src: Source, netuids: int | Iterable[int] | None = None,
                  fields: Iterable[str] | str | None = None, *, start: int | None = None,
                  stop: int | None = None, every: int | str = 1) -> pl.DataFrame:
    """See `Frames.subnet_series`."""
    require_polars()
    import polars as pl

    chosen = _check_fields(fields, SUBNET_FIELDS)
    k = _check_every(every, allow_epoch=True)
    a, b = _check_range(src, start, stop)
    cols = _collect(src, "subnets", netuids, k, a, b)
    return _frame(cols, SUBNET_KEYS, SUBNET_FIELDS, chosen)


def chain_series(src: Source, fields: Iterable[str] | str | None = None, *,
                 start: int | None = None, stop: int | None = None, every: int = 1) -> pl.DataFrame:
    """See `Frames.chain_series`."""
    require_polars()
    import polars as pl

    chosen = _check_fields(fields, CHAIN_FIELDS)
    k = _check_every(every, allow_epoch=False)
    a, b = _check_range(src, start, stop)
    cols = _collect(src, "chain", None, k, a, b)
    return _frame(cols, CHAIN_KEYS, CHAIN_FIELDS, chosen)


def _column(name: str, values: list[Any]) -> pl.Series:
    import polars as pl

    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pl.Series(name, values, dtype=pl.UInt64)
    if kinds == {bool}:
        return pl.Series(name, values, dtype=pl.Boolean)
    return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


def events_frame(src: Source, start: int | None = None, stop: int | None = None) -> pl.DataFrame:
    """See `Frames.events_frame`."""
    require_polars()
    import polars as pl

    a, b = _check_range(src, start, stop)
    engine = _core.fork_engine(src._engine_at(a - 1))
    blocks: list[int] = []
    seqs: list[int] = []
    names: list[str] = []
    columns: dict[str, list[Any]] = {}
    row = 0
    for batch in src._record_batches(a, b):
        for record in batch:
            number = int(engine.head) + 1
            for seq, (name, fields) in enumerate(convert_events(engine.apply_record_events(record))):
                blocks.append(number)
                seqs.append(seq)
                names.append(name)
                for key, value in fields.items():
                    col = columns.get(key)
                    if col is None:
                        col = columns[key] = [None] * row
                    col.append(value.ss58 if isinstance(value, AccountId)
                               else value.hex() if isinstance(value, bytes) else value)
                row += 1
                for col in columns.values():
                    if len(col) < row:
                        col.append(None)
    series = [pl.Series("block", blocks, dtype=pl.UInt64), pl.Series("seq", seqs, dtype=pl.UInt32),
              pl.Series("event", names, dtype=pl.String)]
    series += [_column(k, v) for k, v in sorted(columns.items())]
    return pl.DataFrame(series)


def diff(a: Queries, b: Queries) -> pl.DataFrame:
    """Which balances, stakes, subnet parameters, metagraph fields and chain totals differ
    between two states (a chain, a view or a fork), one row per account or uid and field.

    Columns: `kind` ("chain", "balance", "stake", "subnet", "neuron"), `netuid`, `uid`, `hotkey`,
    `coldkey` (ss58, where they apply), `field`, and both values: `a` / `b` (UInt64; flags as 0/1;
    null where the item does not exist in that state), or for account-valued fields (a uid's
    `hotkey` / `coldkey`, a subnet's `owner`) `a_account` / `b_account` (ss58).
    """
    require_polars()
    import polars as pl

    rows: dict[str, list[Any]] = {k: [] for k in DIFF_SCHEMA}

    def add(kind: str, field: str, va: Any, vb: Any, *, netuid: int | None = None,
            uid: int | None = None, hotkey: str | None = None, coldkey: str | None = None,
            accounts: bool = False) -> None:
        for k, v in (("kind", kind), ("netuid", netuid), ("uid", uid), ("hotkey", hotkey),
                     ("coldkey", coldkey), ("field", field)):
            rows[k].append(v)
        num = (None, None) if accounts else (va, vb)
        acc = (va, vb) if accounts else (None, None)
        rows["a"].append(None if num[0] is None else int(num[0]))
        rows["b"].append(None if num[1] is None else int(num[1]))
        rows["a_account"].append(None if acc[0] is None else str(acc[0]))
        rows["b_account"].append(None if acc[1] is None else str(acc[1]))

    ea, eb = a._engine, b._engine
    for name in ("block", "total_issuance", "block_emission", "total_stake", "total_balance",
                 "total_locked"):
        va, vb = getattr(a, name), getattr(b, name)
        if va != vb:
            add("chain", name, va, vb)
    for name in ("sudo_key",):
        if a.sudo_key != b.sudo_key:
            add("chain", name, a.sudo_key, b.sudo_key, accounts=True)

    def table(keys: list[bytes], values: Any) -> dict[bytes, int]:
        return dict(zip(keys, values.tolist()))

    bal_a, bal_b = table(*_core.balance_table(ea)), table(*_core.balance_table(eb))
    for key in sorted(bal_a.keys() | bal_b.keys()):
        va, vb = bal_a.get(key, 0), bal_b.get(key, 0)
        if va != vb:
            add("balance", "free", va, vb, coldkey=AccountId(key).ss58)
    ha, ca, sa = _core.stake_table(ea)
    hb, cb, sb = _core.stake_table(eb)
    st_a = dict(zip(zip(ha, ca), sa.tolist()))
    st_b = dict(zip(zip(hb, cb), sb.tolist()))
    for hk, ck in sorted(st_a.keys() | st_b.keys()):
        va, vb = st_a.get((hk, ck), 0), st_b.get((hk, ck), 0)
        if va != vb:
            add("stake", "stake", va, vb, hotkey=AccountId(hk).ss58, coldkey=AccountId(ck).ss58)
    subs_a, subs_b = set(a.subnets()), set(b.subnets())
    for netuid in sorted(subs_a | subs_b):
        ia = a.subnet(netuid) if netuid in subs_a else {}
        ib = b.subnet(netuid) if netuid in subs_b else {}
        for field in sorted((ia.keys() | ib.keys()) - {"netuid"}):
            va, vb = ia.get(field), ib.get(field)
            if va != vb or (field in ia) != (field in ib):
                add("subnet", field, va, vb, netuid=netuid, accounts=field == "owner")
        _diff_neurons(add, a, b, netuid, netuid in subs_a, netuid in subs_b)
    series = [pl.Series(k, rows[k], dtype=getattr(pl, t)) for k, t in DIFF_SCHEMA.items()]
    return pl.DataFrame(series)


_MG_FIELDS = {"stake": "stake", "rank": "ranks_u16", "trust": "trust_u16",
              "consensus": "consensus_u16", "incentive": "incentive_u16",
              "dividends": "dividends_u16", "validator_trust": "validator_trust_u16",
              "emission": "emission", "active": "active", "validator_permit": "validator_permit",
              "last_update": "last_update", "block_at_registration": "block_at_registration",
              "pruning_score": "pruning_scores"}


def _diff_neurons(add: Any, a: Queries, b: Queries, netuid: int, in_a: bool, in_b: bool) -> None:
    ma = a.metagraph(netuid) if in_a else None
    mb = b.metagraph(netuid) if in_b else None
    na, nb = (ma.n if ma else 0), (mb.n if mb else 0)
    n = max(na, nb)
    if n == 0:
        return
    hk_a = ma.hotkeys if ma else []
    hk_b = mb.hotkeys if mb else []
    label = [str(hk_b[u]) if u < nb else str(hk_a[u]) for u in range(n)]
    for field in ("hotkey", "coldkey"):
        xa = (ma.hotkeys if field == "hotkey" else ma.coldkeys) if ma else []
        xb = (mb.hotkeys if field == "hotkey" else mb.coldkeys) if mb else []
        for u in range(n):
            va = xa[u] if u < na else None
            vb = xb[u] if u < nb else None
            if va != vb:
                add("neuron", field, va, vb, netuid=netuid, uid=u, hotkey=label[u], accounts=True)
    for field, attr in _MG_FIELDS.items():
        za = np.zeros(n, dtype=np.uint64)
        zb = np.zeros(n, dtype=np.uint64)
        if ma:
            za[:na] = np.asarray(getattr(ma, attr), dtype=np.uint64)
        if mb:
            zb[:nb] = np.asarray(getattr(mb, attr), dtype=np.uint64)
        present = (np.arange(n) < na) != (np.arange(n) < nb)
        for u in np.nonzero((za != zb) | present)[0].tolist():
            add("neuron", field, int(za[u]) if u < na else None, int(zb[u]) if u < nb else None,
                netuid=netuid, uid=u, hotkey=label[u])


class Forkable:
    """`fork()`: a writable in-memory branch of the state after a block (`taostate.fork.Fork`)."""

    def fork(self: Any, at: int | None = None,
             hyperparameters: Mapping[int | None, Mapping[str, int | bool]] | None = None) -> Fork:
        """A `Fork` starting from the state after block `at` (the head by default) with
        `hyperparameters` ({netuid: {name: value}}, netuid None for a global parameter) set by
        `SudoSetHyperparameter` transactions of the sudo key in the fork's first block (they are
        in its events). The log is never touched; `close()` the fork (or use `with`) to free it."""
        from .fork import Fork

        head = self._committed_head()
        block = check_block(head if at is None else at, self._first_block(), head, "at")
        return Fork._start(self._engine_at(block), hyperparameters)


class Frames(Forkable):
    """History, series and events of a block range as polars data frames (one replay pass)."""

    def history(self: Any, netuids: int | Iterable[int] | None = None,
                fields: Iterable[str] | str | None = None, *, start: int | None = None,
                stop: int | None = None, every: int | str = "epoch") -> pl.DataFrame:
        """Metagraph fields of `netuids` (every subnet but root by default) over blocks
        `start..stop` (the whole range by default), sampled after each epoch of each subnet
        (`every="epoch"`) or every k blocks from `start` (`every=k`), in long form: one row per
        (block, netuid, uid) with `hotkey`, `coldkey` (ss58) and the `fields` (all of
        `frames.NEURON_FIELDS` by default). Each value equals `at(block).metagraph(netuid)`'s."""
        return history(self, netuids, fields, start=start, stop=stop, every=every)

    def subnet_series(self: Any, netuids: int | Iterable[int] | None = None,
                      fields: Iterable[str] | str | None = None, *, start: int | None = None,
                      stop: int | None = None, every: int | str = 1) -> pl.DataFrame:
        """Per-subnet series (`frames.SUBNET_FIELDS`: n, emission_value, pending_emission,
        locked, stake, registrations since the subnet's previous row, burn, difficulty, tempo),
        one row per (block, netuid), every k blocks or every epoch."""
        return subnet_series(self, netuids, fields, start=start, stop=stop, every=every)

    def chain_series(self: Any, fields: Iterable[str] | str | None = None, *,
                     start: int | None = None, stop: int | None = None,
                     every: int = 1) -> pl.DataFrame:
        """Chain-level series (`frames.CHAIN_FIELDS`: total issuance, block emission, total stake,
        free balances, locks, subnets, registrations since the previous row) every k blocks."""
        return chain_series(self, fields, start=start, stop=stop, every=every)

    def events_frame(self: Any, start: int | None = None, stop: int | None = None) -> pl.DataFrame:
        """Every event of blocks `start..stop`: `block`, `seq` (order within the block), `event`
        and one column per field name (null where an event has no such field; accounts as ss58,
        bytes as hex; a field holding several kinds of values is text)."""
        return events_frame(self, start, stop)
