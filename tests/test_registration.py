"""Registration through the Python API (docs/ruleset.md §8): burn recycling, POW, adjustments, root."""

from __future__ import annotations

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, SUDO, genesis

HOT = ts.account("hot")


def _subnet(chain: ts.Chain) -> None:
    chain.submit(tx.RegisterNetwork(origin=ALICE))
    chain.step()


def test_burned_register_recycles_and_postpones_halving() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _subnet(chain)
        burn = chain.subnet(1)["burn"]
        issuance = chain.total_issuance
        r = chain.submit(tx.BurnedRegister(origin=BOB, netuid=1, hotkey=HOT))
        assert ("NeuronRegistered", {"netuid": 1, "uid": 0, "hotkey": HOT}) in r.events
        assert chain.total_issuance == issuance - burn  # recycled: issuance goes down
        assert chain.balance(BOB) == 1_000 * ts.TAO - burn
        assert chain.owner(HOT) == BOB and chain.uid(1, HOT) == 0
        assert chain.subnet(1)["rao_recycled_for_registration"] == burn
        with pytest.raises(ts.errors.TooManyRegistrationsThisBlock):  # C4 comes before C6
            chain.submit(tx.BurnedRegister(origin=BOB, netuid=1, hotkey=HOT))
        chain.step()
        with pytest.raises(ts.errors.AlreadyRegistered):
            chain.submit(tx.BurnedRegister(origin=BOB, netuid=1, hotkey=HOT))
        with pytest.raises(ts.errors.OperationNotPermittedonRootSubnet):
            chain.submit(tx.BurnedRegister(origin=BOB, netuid=0, hotkey=ts.account("x")))
        with pytest.raises(ts.errors.NetworkDoesNotExist):
            chain.submit(tx.BurnedRegister(origin=BOB, netuid=9, hotkey=ts.account("x")))
        # a lower issuance means a later halving: the threshold is on issuance, not blocks
        assert ts.rules.block_emission(10_500_000 * ts.TAO - burn) == ts.TAO


def test_pow_registration_with_create_pow() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _subnet(chain)
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="network_pow_registration_allowed",
                                              value=True))
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="difficulty", value=1000))
        chain.step()
        block, nonce, work = chain.create_pow(1, HOT)
        assert block == chain.head
        bad = tx.Register(origin=HOT, netuid=1, block_number=block, nonce=nonce + 1, work=work, hotkey=HOT,
                          coldkey=BOB)
        with pytest.raises((ts.errors.InvalidSeal, ts.errors.InvalidDifficulty)):
            chain.submit(bad)
        with pytest.raises(ts.errors.HotkeyOriginMismatch):
            chain.submit(tx.Register(origin=BOB, netuid=1, block_number=block, nonce=nonce, work=work,
                                     hotkey=HOT, coldkey=BOB))
        issuance = chain.total_issuance
        chain.submit(tx.Register(origin=HOT, netuid=1, block_number=block, nonce=nonce, work=work, hotkey=HOT,
                                 coldkey=BOB))
        assert chain.uid(1, HOT) == 0 and chain.owner(HOT) == BOB
        assert chain.total_issuance == issuance  # POW costs nothing
        chain.step(blocks=3)
        b2, n2, w2 = chain.create_pow(1, ts.account("late"))
        chain.step(blocks=3)  # now b − block_number ≥ 3
        with pytest.raises(ts.errors.InvalidWorkBlock):
            chain.submit(tx.Register(origin=ts.account("late"), netuid=1, block_number=b2, nonce=n2, work=w2,
                                     hotkey=ts.account("late"), coldkey=BOB))


@pytest.mark.parametrize("burn_regs,pow_regs,alpha,expected", [
    (2, 0, 58_000, (1500, 10000)),
    (2, 0, (2**64 - 1) // 2, (1250, 10000)),
    (1, 2, 58_000, (1000, 20000)),   # A
    (2, 1, 58_000, (2000, 10000)),   # B
    (0, 0, 58_000, (500, 5000)),     # E with no registrations
    (1, 1, 58_000, (1500, 15000)),   # F
    (0, 1, 58_000, (1000, 5000)),    # D? pow > brn and reg ≤ T: C adjusts burn
])
def test_adjust_registration_terms(burn_regs: int, pow_regs: int, alpha: int, expected: tuple[int, int]) -> None:
    reg = burn_regs + pow_regs
    got = ts.rules.adjust_registration_terms(
        1000, 10000, registrations=reg, pow_registrations=pow_regs, burn_registrations=burn_regs, target=1,
        adjustment_alpha=alpha, min_burn=1, max_burn=10**12, min_difficulty=1, max_difficulty=10**12)
    if (burn_regs, pow_regs) == (0, 1):  # case C: reg ≤ T, pow > brn → burn only: 1000·(1+1)/2
        expected = (1000, 10000)
    assert got == expected


def test_root_register_makes_a_delegate_and_a_senator() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        r = chain.submit(tx.RootRegister(origin=ALICE, hotkey=HOT))
        names = [e[0] for e in r.events]
        assert names == ["SenateMemberAdded", "NeuronRegistered"]
        assert chain.senate() == [HOT]
        assert chain.delegates() == {HOT: 11_796}
        assert chain.uid(0, HOT) == 0
        with pytest.raises(ts.errors.TooManyRegistrationsThisBlock):
            chain.submit(tx.RootRegister(origin=BOB, hotkey=ts.account("other")))
        chain.step()
        with pytest.raises(ts.errors.AlreadyRegistered):
            chain.submit(tx.RootRegister(origin=ALICE, hotkey=HOT))
