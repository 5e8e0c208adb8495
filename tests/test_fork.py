"""Forks: an unchanged fork reproduces the main line bit for bit, a changed one changes incentives
and dividends exactly as `ts.yuma.epoch` says on the same inputs, the log is never touched, and
bad input is refused by name with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import taostate as ts
from taostate import _core, tx
from taostate.errors import (
    BlockOutOfRange,
    NetworkDoesNotExist,
    StorageValueOutOfRange,
    TaoStateError,
    UnknownHyperparameter,
)
from helpers import ALICE, BOB, CAROL, genesis
from synth_chain import CFG, build, log_digest


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(str(tmp_path_factory.mktemp("fork")))


@pytest.fixture
def chain(synth: str) -> Iterator[ts.Chain]:
    with ts.Chain.open(synth, readonly=True) as c:
        yield c


def test_an_unchanged_fork_reproduces_the_main_line_bit_for_bit(synth: str, chain: ts.Chain) -> None:
    before = log_digest(synth)
    base = 150  # not a snapshot block: restored from genesis + 150 blocks of the log
    tail = 3_600
    assert chain.head >= base + tail
    main = _core.fork_engine(chain.at(base)._engine)
    with chain.fork(at=base) as fork:
        assert fork.base == fork.head == base and fork.state_root() == chain.at(base).state_root()
        for b in range(base + 1, base + tail + 1):
            record = chain._log.get(b)
            main.apply_records([record])
            assert fork.replay(chain, blocks=1) == []
            assert fork.state_root() == bytes(main.state_root()).hex(), f"block {b}"
            assert fork._records[-1] == record, f"block {b}"
        assert fork.head == base + tail
        assert fork.head_hash == bytes(main.head_hash).hex()
    assert log_digest(synth) == before


def test_forking_the_same_block_again_reuses_the_restored_state(chain: ts.Chain) -> None:
    a = chain.fork(at=777)
    restored = chain._states[777]
    b = chain.fork(at=777)
    assert chain._states[777] is restored  # not replayed again, only copied
    assert a._base is b._base is restored
    a.step(3)  # moving one fork moves neither the other nor the cached state
    assert a.head == 780
    assert b.head == 777 and b.state_root() == chain.at(777).state_root()
    assert bytes(restored.state_root()).hex() == chain.at(777).state_root()
    a.close()
    b.close()


def _epoch_block(netuid: int, tempo: int, after: int) -> int:
    """The first block > `after` whose step runs subnet `netuid`'s epoch."""
    return next(b for b in range(after + 1, after + tempo + 3)
                if ts.rules.blocks_until_next_epoch(netuid, tempo, b) == 0)


def _yuma_of(fork: ts.Fork, netuid: int, e: int) -> ts.yuma.EpochResult:
    """`ts.yuma.epoch` on the inputs the engine's epoch of block `e` saw in `fork` (whose blocks
    up to `e` hold no transactions after the overrides): bonds and permits from before the epoch,
    stake after block e (its step's drain came before the epoch), the rest unchanged by it."""
    before, after = fork.at(e - 1), fork.at(e)
    mb, ma = before.metagraph(netuid), after.metagraph(netuid)
    p = after.subnet(netuid)
    (run,) = [f for n, f in fork.events(e) if n == "EpochRun" and f["netuid"] == netuid]
    return ts.yuma.epoch(
        block=e, stake=ma.stake, weights=ma.weights, bonds=mb.bonds, last_update=ma.last_update,
        block_at_registration=ma.block_at_registration, validator_permit=mb.validator_permit,
        kappa=p["kappa"], bonds_moving_average=p["bonds_moving_average"],
        max_allowed_validators=p["max_allowed_validators"], activity_cutoff=p["activity_cutoff"],
        emission=run["rao_emission"])


@pytest.fixture(scope="module")
def voting() -> Iterator[ts.Chain]:
    """A subnet (tempo 9) with 4 validators of different stakes that disagree on 6 miners; the
    head is the block after their second weights, before the epoch that uses them (the first
    round's epoch left bonds)."""
    sudo, owner = ts.account("sudo"), ts.account("owner")
    g = ts.Genesis(balances={sudo: 100_000 * ts.TAO, owner: 2_000 * ts.TAO}, sudo=sudo,
                   params={"network_rate_limit": 0})
    with ts.Chain.ephemeral(g) as c:
        c.submit(tx.RegisterNetwork(origin=owner))
        for name, v in (("tempo", 9), ("min_allowed_weights", 1), ("weights_set_rate_limit", 0),
                        ("max_allowed_validators", 4), ("max_allowed_uids", 16),
                        ("max_weights_limit", 65535)):
            c.submit(tx.SudoSetHyperparameter(origin=sudo, netuid=1, name=name, value=v))
        vals = [ts.account(f"v{i}") for i in range(4)]
        for i, h in enumerate(vals):
            c.submit(tx.SudoRegister(origin=sudo, netuid=1, hotkey=h, coldkey=ts.account(f"cv{i}"),
                                     stake=(100 + 100 * i) * ts.TAO, balance=0))
        for i in range(6):
            c.submit(tx.SudoRegister(origin=sudo, netuid=1, hotkey=ts.account(f"m{i}"),
                                     coldkey=ts.account(f"cm{i}"), stake=0, balance=0))
        c.step(12)  # an epoch hands out the validator permits
        assert c.metagraph(1).validator_permit.tolist() == [True] * 4 + [False] * 6
        for rnd in (3, 5):  # two rounds of weights, an epoch between: bonds to average with
            for i, h in enumerate(vals):
                c.submit(tx.SetWeights(origin=h, netuid=1, uids=list(range(4, 10)), version_key=0,
                                       values=[1000 + 7919 * ((u + rnd) * (i + 1) % 8)
                                               for u in range(4, 10)]))
            c.step(10 if rnd == 3 else 1)
        yield c


@pytest.mark.parametrize("name,value", [("kappa", 50_000), ("bonds_moving_average", 300_000)])
def test_a_changed_hyperparameter_changes_incentive_and_dividends_as_yuma_says(
        voting: ts.Chain, name: str, value: int) -> None:
    netuid, base = 1, voting.head
    e = _epoch_block(netuid, 9, base + 1)
    plain = voting.fork()
    changed = voting.fork(hyperparameters={netuid: {name: value}})
    assert changed.subnet(netuid)[name] == value != voting.subnet(netuid)[name]
    for f in (plain, changed):
        f.step(e - base)
        want = _yuma_of(f, netuid, e)
        mg = f.metagraph(netuid)
        assert mg.block == e
        for field in ("incentive", "dividends", "consensus", "rank", "trust", "validator_trust"):
            assert np.array_equal(getattr(mg, f"{field}_u16" if field != "rank" else "ranks_u16"),
                                  getattr(want, field)), field
        assert np.array_equal(mg.bonds, want.bonds) and np.array_equal(mg.emission, want.emission)
    # the override made the difference the rules say it makes
    a, b = plain.metagraph(netuid), changed.metagraph(netuid)
    assert not np.array_equal(a.dividends_u16, b.dividends_u16)
    if name == "kappa":
        assert not np.array_equal(a.consensus_u16, b.consensus_u16)
        assert not np.array_equal(a.incentive_u16, b.incentive_u16)
    else:
        assert np.array_equal(a.incentive_u16, b.incentive_u16)  # bonds only feed dividends
        assert not np.array_equal(a.bonds, b.bonds)
    d = ts.diff(plain, changed)
    changed_fields = set(d.filter(d["kind"] == "neuron")["field"].to_list())
    assert {"dividends", "incentive" if name == "kappa" else "dividends"} <= changed_fields
    assert name in d.filter(d["kind"] == "subnet")["field"].to_list()
    plain.close()
    changed.close()


def test_overrides_are_sudo_transactions_in_the_forks_first_block(chain: ts.Chain) -> None:
    root = chain.state_root()
    with chain.fork(at=1_000, hyperparameters={1: {"kappa": 40_000}, 2: {"tempo": 10}}) as f:
        assert [r.block for r in f.overrides] == [1_001, 1_001]
        f.step()
        events = [fields for n, fields in f.events(1_001) if n == "HyperparameterSet"]
        assert events == [{"netuid": 1, "name": "kappa", "value": 40_000},
                          {"netuid": 2, "name": "tempo", "value": 10}]
        assert f.subnet(2)["tempo"] == 10 and chain.at(1_001).subnet(2)["tempo"] == CFG.tempo
    assert chain.state_root() == root


def test_bad_input_is_refused_by_name_and_changes_nothing(synth: str, chain: ts.Chain) -> None:
    before, root, head = log_digest(synth), chain.state_root(), chain.head
    with pytest.raises(BlockOutOfRange, match="at"):
        chain.fork(at=head + 1)
    with pytest.raises(BlockOutOfRange):
        chain.fork(at=-1)
    with pytest.raises(UnknownHyperparameter):
        chain.fork(at=100, hyperparameters={1: {"kapa": 1}})
    with pytest.raises(NetworkDoesNotExist):
        chain.fork(at=100, hyperparameters={99: {"kappa": 1}})
    with pytest.raises(StorageValueOutOfRange):
        chain.fork(at=100, hyperparameters={1: {"kappa": 70_000}})
    with pytest.raises(ts.InvalidTransaction, match="netuids"):
        chain.fork(at=100, hyperparameters={"1": {"kappa": 1}})  # type: ignore[dict-item]
    with chain.fork(at=100) as f:
        with pytest.raises(BlockOutOfRange):
            f.at(99)
        with pytest.raises(BlockOutOfRange):
            f.events(100)
        with pytest.raises(BlockOutOfRange):
            f.replay(chain, blocks=head)  # past the main line's head
        assert f.head == 100 and not f._engine.is_open
        with pytest.raises(ValueError):
            f.step(0)
    assert chain.head == head and chain.state_root() == root and log_digest(synth) == before


def test_fork_api_on_an_ephemeral_chain() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        chain.submit(tx.Transfer(origin=ALICE, dest=CAROL, amount=5 * ts.TAO))
        chain.step(3)
        root, head = chain.state_root(), chain.head
        fork = chain.fork()
        assert fork.base == head == 3
        r = fork.submit(tx.Transfer(origin=BOB, dest=CAROL, amount=7 * ts.TAO))
        assert r.block == 4 and r.index == 0 and r.events[0][0] == "Transfer"
        assert fork.pending_events()[-1][0] == "Transfer"
        assert fork.step(2) == 5
        assert fork.balance(CAROL) == chain.balance(CAROL) + 7 * ts.TAO
        assert fork.at(3).state_root() == root and fork.at(4).balance(CAROL) == fork.balance(CAROL)
        assert [n for n, _ in fork.events(4)] == ["Transfer"]
        # fork of a fork, and of a view of it
        inner = fork.fork(at=4)
        inner.submit_many([tx.Transfer(origin=BOB, dest=ALICE, amount=ts.TAO)])
        inner.step()
        assert inner.base == 4 and inner.balance(ALICE) == fork.at(5).balance(ALICE) + ts.TAO
        assert fork.at(4).fork().state_root() == fork.at(4).state_root()
        with pytest.raises(BlockOutOfRange):
            fork.fork(at=2)
        # the main line never moved; an unchanged view fork matches its view
        assert chain.head == head and chain.state_root() == root
        assert chain.at(1).fork().state_root() == chain.at(1).state_root()
        d = ts.diff(chain, fork)
        bal = d.filter(d["kind"] == "balance")
        assert sorted(bal["coldkey"].to_list()) == sorted([BOB.ss58, CAROL.ss58])
        carol = bal.filter(bal["coldkey"] == CAROL.ss58).row(0, named=True)
        assert carol["b"] - carol["a"] == 7 * ts.TAO
        assert ts.diff(fork, fork).height == 0
        fork.close()
        with pytest.raises(TaoStateError, match="closed"):
            fork.balance(CAROL)
        with pytest.raises(TaoStateError, match="closed"):
            fork.step()
        assert inner.balance(ALICE) > 0  # a fork of a fork lives on its own
