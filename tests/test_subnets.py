"""Subnets through the Python API (docs/ruleset.md §9): lock cost, register/dissolve, refunds."""

from __future__ import annotations

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, SUDO, genesis


def test_lock_cost_sequence_15_9() -> None:
    L = 100 * ts.TAO

    def cost(last: int, last_block: int, b: int, first: bool = False) -> int:
        return ts.rules.lock_cost(last, last_block, b, min_lock=L, reduction_interval=2,
                                  first_registration=first)

    assert cost(L, 0, 0, True) == L
    assert cost(L, 0, 1, True) == L
    assert cost(L, 1, 1) == 200 * ts.TAO  # after the registration at block 1 (L stays 100e9)
    assert cost(L, 1, 2) == 150 * ts.TAO
    assert cost(L, 1, 3) == 100 * ts.TAO
    # block 4: reg pays 100e9; block 5 pays 150e9; block 6 pays 225e9; block 7 pays 337.5e9, 675e9, 1350e9
    assert cost(L, 4, 5) == 150 * ts.TAO
    assert cost(150 * ts.TAO, 5, 6) == 225 * ts.TAO
    assert cost(225 * ts.TAO, 6, 7) == 337_500_000_000
    assert cost(337_500_000_000, 7, 7) == 675 * ts.TAO
    assert cost(1350 * ts.TAO, 7, 7) == 2700 * ts.TAO
    assert [cost(1350 * ts.TAO, 7, b) for b in (8, 9, 10, 11)] == [
        2025 * ts.TAO, 1350 * ts.TAO, 675 * ts.TAO, 100 * ts.TAO]
    with pytest.raises(ValueError):
        ts.rules.lock_cost(L, 0, 0, min_lock=L, reduction_interval=0, first_registration=True)


def test_register_and_dissolve_network_refunds_the_lock() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        cost = chain.lock_cost()
        assert cost == 1_000 * ts.TAO
        r = chain.submit(tx.RegisterNetwork(origin=ALICE))
        assert ("NetworkAdded", {"netuid": 1, "modality": 0}) in r.events
        assert chain.subnets() == [0, 1]
        info = chain.subnet(1)
        assert info["owner"] == ALICE and info["locked"] == cost and info["tempo"] == 360
        assert info["max_allowed_uids"] == 256 and info["min_burn"] == 1
        assert chain.balance(ALICE) == 9_000 * ts.TAO
        assert chain.total_locked == cost
        assert chain.total_issuance == chain.total_balance + chain.total_stake + chain.total_locked
        chain.step()
        assert chain.lock_cost() == 2_000 * ts.TAO - (1_000 * ts.TAO // 100_800)  # doubled, decaying
        with pytest.raises(ts.errors.NotSubnetOwner):
            chain.submit(tx.DissolveNetwork(origin=BOB, netuid=1))
        with pytest.raises(ts.errors.NetworkDoesNotExist):
            chain.submit(tx.DissolveNetwork(origin=ALICE, netuid=2))
        with pytest.raises(ts.errors.NotSubnetOwner):  # root has no owner
            chain.submit(tx.DissolveNetwork(origin=SUDO, netuid=0))
        r = chain.submit(tx.DissolveNetwork(origin=ALICE, netuid=1))
        assert r.events == [("LockRefunded", {"netuid": 1, "owner": ALICE, "amount": cost}),
                            ("NetworkRemoved", {"netuid": 1})]
        assert chain.balance(ALICE) == 10_000 * ts.TAO and chain.total_locked == 0
        assert chain.subnets() == [0]


def test_network_rate_limit_counts_from_block_0() -> None:
    with ts.Chain.ephemeral(genesis()) as chain:  # default NetworkRateLimit 7200
        with pytest.raises(ts.errors.TxRateLimitExceeded):
            chain.submit(tx.RegisterNetwork(origin=ALICE))
        chain.step(blocks=7199)
        chain.submit(tx.RegisterNetwork(origin=ALICE))  # block 7200
        assert chain.subnets() == [0, 1]


def test_the_hyperparameter_table_matches_the_ruleset() -> None:
    import model as m

    rows = ts.rules.hyperparameters()
    subnet = {r["name"]: r for r in rows if r["scope"] == "subnet"}
    glob = {r["name"]: r for r in rows if r["scope"] == "global"}
    who = {"S": "Sudo", "O": "OwnerOrSudo"}
    for name, (kind, default, setter) in m.SUBNET_PARAMS.items():
        r = subnet[name]
        assert (r["type"], r["default"], r["setter"]) == (kind, default, who[setter]), name
        assert type(r["default"]) is type(default), name
        assert r["needs_subnet"] == (name not in m.NO_EXISTENCE_CHECK), name
    assert set(subnet) == set(m.SUBNET_PARAMS) | set(m.SUBNET_STATE_DEFAULTS)
    assert (subnet["burn"]["setter"], subnet["burn"]["default"]) == (None, 1_000_000_000)
    assert (subnet["bonds_moving_average"]["min"], subnet["bonds_moving_average"]["max"]) == (0, 1_000_000)
    assert subnet["max_allowed_uids"]["check"] == "above_neuron_count"
    assert {n: (r["type"], r["default"]) for n, r in glob.items()} == m.GLOBAL_PARAMS
    assert all(r["setter"] == "Sudo" for r in glob.values())
    assert glob["network_lock_reduction_interval"]["min"] == 1
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        chain.submit(tx.RegisterNetwork(origin=ALICE))
        info = chain.subnet(1)
        for name in subnet:  # every row, with the stored value's type
            expected = m.USER_PARAMS.get(name, subnet[name]["default"])
            assert info[name] == expected and type(info[name]) is type(expected), name
