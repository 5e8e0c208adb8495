"""Governance through the Python API (docs/ruleset.md §12): a Senate vote changes a hyperparameter and
the next epoch uses it; errors are named and change nothing; replay equals live."""

from __future__ import annotations

import os

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, CAROL, SUDO, genesis

T0, T1 = ts.account("t0"), ts.account("t1")
ZERO = ts.AccountId(bytes(32))
SENATORS = [ts.account(f"senator/{i}") for i in range(3)]


def _setup(chain: ts.Chain) -> None:
    chain.submit(tx.RegisterNetwork(origin=ALICE))
    chain.step()
    for hk, ck in zip(SENATORS, (ALICE, BOB, CAROL)):
        chain.submit(tx.RootRegister(origin=ck, hotkey=hk))
        chain.step()


def test_senate_vote_changes_tempo_and_the_next_epoch_uses_it(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis(network_rate_limit=0)) as chain:
        _setup(chain)
        assert sorted(chain.senate()) == sorted(SENATORS)
        assert chain.triumvirate() == sorted([T0, T1])
        inner = tx.SudoSetHyperparameter(origin=ZERO, netuid=1, name="tempo", value=1)
        with pytest.raises(ts.errors.NotTriumvirateMember):
            chain.submit(tx.Propose(origin=ALICE, transaction=inner, duration=3600))
        with pytest.raises(ts.errors.WrongDuration):
            chain.submit(tx.Propose(origin=T0, transaction=inner, duration=3599))
        with pytest.raises(ts.errors.BadOrigin):  # a signed origin inside a proposal
            chain.submit(tx.Propose(origin=T0, transaction=tx.SudoSetHyperparameter(
                origin=ALICE, netuid=1, name="tempo", value=1), duration=3600))
        r = chain.submit(tx.Propose(origin=T0, transaction=inner, duration=3600))
        (name, fields), = r.events
        assert name == "Proposed" and fields["threshold"] == 2 and fields["index"] == 0
        assert fields["hash"] == tx.proposal_hash(inner)
        with pytest.raises(ts.errors.DuplicateProposal):
            chain.submit(tx.Propose(origin=T1, transaction=inner, duration=3600))
        [p] = chain.proposals()
        assert p["transaction"] == inner and p["end"] == chain.block + 3600
        h = tx.proposal_hash(inner)
        with pytest.raises(ts.errors.NonAssociatedColdKey):
            chain.submit(tx.Vote(origin=BOB, hotkey=SENATORS[0], hash=h, index=0, approve=True))
        with pytest.raises(ts.errors.WrongIndex):
            chain.submit(tx.Vote(origin=ALICE, hotkey=SENATORS[0], hash=h, index=1, approve=True))
        chain.submit(tx.Vote(origin=ALICE, hotkey=SENATORS[0], hash=h, index=0, approve=True))
        with pytest.raises(ts.errors.DuplicateVote):
            chain.submit(tx.Vote(origin=ALICE, hotkey=SENATORS[0], hash=h, index=0, approve=True))
        with pytest.raises(ts.errors.TooEarly):
            chain.submit(tx.Close(origin=CAROL, hash=h, index=0))
        chain.submit(tx.Vote(origin=BOB, hotkey=SENATORS[1], hash=h, index=0, approve=True))
        r = chain.submit(tx.Close(origin=CAROL, hash=h, index=0))
        assert [e[0] for e in r.events] == ["Closed", "Approved", "HyperparameterSet", "Executed"]
        assert r.events[-1][1]["result"] is None
        assert chain.subnet(1)["tempo"] == 1 and chain.proposals() == []
        b = chain.step()
        chain.step(blocks=4)
        runs = [blk for blk in range(b + 1, b + 5)
                if ("EpochRun", 1) in [(n, f.get("netuid")) for n, f in chain.events(blk)]]
        assert runs == [blk for blk in range(b + 1, b + 5) if (blk + 2) % 2 == 1]  # every other block
        live = chain.state_root()
    with ts.Chain.open(path, readonly=True) as again:
        assert again.state_root() == live
        assert again.verify()["state_root"] == live


def test_failed_inner_transaction_changes_nothing_but_closes() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _setup(chain)
        inner = tx.SudoSetHyperparameter(origin=ZERO, netuid=7, name="tempo", value=3)
        chain.submit(tx.Propose(origin=T0, transaction=inner, duration=3600))
        h = tx.proposal_hash(inner)
        for hk, ck in zip(SENATORS, (ALICE, BOB, CAROL)):
            chain.submit(tx.Vote(origin=ck, hotkey=hk, hash=h, index=0, approve=True))
        r = chain.submit(tx.Close(origin=CAROL, hash=h, index=0))
        assert r.events[-1] == ("Executed", {"hash": h, "result": "NetworkDoesNotExist"})
        assert chain.proposals() == []


def test_sudo_governance_calls() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        with pytest.raises(ts.errors.BadOrigin):
            chain.submit(tx.SudoTriumvirateAddMember(origin=ALICE, member=BOB))
        chain.submit(tx.SudoTriumvirateAddMember(origin=SUDO, member=BOB))
        with pytest.raises(ts.errors.TooManyTriumvirateMembers):
            chain.submit(tx.SudoTriumvirateAddMember(origin=SUDO, member=CAROL))
        chain.submit(tx.SudoTriumvirateSwapMember(origin=SUDO, old=BOB, new=CAROL))
        assert CAROL in chain.triumvirate() and BOB not in chain.triumvirate()
        with pytest.raises(ts.errors.NotTriumvirateMember):
            chain.submit(tx.SudoTriumvirateRemoveMember(origin=SUDO, member=BOB))
        chain.submit(tx.SudoSenateAddMember(origin=SUDO, hotkey=BOB))
        with pytest.raises(ts.errors.AlreadySenateMember):
            chain.submit(tx.SudoSenateAddMember(origin=SUDO, hotkey=BOB))
        chain.submit(tx.SudoSenateRemoveMember(origin=SUDO, hotkey=BOB))
        assert chain.senate() == []
        r = chain.submit(tx.SudoSetKey(origin=SUDO, new=ALICE))
        assert r.events == [("KeyChanged", {"old": SUDO, "new": ALICE})]
        assert chain.sudo_key == ALICE
        with pytest.raises(ts.errors.BadOrigin):
            chain.submit(tx.SudoSetKey(origin=SUDO, new=SUDO))
        with pytest.raises(ts.errors.CallNotSupported):
            chain.submit(tx.SwapHotkey(origin=ALICE, hotkey=BOB, new_hotkey=CAROL))
        with pytest.raises(ts.errors.FaucetDisabled):
            chain.submit(tx.Faucet(origin=ALICE, block_number=0, nonce=0, work=b""))
