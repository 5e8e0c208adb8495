"""`sweep`: many what-if forks and replays at once, on local processes or a Dask cluster.

    frame = ts.sweep(scenarios, measure)                    # local worker processes
    frame = ts.sweep(scenarios, measure, client=client)     # a dask.distributed cluster

A `Scenario` names a source (a log path, read where it lies, or a `SynthConfig` generated on the
worker that runs it), the block to fork after, changes (hyperparameter overrides and extra
transactions, both in the fork's first block) and a horizon in blocks: the source line's next
`horizon` blocks are re-submitted into the fork (`Fork.replay`), and blocks past the source's
head are sealed empty. `measure(fork)` returns a dict (one row) or a polars DataFrame (its rows);
it runs at the end, or every k blocks, or after each epoch of a subnet (`every=`). The results
come back as ONE polars DataFrame: the scenario's parameters as columns (`scenario`, `source`,
`at`, `horizon`, `txs`, one `NETUID.NAME` column per overridden hyperparameter, the scenario's
`params`), then `block`, `state_root`, `refused` (source transactions the fork's rules refused
so far), `error` and `error_message` (null unless the scenario failed), then the measured columns.

Nothing large travels: scenarios, the measure function and result rows are small; each worker
opens the log read-only (LMDB allows many reader processes) and keeps it open for its next
scenarios. State that has to travel (a `View` as a source) pickles as the engine's snapshot
bytes. A failing scenario (bad parameter, rule rejection, a worker lost more often than the
cluster allows) gets a row with the error's class and message; the others finish. Dask runs the
tasks of a lost worker again elsewhere.

Dask (`distributed`) is the extra ``taostate[dask]``; without a client `sweep` starts a private
`LocalCluster` of `workers` processes, or with `workers=0` runs the scenarios one after another
in this process (no Dask needed).
"""

from __future__ import annotations

import atexit
import copyreg
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from . import _core
from .chain import Chain, View
from .errors import MissingExtra, TaoStateError
from .synth import SynthConfig, synthesize
from .tx import Tx

if TYPE_CHECKING:
    import polars as pl

    from .fork import Fork

SourceLike = Union[str, "os.PathLike[str]", SynthConfig, View]
Measure = Callable[["Fork"], "Mapping[str, Any] | pl.DataFrame"]
Every = Union[int, str]

# the columns every row has after the scenario's parameters, in order
RESULT_COLUMNS = ("block", "state_root", "refused", "error", "error_message")


class BadScenario(TaoStateError):
    """A scenario that cannot run as written (its row says why; `sweep` raises it only for
    arguments of the sweep itself)."""


@dataclass(frozen=True)
class Scenario:
    """One fork-and-replay of a sweep (see the module doc).

    `at`: the block to fork after (default: the source's head minus `horizon`, at least its
    first block). `hyperparameters`: {netuid: {name: value}} (netuid None for a global one), set
    by the sudo key in the fork's first block. `transactions`: extra transactions submitted in
    the fork's first block after those. `horizon`: blocks to run past `at`. `params`: extra
    columns for the results (e.g. {"kappa": 50000}). `name`: the `scenario` column (default
    "s{index}").
    """

    source: SourceLike
    horizon: int
    at: int | None = None
    hyperparameters: Mapping[int | None, Mapping[str, int | bool]] = field(default_factory=dict)
    transactions: Sequence[Tx] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None

    def columns(self, index: int) -> dict[str, Any]:
        """The scenario's parameter columns (the first columns of each of its rows)."""
        cols: dict[str, Any] = {"scenario": self.name if self.name is not None else f"s{index}",
                                "source": _source_label(self.source), "at": self.at,
                                "horizon": self.horizon, "txs": len(self.transactions)}
        if isinstance(self.hyperparameters, Mapping):
            for netuid, values in self.hyperparameters.items():
                if isinstance(values, Mapping):
                    for name, value in values.items():
                        cols[f"{'global' if netuid is None else netuid}.{name}"] = value
        if isinstance(self.params, Mapping):
            for key, value in self.params.items():
                cols[str(key)] = value
        return cols


def _source_label(source: object) -> str:
    if isinstance(source, SynthConfig):
        return f"synth(subnets={source.subnets}, uids={source.uids}, blocks={source.blocks}, " \
               f"seed={source.seed})"
    if isinstance(source, View):
        return f"view(block={source.block})"
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return repr(source)


# ---- engine state on the wire: snapshot bytes -----------------------------------------------
def _restore_engine(snapshot: bytes) -> _core.Engine:
    return _core.Engine.restore(snapshot)


def _reduce_engine(engine: _core.Engine) -> tuple[Any, tuple[bytes]]:
    # a sealed state pickles as its canonical snapshot (an open block raises: step first)
    return _restore_engine, (bytes(engine.snapshot()),)


def _restore_view(engine: _core.Engine) -> View:
    return View(engine)


def _reduce_view(view: View) -> tuple[Any, tuple[_core.Engine]]:
    return _restore_view, (view._engine,)


copyreg.pickle(_core.Engine, _reduce_engine)
copyreg.pickle(View, _reduce_view)


# ---- where a scenario runs ------------------------------------------------------------------
_OPEN: dict[Any, Chain] = {}  # per process: source key → read-only chain, kept for later scenarios
_OPEN_LOCK = threading.Lock()
_SYNTH_DIRS: list[str] = []


def _close_all() -> None:
    with _OPEN_LOCK:
        for chain in _OPEN.values():
            chain.close()
        _OPEN.clear()
        for d in _SYNTH_DIRS:
            shutil.rmtree(d, ignore_errors=True)
        _SYNTH_DIRS.clear()


atexit.register(_close_all)


def _chain_for(source: SourceLike) -> Chain | View:
    """The source opened in this process (once; later scenarios of the same source reuse it)."""
    if isinstance(source, View):
        return source
    if isinstance(source, SynthConfig):
        key: Any = source
    elif isinstance(source, (str, os.PathLike)):
        key = os.path.realpath(os.fspath(source))
    else:
        raise BadScenario(f"source: a log path, a SynthConfig or a View, got {type(source).__name__}")
    with _OPEN_LOCK:
        chain = _OPEN.get(key)
        if chain is None:
            if isinstance(source, SynthConfig):
                d = tempfile.mkdtemp(prefix="taostate-sweep-")
                _SYNTH_DIRS.append(d)
                synthesize(os.path.join(d, "chain"), source)
                chain = Chain.open(os.path.join(d, "chain"), readonly=True)
            else:
                chain = Chain.open(key, readonly=True)
            _OPEN[key] = chain
        return chain


def _check_every(every: object) -> Every:
    if every in ("end", "epoch"):
        return str(every)
    if isinstance(every, int) and not isinstance(every, bool) and every >= 1:
        return every
    raise BadScenario(f"every: 'end', 'epoch' or a number of blocks ≥ 1, got {every!r}")


def _next_stop(fork: Fork, end: int, every: Every, netuid: int | None) -> int:
    """The next block (≤ end) after which to measure."""
    head = fork.head
    if every == "end":
        return end
    if isinstance(every, int):
        return min(end, head + every - (head - fork.base) % every)
    if netuid is None:
        netuid = next((n for n in fork.subnets() if n != 0), 0)
    if netuid not in fork.subnets():
        return end
    tempo = int(fork.subnet(netuid)["tempo"])
    return min(end, head + 1 + int(_core.blocks_until_next_epoch(netuid, tempo, head + 1)))


def _rows(measured: object, fork: Fork, refused: int) -> list[dict[str, Any]]:
    head = {"block": fork.head, "state_root": fork.state_root(), "refused": refused,
            "error": None, "error_message": None}
    if isinstance(measured, Mapping):
        return [{**head, **{str(k): v for k, v in measured.items()}}]
    to_dicts = getattr(measured, "to_dicts", None)
    if callable(to_dicts):
        return [{**head, **row} for row in to_dicts()]
    raise BadScenario(f"measure(fork) returns a dict or a polars DataFrame, got {type(measured).__name__}")


def run_scenario(scenario: Scenario, measure: Measure, every: Every = "end",
                 netuid: int | None = None) -> list[dict[str, Any]]:
    """Run one scenario in this process; its result rows (without the parameter columns).
    Raises what the scenario raised (`sweep` turns that into an error row)."""
    if not isinstance(scenario, Scenario):
        raise BadScenario(f"a sweep takes Scenario objects, got {type(scenario).__name__}")
    horizon = scenario.horizon
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise BadScenario(f"horizon: a number of blocks ≥ 1, got {horizon!r}")
    every = _check_every(every)
    source = _chain_for(scenario.source)
    head = source._committed_head()
    at = scenario.at if scenario.at is not None else max(source._first_block(), head - horizon)
    with _OPEN_LOCK:  # a chain's cache of restored states is not shared between threads
        fork = source.fork(at=at, hyperparameters=scenario.hyperparameters)
    rows: list[dict[str, Any]] = []
    with fork:
        for t in scenario.transactions:
            fork.submit(t)
        end, refused = at + horizon, 0
        while fork.head < end:
            stop = _next_stop(fork, end, every, netuid)
            from_source = min(stop, head) - fork.head
            if from_source > 0 and isinstance(source, Chain):  # a View has no later blocks
                refused += len(fork.replay(source, blocks=from_source))
            if fork.head < stop:
                fork.step(stop - fork.head)
            if stop < end or every == "end":
                rows.extend(_rows(measure(fork), fork, refused))
        if every != "end":
            rows.extend(_rows(measure(fork), fork, refused))
    return rows


def summary(fork: Fork) -> dict[str, Any]:
    """A default measure (the CLI's): the chain-level totals of the fork's head."""
    return {"total_issuance": fork.total_issuance, "total_stake": fork.total_stake,
            "total_balance": fork.total_balance, "total_locked": fork.total_locked,
            "block_emission": fork.block_emission, "subnets": len(fork.subnets())}


def _error_row(e: BaseException) -> dict[str, Any]:
    return {"block": None, "state_root": None, "refused": None, "error": type(e).__name__,
            "error_message": str(e)}


def _task(scenario: Scenario, measure: Measure, every: Every, netuid: int | None) -> list[dict[str, Any]]:
    """What a worker runs: the scenario's rows, or one error row (nothing raised, so one failing
    scenario never fails the others)."""
    try:
        return run_scenario(scenario, measure, every, netuid)
    except Exception as e:
        return [_error_row(e)]


def _frame(scenarios: Sequence[Scenario], results: Sequence[list[dict[str, Any]]]) -> pl.DataFrame:
    import polars as pl

    frames = []
    for i, (scenario, rows) in enumerate(zip(scenarios, results)):
        params = scenario.columns(i) if isinstance(scenario, Scenario) else {"scenario": f"s{i}"}
        frames.append(pl.DataFrame([{**params, **row} for row in rows], infer_schema_length=None))
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed")


def sweep(scenarios: Sequence[Scenario], measure: Measure, client: Any = None, *,
          workers: int | None = None, every: Every = "end", netuid: int | None = None,
          progress: bool = True) -> pl.DataFrame:
    """Run every scenario (a fork, changes, a replay of `horizon` blocks, `measure(fork)`) and
    return one polars DataFrame of all their rows (see the module doc for the columns).

    `client`: a `dask.distributed.Client` to run on; without one, a private `LocalCluster` of
    `workers` processes (default the number of CPUs) is started and closed, or with
    `workers=0` the scenarios run one after another in this process. `every`: measure at the
    end ("end"), every k blocks, or after each epoch of subnet `netuid` ("epoch"; default the
    first subnet); the last row set is always at the end. `progress`: a progress bar.
    """
    try:
        import polars  # noqa: F401
    except ImportError:
        raise MissingExtra("taostate.sweep returns a polars DataFrame: pip install 'taostate[dask]'") from None
    scenarios = list(scenarios)
    every = _check_every(every)
    if not callable(measure):
        raise BadScenario(f"measure: a function fork → dict | DataFrame, got {type(measure).__name__}")
    if client is None and workers == 0:
        results = _serial(scenarios, measure, every, netuid, progress)
    elif client is None:
        n = workers if workers is not None else (os.cpu_count() or 1)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise BadScenario(f"workers: a number of processes ≥ 0, got {workers!r}")
        with _local_client(n) as local:
            results = _on_dask(local, scenarios, measure, every, netuid, progress)
    else:
        results = _on_dask(client, scenarios, measure, every, netuid, progress)
    return _frame(scenarios, results)


def _bar(total: int, progress: bool) -> Any:
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="sweep", unit="scenario")


def _serial(scenarios: Sequence[Scenario], measure: Measure, every: Every, netuid: int | None,
            progress: bool) -> list[list[dict[str, Any]]]:
    bar = _bar(len(scenarios), progress)
    results = []
    try:
        for s in scenarios:
            results.append(_task(s, measure, every, netuid))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingExtra("sweeps on Dask need the extra: pip install 'taostate[dask]'") from None
    return distributed


def local_cluster(n_workers: int, **kwargs: Any) -> Any:
    """A `distributed.LocalCluster` of `n_workers` single-threaded worker processes on the
    loopback interface, without a dashboard (its HTTP endpoint on a free port, so two clusters
    never compete for 8787) and with quiet logs; `kwargs` go to LocalCluster."""
    distributed = _import_distributed()
    options: dict[str, Any] = dict(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   silence_logs=logging.ERROR)
    options.update(kwargs)
    return distributed.LocalCluster(**options)


class _local_client:
    """A private LocalCluster of `n` single-threaded worker processes and its client."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __enter__(self) -> Any:
        distributed = _import_distributed()
        self.cluster = local_cluster(self.n)
        self.client = distributed.Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.cluster.close()


def _on_dask(client: Any, scenarios: Sequence[Scenario], measure: Measure, every: Every,
             netuid: int | None, progress: bool) -> list[list[dict[str, Any]]]:
    distributed = _import_distributed()
    run = os.urandom(6).hex()
    futures = [client.submit(_task, s, measure, every, netuid, pure=False,
                             key=f"taostate-sweep-{run}-{i}")
               for i, s in enumerate(scenarios)]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[list[dict[str, Any]]] = [[] for _ in scenarios]
    bar = _bar(len(futures), progress)
    try:
        for future in distributed.as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # the task itself failed: a worker lost too often, …
                results[i] = [_error_row(e)]
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        for f in futures:
            f.release()
    return results


__all__ = ["BadScenario", "RESULT_COLUMNS", "Scenario", "local_cluster", "run_scenario", "summary", "sweep"]
