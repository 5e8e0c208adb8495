"""Sweeps (`ts.sweep`): on a real 2-process `distributed.LocalCluster` the results equal the same
scenarios run serially in this process; failing scenarios get their own error rows; a worker
killed mid-sweep has its scenarios run again elsewhere; the CLI writes Parquet."""

from __future__ import annotations

import functools
import logging
import os
import pickle
import signal
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

import taostate as ts
from taostate import _core, tx
from taostate.cli import main
from taostate.fork import Fork
from taostate.sweep import BadScenario, Scenario, local_cluster, run_scenario, sweep
from taostate.synth import SynthConfig, synthesize

distributed = pytest.importorskip("distributed")

# 2 subnets × 8 uids, an epoch every 20 blocks per subnet, 400 blocks: small enough to synthesize
# on each worker in well under a second
CFG = SynthConfig(subnets=2, uids=8, validators=2, blocks=400, tempo=19, users=16, seed=3,
                  snapshot_every=100, governance_every=0)
TIMEOUT = 120  # seconds; the machine is shared and loaded


def measure(fork: Fork) -> dict[str, Any]:
    mg = fork.metagraph(1)
    return {"issuance": fork.total_issuance, "stake": fork.total_stake,
            "incentive": [int(x) for x in mg.incentive_u16],
            "dividends": [int(x) for x in mg.dividends_u16], "pid": os.getpid()}


def measure_frame(fork: Fork) -> pl.DataFrame:
    mg = fork.metagraph(1)
    return pl.DataFrame({"uid": list(range(mg.n)), "emission": [int(x) for x in mg.emission]})


def measure_or_die(marker: str, fork: Fork) -> dict[str, Any]:
    """The first call anywhere kills its worker process (SIGKILL, no goodbye); later calls measure."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return measure(fork)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> str:
    p = str(tmp_path_factory.mktemp("sweep") / "chain")
    synthesize(p, CFG)
    return p


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    # 2 worker processes of 1 thread on 127.0.0.1, no dashboard (local_cluster's settings)
    cluster = local_cluster(2, silence_logs=logging.CRITICAL)
    assert len(cluster.workers) == 2 and cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    c = distributed.Client(cluster, timeout=TIMEOUT)
    c.wait_for_workers(2, timeout=TIMEOUT)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def scenarios(path: str) -> list[Scenario]:
    nobody, alice = ts.account("sweep/nobody"), ts.account("sweep/alice")
    return [
        *[Scenario(source=path, at=200, horizon=150, hyperparameters={1: {"kappa": k}},
                   params={"kappa": k}, name=f"kappa-{k}") for k in (16384, 32767, 52000)],
        Scenario(source=path, at=350, horizon=100, name="past-head"),  # 50 blocks sealed empty
        Scenario(source=CFG, at=200, horizon=150, hyperparameters={1: {"kappa": 16384}},
                 params={"kappa": 16384}, name="synth-here"),           # generated on the worker
        Scenario(source=path, at=200, horizon=50, hyperparameters={1: {"no_such_parameter": 1}},
                 name="bad-parameter"),
        Scenario(source=path, at=200, horizon=50, name="rejected",
                 transactions=[tx.Transfer(origin=nobody, dest=alice, amount=10**12)]),
        Scenario(source=path, at=200, horizon=0, name="no-horizon"),
        Scenario(source=path + "-missing", at=200, horizon=50, name="no-log"),
    ]


def check_errors(frame: pl.DataFrame) -> None:
    err = dict(zip(frame["scenario"].to_list(), frame["error"].to_list()))
    assert err["bad-parameter"] == "UnknownHyperparameter"
    assert err["rejected"] == "InsufficientBalance"
    assert err["no-horizon"] == "BadScenario"
    assert err["no-log"] == "ChainNotFound"
    for name in ("kappa-16384", "kappa-32767", "kappa-52000", "past-head", "synth-here"):
        assert err[name] is None, frame.filter(pl.col("scenario") == name)["error_message"]
    msg = dict(zip(frame["scenario"].to_list(), frame["error_message"].to_list()))
    assert "no_such_parameter" in msg["bad-parameter"]
    assert msg["no-horizon"].startswith("horizon")


def test_cluster_equals_serial_in_process(path: str, client: Any) -> None:
    serial = sweep(scenarios(path), measure, workers=0, progress=False)
    on_dask = sweep(scenarios(path), measure, client=client, progress=False)
    assert serial.height == on_dask.height == len(scenarios(path))
    assert on_dask.drop("pid").equals(serial.drop("pid"))
    check_errors(on_dask)
    # the work really ran in the worker processes, not here
    pids = set(on_dask.filter(pl.col("error").is_null())["pid"].to_list())
    assert os.getpid() not in pids and len(pids) >= 1
    ok = on_dask.filter(pl.col("error").is_null())
    by = {r["scenario"]: r for r in ok.to_dicts()}
    assert by["kappa-16384"]["block"] == 350 and by["past-head"]["block"] == 450
    # the same config generated on a worker gives the same history: the same fork, the same state
    assert by["synth-here"]["state_root"] == by["kappa-16384"]["state_root"]
    assert by["kappa-16384"]["state_root"] != by["kappa-52000"]["state_root"]
    assert ok["kappa"].to_list()[:3] == [16384, 32767, 52000]
    # a scenario's row is the fork a user would build by hand
    with ts.Chain.open(path, readonly=True) as chain, \
            chain.fork(at=200, hyperparameters={1: {"kappa": 32767}}) as fork:
        fork.replay(chain, blocks=150)
        assert by["kappa-32767"]["state_root"] == fork.state_root()
        assert by["kappa-32767"]["incentive"] == [int(x) for x in fork.metagraph(1).incentive_u16]


def test_every_epoch_and_frames_from_measure(path: str, client: Any) -> None:
    todo = [Scenario(source=path, at=200, horizon=60, hyperparameters={1: {"kappa": 40000}})]
    serial = sweep(todo, measure_frame, workers=0, progress=False, every="epoch", netuid=1)
    on_dask = sweep(todo, measure_frame, client=client, progress=False, every="epoch", netuid=1)
    assert on_dask.equals(serial)
    blocks = sorted(set(serial["block"].to_list()))
    # after each epoch of subnet 1 (tempo 19) within 201…260, then at the end
    epochs = [b for b in range(201, 261) if _core.blocks_until_next_epoch(1, 19, b) == 0]
    assert epochs and blocks == sorted(set(epochs) | {260})
    assert serial.filter(pl.col("block") == blocks[0]).height == 8  # one row per uid
    assert serial.columns[:3] == ["scenario", "source", "at"] and "1.kappa" in serial.columns
    every25 = sweep(todo, measure, workers=0, progress=False, every=25)
    assert every25["block"].to_list() == [225, 250, 260]


def test_without_a_client_a_private_local_cluster(path: str) -> None:
    todo = scenarios(path)[:2]
    local = sweep(todo, measure, workers=1, progress=False)
    assert os.getpid() not in local["pid"].to_list()
    assert local.drop("pid").equals(sweep(todo, measure, workers=0, progress=False).drop("pid"))


def test_killed_worker_is_retried_elsewhere(path: str, client: Any, tmp_path: Any) -> None:
    marker = str(tmp_path / "killed")
    todo = [Scenario(source=path, at=200, horizon=100, hyperparameters={1: {"kappa": k}})
            for k in (10000, 20000, 30000, 40000)]
    expected = sweep(todo, measure, workers=0, progress=False)
    got = sweep(todo, functools.partial(measure_or_die, marker), client=client, progress=False)
    with open(marker) as f:
        killed = int(f.read())
    assert killed != os.getpid()
    assert got["error"].null_count() == got.height, got["error_message"]
    assert killed not in got["pid"].to_list()
    assert got.drop("pid").equals(expected.drop("pid"))
    client.wait_for_workers(2, timeout=TIMEOUT)  # the nanny restarts it for the next tests


def test_view_travels_as_snapshot_bytes(path: str) -> None:
    with ts.Chain.open(path, readonly=True) as chain:
        view = chain.at(300)
        data = pickle.dumps(view)
        snapshot = view._engine.snapshot()
        assert len(data) < len(snapshot) + 200
        again = pickle.loads(data)
        assert again.state_root() == view.state_root() and again.block == 300
        rows = sweep([Scenario(source=view, horizon=20, hyperparameters={1: {"kappa": 1}})],
                     measure, workers=0, progress=False)
        with view.fork(hyperparameters={1: {"kappa": 1}}) as fork:
            fork.step(20)
            assert rows["state_root"].to_list() == [fork.state_root()]
        assert rows["at"].to_list() == [None] and rows["block"].to_list() == [320]


def test_sweep_arguments_are_checked(path: str) -> None:
    with pytest.raises(BadScenario, match="every"):
        sweep([], measure, workers=0, every="daily")
    with pytest.raises(BadScenario, match="measure"):
        sweep([], 42, workers=0)  # type: ignore[arg-type]
    with pytest.raises(BadScenario, match="Scenario"):
        run_scenario("not a scenario", measure)  # type: ignore[arg-type]
    rows = sweep(["not a scenario"], measure, workers=0, progress=False)  # type: ignore[list-item]
    assert rows["error"].to_list() == ["BadScenario"]


def test_cli_sweep_to_parquet(path: str, client: Any, tmp_path: Any,
                              capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "scenarios.toml"
    toml.write_text(f"""
source = "{path}"
at = 200
horizon = 50
measure = "taostate.sweep:summary"

[grid]
"1.kappa" = [16384, 52000]
"1.rho" = [10, 12]

[[scenario]]
name = "base"

[[scenario]]
name = "transfer"
[[scenario.transactions]]
kind = "Transfer"
origin = "{ts.account("sweep/nobody").ss58}"
dest = "{ts.account("sweep/alice").ss58}"
amount = 1
""")
    out = tmp_path / "out.parquet"
    assert main(["sweep", str(toml), "--scheduler", client.scheduler.address, "-o", str(out)]) == 0
    frame = pl.read_parquet(out)
    assert frame.height == 8
    assert sorted(set(frame["1.kappa"].to_list())) == [16384, 52000]
    assert sorted(set(frame["1.rho"].to_list())) == [10, 12]
    base = frame.filter(pl.col("scenario").str.starts_with("base"))
    assert base["error"].null_count() == 4 and set(base["block"].to_list()) == {250}
    assert set(frame.filter(pl.col("scenario").str.starts_with("transfer"))["error"].to_list()) \
        == {"InsufficientBalance"}
    assert "total_issuance" in frame.columns
    printed = capsys.readouterr()
    assert f"wrote 8 rows to {out}" in printed.out
    assert "sweep: 100%" in printed.err and "8/8" in printed.err  # the progress bar
    serial = tmp_path / "serial.parquet"
    assert main(["sweep", str(toml), "--workers", "0", "-o", str(serial), "--json"]) == 0
    assert pl.read_parquet(serial).equals(frame)
    bad = tmp_path / "bad.toml"
    bad.write_text('horizon = "soon"\nsource = "x"\n')
    assert main(["sweep", str(bad), "--workers", "0"]) == 2
    assert "horizon" in capsys.readouterr().err
