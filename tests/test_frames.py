"""History frames equal what `at(b)` returns at every sampled block (property test over random
ranges and subnets of a synthetic history); series, events frames, parquet export, the CLI, and
named errors for bad input."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import taostate as ts
from taostate.cli import main as cli
from taostate.errors import BlockOutOfRange, NetworkDoesNotExist, UnknownField
from taostate.frames import CHAIN_FIELDS, NEURON_FIELDS, SUBNET_FIELDS
from synth_chain import CFG, build, log_digest

HEAD = CFG.blocks


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(str(tmp_path_factory.mktemp("frames")))


@pytest.fixture(scope="module")
def chain(synth: str) -> Iterator[ts.Chain]:
    with ts.Chain.open(synth, readonly=True) as c:
        yield c


_MG = {"stake": "stake", "rank": "ranks_u16", "trust": "trust_u16", "consensus": "consensus_u16",
       "incentive": "incentive_u16", "dividends": "dividends_u16",
       "validator_trust": "validator_trust_u16", "emission": "emission", "active": "active",
       "validator_permit": "validator_permit", "last_update": "last_update",
       "block_at_registration": "block_at_registration", "pruning_score": "pruning_scores"}


def _check_rows_against_at(chain: ts.Chain, frame: pl.DataFrame, blocks: list[int]) -> None:
    for b in blocks:
        view = chain.at(b)
        rows = frame.filter(pl.col("block") == b)
        for netuid in rows["netuid"].unique().to_list():
            mine = rows.filter(pl.col("netuid") == netuid).sort("uid")
            mg = view.metagraph(netuid)
            assert mine["uid"].to_list() == list(range(mg.n))
            assert mine["hotkey"].to_list() == [h.ss58 for h in mg.hotkeys]
            assert mine["coldkey"].to_list() == [c.ss58 for c in mg.coldkeys]
            for field in NEURON_FIELDS:
                if field in mine.columns:
                    assert mine[field].to_list() == getattr(mg, _MG[field]).tolist(), (b, netuid, field)


@settings(max_examples=12)
@given(start=st.integers(1, HEAD), length=st.integers(0, 400),
       netuids=st.sets(st.integers(1, CFG.subnets), min_size=1),
       every=st.one_of(st.just("epoch"), st.integers(1, 120)), pick=st.randoms(use_true_random=False))
@example(start=1, length=0, netuids={1}, every=1, pick=random.Random(0))  # found by hypothesis
@example(start=1, length=12, netuids={2, 3}, every=1, pick=random.Random(0))
def test_every_history_value_equals_at_block_metagraph(
        chain: ts.Chain, start: int, length: int, netuids: set[int], every: int | str,
        pick: object) -> None:
    stop = min(HEAD, start + length)
    frame = chain.history(sorted(netuids), start=start, stop=stop, every=every)
    assert frame.columns == ["block", "netuid", "uid", "hotkey", "coldkey", *NEURON_FIELDS]
    blocks = sorted(set(frame["block"].to_list()))
    if every == "epoch":
        # exactly the blocks where one of the chosen subnets ran its epoch
        want = set()
        for netuid in netuids:
            want |= {b for b in range(start, stop + 1) 
                     if ts.rules.blocks_until_next_epoch(netuid, CFG.tempo, b) == 0}
        assert set(blocks) == want
    else:
        assert isinstance(every, int)
        # every `every`-th block at which a chosen subnet has neurons (the synthetic chain
        # registers its subnets and their first uids over blocks 1–6)
        sizes = chain.subnet_series(sorted(netuids), start=start, stop=stop, fields=["n"])
        populated = set(sizes.filter(pl.col("n") > 0)["block"].to_list())
        assert blocks == [b for b in range(start, stop + 1, every) if b in populated]
        assert set(frame["netuid"].to_list()) <= netuids
    assert all(start <= b <= stop for b in blocks)
    sample = pick.sample(blocks, min(3, len(blocks)))  # type: ignore[attr-defined]
    _check_rows_against_at(chain, frame, sample)


def test_history_of_every_subnet_at_every_epoch_covers_every_epoch_run(chain: ts.Chain) -> None:
    frame = chain.history(fields=["incentive", "dividends"], start=1_000, stop=1_200)
    assert frame.columns == ["block", "netuid", "uid", "hotkey", "coldkey", "incentive", "dividends"]
    runs = {(b, f["netuid"]) for b in range(1_000, 1_201) for n, f in chain.events(b)
            if n == "EpochRun"}
    assert set(frame.select("block", "netuid").unique().iter_rows()) == runs
    assert frame.schema["incentive"] == pl.UInt16 and frame.schema["block"] == pl.UInt64
    _check_rows_against_at(chain, frame, sorted({b for b, _ in runs})[:4])


def test_subnet_and_chain_series_equal_the_state_at_each_block(chain: ts.Chain) -> None:
    subs = chain.subnet_series(start=2_001, stop=2_060)
    assert subs.columns == ["block", "netuid", *SUBNET_FIELDS]
    assert subs.height == 60 * CFG.subnets
    for b in (2_001, 2_030, 2_060):
        view = chain.at(b)
        for row in subs.filter(pl.col("block") == b).iter_rows(named=True):
            info = view.subnet(row["netuid"])
            assert row["emission_value"] == info["emission_value"]
            assert row["pending_emission"] == info["pending_emission"]
            assert row["locked"] == info["locked"] and row["n"] == info["n"]
            assert row["burn"] == info["burn"] and row["tempo"] == info["tempo"]
            assert row["registrations"] == info["registrations_this_block"]  # every = 1
            assert row["stake"] == int(view.metagraph(row["netuid"]).stake.sum())
    series = chain.chain_series(start=10, stop=3_000, every=70)
    assert series.columns == ["block", *CHAIN_FIELDS]
    assert series["block"].to_list() == list(range(10, 3_001, 70))
    for row in series.rows(named=True)[::9]:
        view = chain.at(row["block"])
        assert row["total_issuance"] == view.total_issuance
        assert row["block_emission"] == view.block_emission
        assert row["total_stake"] == view.total_stake and row["total_locked"] == view.total_locked
        assert row["total_balance"] == view.total_balance
        assert row["subnets"] == len(view.subnets())
    # registrations since the previous row add up to the per-block counts
    per_block = chain.chain_series(["registrations"], start=10, stop=3_000)
    every70 = series["registrations"].to_list()
    assert every70[0] == per_block["registrations"][0]
    assert sum(every70) == per_block.filter(pl.col("block") <= series["block"][-1])["registrations"].sum()


def test_events_frame_holds_every_event_in_order(chain: ts.Chain) -> None:
    frame = chain.events_frame(2_044, 2_048)
    want = [(b, s, n) for b in range(2_044, 2_049) for s, (n, _) in enumerate(chain.events(b))]
    assert list(frame.select("block", "seq", "event").iter_rows()) == want
    runs = frame.filter(pl.col("event") == "EpochRun")
    assert runs["netuid"].dtype == pl.UInt64 and runs.height >= 1
    first = chain.events(2_044)
    for key, value in first[0][1].items():
        got = frame.row(0, named=True)[key]
        assert got == (value.ss58 if isinstance(value, ts.AccountId) else value)


def test_frames_write_parquet_and_read_back(chain: ts.Chain, tmp_path: object) -> None:
    for frame in (chain.history(1, start=500, stop=700), chain.chain_series(stop=100),
                  chain.subnet_series(every="epoch", stop=300), chain.events_frame(1, 20)):
        path = os.path.join(str(tmp_path), "f.parquet")
        frame.write_parquet(path)
        assert pl.read_parquet(path).equals(frame)


def test_bad_input_gets_a_named_error_and_changes_nothing(synth: str, chain: ts.Chain) -> None:
    before, root = log_digest(synth), chain.state_root()
    with pytest.raises(UnknownField, match="incentiv"):
        chain.history(1, ["incentiv"])
    with pytest.raises(UnknownField):
        chain.chain_series(["stake"])
    with pytest.raises(NetworkDoesNotExist):
        chain.history(42)
    with pytest.raises(BlockOutOfRange):
        chain.history(1, stop=HEAD + 1)
    with pytest.raises(BlockOutOfRange):
        chain.history(1, start=0)
    with pytest.raises(BlockOutOfRange):
        chain.events_frame(5, 4)
    with pytest.raises(ValueError, match="every"):
        chain.history(1, every=0)
    with pytest.raises(ValueError, match="every"):
        chain.chain_series(every="epoch")  # type: ignore[arg-type]
    assert chain.state_root() == root and log_digest(synth) == before


def test_history_of_a_fork_covers_its_own_blocks(chain: ts.Chain) -> None:
    with chain.fork(at=3_000, hyperparameters={1: {"kappa": 40_000}}) as fork:
        fork.replay(chain, blocks=200)
        frame = fork.history(1, ["consensus"])
        assert frame["block"].min() > 3_000 and frame["block"].max() <= 3_200
        last = frame.filter(pl.col("block") == frame["block"].max()).sort("uid")
        b = int(last["block"][0])
        assert last["consensus"].to_list() == fork.at(b).metagraph(1).consensus_u16.tolist()
        with pytest.raises(BlockOutOfRange):
            fork.history(1, start=2_999)


def test_cli_history_writes_parquet(synth: str, tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    out = os.path.join(str(tmp_path), "sn1.parquet")
    assert cli(["history", synth, "--netuid", "1", "--fields", "incentive,dividends",
                "--every-epoch", "--start", "100", "--stop", "600", "-o", out, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    frame = pl.read_parquet(out)
    assert info["rows"] == frame.height > 0
    assert frame.columns == ["block", "netuid", "uid", "hotkey", "coldkey", "incentive", "dividends"]
    with ts.Chain.open(synth, readonly=True) as chain:
        assert frame.equals(chain.history(1, ["incentive", "dividends"], start=100, stop=600))
    assert cli(["history", synth, "--netuid", "1", "--fields", "nope"]) == 2
    assert "UnknownField" in capsys.readouterr().err
    csv = os.path.join(str(tmp_path), "c.csv")
    assert cli(["history", synth, "--level", "chain", "--every", "100", "-o", csv]) == 0
    assert pl.read_csv(csv)["block"].to_list() == list(range(1, HEAD + 1, 100))


def test_readme_fork_and_history_example_runs(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import pathlib
    import re

    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    (code,) = [b for b in blocks if "chain.fork(" in b]
    monkeypatch.chdir(str(tmp_path))
    env: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), env)  # noqa: S102
    sn1 = env["sn1"]
    assert isinstance(sn1, pl.DataFrame) and sn1.height > 0
    assert pl.read_parquet("sn1.parquet").equals(sn1)
    assert os.path.getsize("dividends.png") > 5_000
    changes = env["changes"]
    assert isinstance(changes, pl.DataFrame)
    assert changes.filter(pl.col("field") == "incentive").height > 0
    # kappa moves emission, so a nominator selling stake it earned on the main line may hold less
    # in the fork: each refusal is a rule refusal of a main-line transaction of the replayed
    # range, naming that transaction (an unchanged fork refuses nothing: test_fork.py).
    refused = env["refused"]
    assert isinstance(refused, list)
    for r in refused:
        assert isinstance(r.error, ts.TxRejected) and r.error.tx == r.tx
        assert 1000 < r.block <= 2000
