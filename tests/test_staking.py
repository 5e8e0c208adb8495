"""Staking and delegation through the Python API (docs/ruleset.md §6.3, §7)."""

from __future__ import annotations

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, CAROL, SUDO, genesis

HOT = ts.account("staking/hot")


def _registered(chain: ts.Chain) -> None:
    chain.submit(tx.RegisterNetwork(origin=ALICE))
    chain.submit(tx.BurnedRegister(origin=ALICE, netuid=1, hotkey=HOT))
    chain.step()


def test_add_and_remove_stake_with_rate_limit() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0, tx_rate_limit=3)) as chain:
        _registered(chain)
        with pytest.raises(ts.errors.NotRegistered):
            chain.submit(tx.AddStake(origin=ALICE, hotkey=BOB, amount=1))
        with pytest.raises(ts.errors.NonAssociatedColdKey):  # not a delegate, not BOB's hotkey
            chain.submit(tx.AddStake(origin=BOB, hotkey=HOT, amount=1))
        issuance = chain.total_issuance
        r = chain.submit(tx.AddStake(origin=ALICE, hotkey=HOT, amount=100 * ts.TAO))
        assert r.events == [("StakeAdded", {"hotkey": HOT, "amount": 100 * ts.TAO})]
        assert chain.stake(HOT) == chain.stake(HOT, ALICE) == chain.coldkey_stake(ALICE) == 100 * ts.TAO
        assert chain.total_issuance == issuance  # staking moves, never mints
        with pytest.raises(ts.errors.TxRateLimitExceeded):
            chain.submit(tx.RemoveStake(origin=ALICE, hotkey=HOT, amount=ts.TAO))
        chain.step(blocks=3)  # acted at block 2 → allowed again at block 6
        with pytest.raises(ts.errors.NotEnoughStaketoWithdraw):
            chain.submit(tx.RemoveStake(origin=ALICE, hotkey=HOT, amount=0))
        with pytest.raises(ts.errors.NotEnoughStaketoWithdraw):
            chain.submit(tx.RemoveStake(origin=ALICE, hotkey=HOT, amount=101 * ts.TAO))
        with pytest.raises(ts.errors.TxRateLimitExceeded):  # block 5: 5 − 2 ≤ 3
            chain.submit(tx.RemoveStake(origin=ALICE, hotkey=HOT, amount=ts.TAO))
        chain.step()
        free = chain.balance(ALICE)
        chain.submit(tx.RemoveStake(origin=ALICE, hotkey=HOT, amount=ts.TAO))  # block 6
        assert chain.balance(ALICE) == free + ts.TAO and chain.stake(HOT) == 99 * ts.TAO


def test_stake_debit_keeps_the_existential_deposit() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _registered(chain)
        rest = chain.balance(ALICE)
        with pytest.raises(ts.errors.BalanceBelowExistentialDeposit):
            chain.submit(tx.AddStake(origin=ALICE, hotkey=HOT, amount=rest - 1))
        with pytest.raises(ts.errors.NotEnoughBalanceToStake):
            chain.submit(tx.AddStake(origin=ALICE, hotkey=HOT, amount=rest + 1))
        chain.submit(tx.AddStake(origin=ALICE, hotkey=HOT, amount=rest))  # all of it is fine
        assert chain.balance(ALICE) == 0


def test_nominators_are_paid_through_the_delegate() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _registered(chain)
        r = chain.submit(tx.BecomeDelegate(origin=ALICE, hotkey=HOT))
        assert r.events == [("DelegateAdded", {"coldkey": ALICE, "hotkey": HOT, "take": 11_796})]
        assert chain.is_delegate(HOT) and chain.delegates() == {HOT: 11_796}
        with pytest.raises(ts.errors.TxRateLimitExceeded):
            chain.submit(tx.AddStake(origin=ALICE, hotkey=HOT, amount=ts.TAO))
        chain.submit(tx.AddStake(origin=BOB, hotkey=HOT, amount=300 * ts.TAO))  # nominator
        chain.step()
        with pytest.raises(ts.errors.AlreadyDelegate):
            chain.submit(tx.BecomeDelegate(origin=ALICE, hotkey=HOT))  # checked before the rate limit
        # root validator HOT weights subnet 1 so emission flows to it; tempo 1 for quick epochs
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="tempo", value=1))
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=0, name="tempo", value=1))
        chain.submit(tx.RootRegister(origin=ALICE, hotkey=HOT))
        chain.step(blocks=101)
        chain.submit(tx.SetWeights(origin=HOT, netuid=0, uids=[1], values=[65535], version_key=0))
        bob_before = chain.stake(HOT, BOB)
        issuance = chain.total_issuance
        chain.step(blocks=12)
        gained = chain.stake(HOT, BOB) - bob_before
        assert gained > 0  # the nominator earns as stake, pro rata after the take
        assert chain.total_issuance > issuance
        chain.check_invariants()
        mg = chain.metagraph(1)
        assert int(mg.emission.sum()) > 0 and int(mg.S[0]) == chain.stake(HOT)


def test_credit_to_a_non_delegate_goes_to_its_owner() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _registered(chain)
        with pytest.raises(ts.errors.NonAssociatedColdKey):
            chain.submit(tx.BecomeDelegate(origin=CAROL, hotkey=HOT))
        with pytest.raises(ts.errors.NotRegistered):
            chain.submit(tx.BecomeDelegate(origin=CAROL, hotkey=ts.account("nobody")))
