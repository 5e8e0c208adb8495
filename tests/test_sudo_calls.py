"""SudoSetBalance (docs/ruleset.md §2.2), SudoRegisterNetwork (§9.6) and the stored-state
queries (stakes, prometheus, weight and bond rows, global parameters)."""

from __future__ import annotations

import pytest

import taostate as ts
from taostate import tx
from helpers import ALICE, BOB, SUDO, genesis

S_MAX = 21_000_000 * ts.TAO


def test_sudo_set_balance_moves_issuance_and_is_capped() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        issuance = chain.total_issuance
        r = chain.submit(tx.SudoSetBalance(origin=SUDO, who=BOB, free=3 * ts.TAO))
        assert r.events == [("BalanceSet", {"who": BOB, "free": 3 * ts.TAO})]
        assert chain.balance(BOB) == 3 * ts.TAO
        assert chain.total_issuance == issuance - 997 * ts.TAO
        chain.submit(tx.SudoSetBalance(origin=SUDO, who=ts.account("new"), free=1))  # < ED: allowed
        assert chain.balance(ts.account("new")) == 1
        room = S_MAX - chain.total_issuance
        with pytest.raises(ts.errors.ArithmeticOverflow):
            chain.submit(tx.SudoSetBalance(origin=SUDO, who=BOB, free=3 * ts.TAO + room + 1))
        chain.submit(tx.SudoSetBalance(origin=SUDO, who=BOB, free=3 * ts.TAO + room))
        assert chain.total_issuance == S_MAX
        with pytest.raises(ts.errors.BadOrigin):
            chain.submit(tx.SudoSetBalance(origin=ALICE, who=ALICE, free=0))
        chain.step()
        chain.check_invariants()


def test_sudo_register_network_at_a_chosen_netuid() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        lock = chain.lock_cost()
        r = chain.submit(tx.SudoRegisterNetwork(origin=SUDO, netuid=7))
        assert r.events == [("NetworkAdded", {"netuid": 7, "modality": 0})]
        info = chain.subnet(7)
        assert info["owner"] is None and info["locked"] == 0 and info["tempo"] == 360
        assert chain.subnets() == [0, 7] and chain.lock_cost() == lock
        with pytest.raises(ts.errors.AlreadyRegistered):
            chain.submit(tx.SudoRegisterNetwork(origin=SUDO, netuid=7))
        with pytest.raises(ts.errors.OperationNotPermittedonRootSubnet):
            chain.submit(tx.SudoRegisterNetwork(origin=SUDO, netuid=0))
        with pytest.raises(ts.errors.BadOrigin):
            chain.submit(tx.SudoRegisterNetwork(origin=ALICE, netuid=8))
        chain.step()
        chain.check_invariants()


def test_stored_state_queries() -> None:
    hk, other = ts.account("hk"), ts.account("other-hk")
    with ts.Chain.ephemeral(genesis(tx_rate_limit=0)) as chain:
        chain.submit(tx.SudoRegisterNetwork(origin=SUDO, netuid=1))
        chain.submit(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=hk, coldkey=ALICE, stake=0,
                                     balance=0))
        chain.submit(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=other, coldkey=ALICE,
                                     stake=5, balance=0))
        chain.submit(tx.BecomeDelegate(origin=ALICE, hotkey=hk))
        chain.submit(tx.AddStake(origin=BOB, hotkey=hk, amount=ts.TAO))
        assert chain.stakes(hk) == dict(sorted({ALICE: 0, BOB: ts.TAO}.items()))
        assert list(chain.stakes(hk)) == sorted([ALICE, BOB])
        chain.submit(tx.ServePrometheus(origin=hk, netuid=1, version=3, ip="10.1.2.3", port=9,
                                        ip_type=4))
        p = chain.prometheus(1, hk)
        assert p == {"block": chain.block, "version": 3, "ip": 0x0A010203, "port": 9, "ip_type": 4}
        assert chain.prometheus(1, other) is None
        chain.submit(tx.RootRegister(origin=ALICE, hotkey=hk))
        chain.step(101)  # past the root weights rate limit
        chain.submit(tx.SetWeights(origin=hk, netuid=0, uids=[1, 0], values=[10, 20]))
        assert chain.weight_rows(0) == [[(1, 32768), (0, 65535)]]  # netuids; as submitted
        assert chain.metagraph(0).weights.shape == (1, 1)        # the dense view drops netuid 1
        assert chain.bond_rows(1) == [[], []]
        g = chain.global_params()
        assert g["tx_rate_limit"] == 0 and g["subnet_limit"] == 12 and len(g) == 8
