"""Conservation of issuance after every block of randomized histories mixing every kind of
transaction, and replay of the log equal to the live state."""

from __future__ import annotations

import os
import random

import pytest

import taostate as ts
from taostate import tx

N_USERS = 8


def _chain(path: str) -> tuple[ts.Chain, list[ts.AccountId]]:
    users = [ts.account(f"cons/{i}") for i in range(N_USERS)]
    sudo = ts.account("cons/sudo")
    g = ts.Genesis(balances={**{u: 5_000 * ts.TAO for u in users}, sudo: 10_000 * ts.TAO}, sudo=sudo,
                   triumvirate=users[:2],
                   params={"network_rate_limit": 0, "network_min_lock_cost": 100 * ts.TAO,
                           "network_lock_reduction_interval": 2, "tx_rate_limit": 2, "subnet_limit": 3})
    return ts.Chain.create(path, g, snapshot_every=25), users


def _random_tx(rng: random.Random, chain: ts.Chain, users: list[ts.AccountId], hotkeys: list[ts.AccountId]) -> tx.Tx:
    u = rng.choice(users)
    hk = rng.choice(hotkeys)
    netuids = [n for n in chain.subnets() if n != 0] or [1]
    r = rng.randrange(12)
    if r == 0:
        return tx.Transfer(origin=u, dest=rng.choice(users), amount=rng.choice([0, 499, 500, rng.randrange(10**12)]))
    if r == 1:
        return tx.AddStake(origin=u, hotkey=hk, amount=rng.randrange(10**12))
    if r == 2:
        return tx.RemoveStake(origin=u, hotkey=hk, amount=rng.randrange(1, 10**12))
    if r == 3:
        return tx.BecomeDelegate(origin=u, hotkey=hk)
    if r == 4:
        return tx.RegisterNetwork(origin=u)
    if r == 5:
        return tx.BurnedRegister(origin=u, netuid=rng.choice(netuids), hotkey=hk)
    if r == 6:
        return tx.RootRegister(origin=u, hotkey=hk)
    if r == 7:
        n = rng.choice(netuids)
        k = rng.randrange(1, 4)
        return tx.SetWeights(origin=hk, netuid=n, uids=list(range(k)), values=[rng.randrange(65536) for _ in range(k)],
                             version_key=0)
    if r == 8:
        return tx.SudoRegister(origin=chain.sudo_key, netuid=rng.choice(netuids), hotkey=hk, coldkey=u,
                               stake=rng.randrange(10**11), balance=rng.randrange(10**10))
    if r == 9:
        return tx.SudoSetHyperparameter(origin=chain.sudo_key, netuid=rng.choice(netuids),
                                        name=rng.choice(["tempo", "weights_set_rate_limit", "immunity_period"]),
                                        value=rng.randrange(0, 12))
    if r == 10:
        return tx.DissolveNetwork(origin=u, netuid=rng.choice(netuids))
    return tx.ServeAxon(origin=hk, netuid=rng.choice(netuids), version=1, ip=rng.randrange(1, 2**32 - 1),
                        port=rng.randrange(0, 3), ip_type=4, protocol=0, placeholder1=0, placeholder2=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_issuance_conserved_every_block(tmp_path: object, seed: int) -> None:
    rng = random.Random(seed)
    path = os.path.join(str(tmp_path), "c")
    chain, users = _chain(path)
    hotkeys = [ts.account(f"cons/hot/{i}") for i in range(10)]
    accepted = rejected = 0
    issuance_before = chain.total_issuance
    with chain:
        for _ in range(120):
            chain._engine.open_block()  # run the block step first so roots compare the txs only
            for _ in range(rng.randrange(0, 6)):
                t = _random_tx(rng, chain, users, hotkeys)
                root = chain.state_root()
                try:
                    chain.submit(t)
                    accepted += 1
                except ts.TxRejected:
                    rejected += 1
                    assert chain.state_root() == root, t  # a rejection changes nothing
            chain.step()
            chain.check_invariants()
            assert chain.total_issuance == chain.total_balance + chain.total_stake + chain.total_locked
            assert chain.total_issuance <= 21_000_000 * ts.TAO
        assert accepted > 50 and rejected > 10
        assert chain.total_issuance != issuance_before  # emission, burns or sudo mints happened
        live = chain.state_root()
        assert chain.verify()["state_root"] == live
    with ts.Chain.open(path, readonly=True) as again:
        assert again.state_root() == live
