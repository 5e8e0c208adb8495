"""Deterministic (seeded) synthetic Finney-like histories, written through the normal `Chain` API.

K subnets of up to `uids` neurons, `validators` of them staked validators setting weights every
~100–360 blocks, root validators setting root weights, burned registrations with churn, transfers
and staking traffic, and an occasional governance motion. Used by the demo, tests and benchmarks.
A generated transaction that the rules reject (e.g. weights before a validator has its permit) is
simply not included — the log only ever holds accepted transactions.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

from . import tx as T
from .accounts import AccountId, account
from .balance import TAO
from .chain import Chain, Genesis
from .errors import TxRejected


@dataclass(frozen=True)
class SynthConfig:
    subnets: int = 32
    uids: int = 256
    validators: int = 64
    blocks: int = 7200
    tx_per_block: int = 4
    users: int = 256
    tempo: int = 360
    seed: int = 0
    snapshot_every: int = 1000
    governance_every: int = 4000


class _Synth:
    def __init__(self, cfg: SynthConfig) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        tag = f"synth/{cfg.seed}"
        self.sudo = account(f"{tag}/sudo")
        self.triumvirate = [account(f"{tag}/triumvir/{i}") for i in range(3)]
        self.owners = [account(f"{tag}/owner/{k}") for k in range(cfg.subnets)]
        self.users = [account(f"{tag}/user/{i}") for i in range(cfg.users)]
        self.validators_per_subnet = min(cfg.validators, max(1, cfg.uids // 4))
        self.hotkey_counter = 0
        # netuid → list of (hotkey, coldkey) of its validators
        self.validators: dict[int, list[tuple[AccountId, AccountId]]] = {}
        self.root_validators: list[tuple[AccountId, AccountId]] = []
        self.next_weights: dict[tuple[int, AccountId], int] = {}
        self.txs = 0
        self.rejected = 0
        self.churn_from = 0

    def genesis(self) -> Genesis:
        balances = {self.sudo: 1_000_000 * TAO}
        for o in self.owners:
            balances[o] = 10_000 * TAO
        for u in self.users:
            balances[u] = 1_000 * TAO
        for t in self.triumvirate:
            balances[t] = 10 * TAO
        params = {
            "network_rate_limit": 0,
            "network_lock_reduction_interval": 1,
            "network_min_lock_cost": 100 * TAO,
            "subnet_limit": max(self.cfg.subnets, 1),
            "tx_rate_limit": 10,
        }
        return Genesis(balances=balances, sudo=self.sudo, triumvirate=self.triumvirate, params=params)

    def new_hotkey(self) -> AccountId:
        self.hotkey_counter += 1
        return account(f"synth/{self.cfg.seed}/hotkey/{self.hotkey_counter}")

    def submit(self, chain: Chain, t: T.Tx) -> bool:
        try:
            chain.submit(t)
        except TxRejected:
            self.rejected += 1
            return False
        self.txs += 1
        return True

    # ---- setup --------------------------------------------------------------------------
    def setup(self, chain: Chain) -> None:
        cfg, sudo = self.cfg, self.sudo
        for k in range(cfg.subnets):  # one network per block: the lock stays at the minimum
            self.submit(chain, T.RegisterNetwork(origin=self.owners[k]))
            chain.step()
        for netuid in range(1, cfg.subnets + 1):
            for name, value in (("max_allowed_uids", max(cfg.uids, 1)),
                                ("max_allowed_validators", max(self.validators_per_subnet, 1)),
                                ("tempo", cfg.tempo), ("immunity_period", 720),
                                ("weights_set_rate_limit", 50), ("max_registrations_per_block", 4),
                                ("target_registrations_per_interval", 2)):
                self.submit(chain, T.SudoSetHyperparameter(origin=sudo, netuid=netuid, name=name, value=value))
            vals = []
            for uid in range(cfg.uids):
                hk = self.new_hotkey()
                is_val = uid < self.validators_per_subnet
                coldkey = self.users[self.rng.randrange(len(self.users))]
                stake = self.rng.randrange(500, 5000) * TAO if is_val else 0
                self.submit(chain, T.SudoRegister(origin=sudo, netuid=netuid, hotkey=hk, coldkey=coldkey,
                                                  stake=stake, balance=0))
                if is_val:
                    vals.append((hk, coldkey))
            self.validators[netuid] = vals
            chain.step()
        # the biggest validator of each subnet joins root (64 seats) and becomes a delegate
        for netuid, vals in self.validators.items():
            if len(self.root_validators) >= 64 or not vals:
                break
            hk, ck = vals[0]
            if self.submit(chain, T.RootRegister(origin=ck, hotkey=hk)):
                self.root_validators.append((hk, ck))
            chain.step()
        chain.step()
        self.churn_from = chain.head + 2 * (cfg.tempo + 1) + cfg.subnets

    # ---- traffic ------------------------------------------------------------------------
    def weights_for(self, netuid: int) -> tuple[list[int], list[int]]:
        n = self.cfg.uids
        k = self.rng.randrange(1, min(n, 64) + 1)
        uids = sorted(self.rng.sample(range(n), k))
        return uids, [self.rng.randrange(1, 65536) for _ in uids]

    def block(self, chain: Chain) -> None:
        b = chain.block + (0 if chain._engine.is_open else 1)
        rng = self.rng
        # subnet validators: weights every ~100–360 blocks
        for netuid, vals in self.validators.items():
            for hk, _ in vals:
                due = self.next_weights.setdefault((netuid, hk), b + rng.randrange(1, 360))
                if b >= due:
                    uids, values = self.weights_for(netuid)
                    self.submit(chain, T.SetWeights(origin=hk, netuid=netuid, uids=uids, values=values,
                                                    version_key=0))
                    self.next_weights[(netuid, hk)] = b + rng.randrange(100, 361)
        # root validators: root weights over the subnets
        netuids = list(range(0, self.cfg.subnets + 1))
        for hk, _ in self.root_validators:
            due = self.next_weights.setdefault((0, hk), b + rng.randrange(100, 400))
            if b >= due:
                values = [rng.randrange(0, 65536) for _ in netuids]
                self.submit(chain, T.SetWeights(origin=hk, netuid=0, uids=netuids, values=values,
                                                version_key=0))
                self.next_weights[(0, hk)] = b + rng.randrange(300, 720)
        # churn: a burned registration now and then, once epochs have given validators their
        # pruning scores (before that every neuron scores 0 and the prune would hit validators)
        if self.cfg.subnets and b > self.churn_from and rng.random() < 0.05:
            netuid = rng.randrange(1, self.cfg.subnets + 1)
            user = self.users[rng.randrange(len(self.users))]
            self.submit(chain, T.BurnedRegister(origin=user, netuid=netuid, hotkey=self.new_hotkey()))
        # plain traffic
        for _ in range(self.cfg.tx_per_block):
            self.traffic(chain)
        if self.cfg.governance_every and b % self.cfg.governance_every == 0:
            self.motion(chain, b)

    def traffic(self, chain: Chain) -> None:
        rng = self.rng
        u = self.users[rng.randrange(len(self.users))]
        r = rng.random()
        if r < 0.6 or not self.root_validators:
            dest = self.users[rng.randrange(len(self.users))]
            self.submit(chain, T.Transfer(origin=u, dest=dest, amount=rng.randrange(1, 50) * TAO // 10))
        elif r < 0.8:
            hk, _ = self.root_validators[rng.randrange(len(self.root_validators))]
            self.submit(chain, T.AddStake(origin=u, hotkey=hk, amount=rng.randrange(1, 20) * TAO))
        else:
            hk, _ = self.root_validators[rng.randrange(len(self.root_validators))]
            have = chain.stake(hk, u)
            if have:
                self.submit(chain, T.RemoveStake(origin=u, hotkey=hk, amount=max(1, have // 2)))

    def motion(self, chain: Chain, b: int) -> None:
        """A triumvirate motion to change a subnet parameter; senators vote aye; closed later."""
        if not self.cfg.subnets or not chain.senate():
            return
        netuid = self.rng.randrange(1, self.cfg.subnets + 1)
        inner = T.SudoSetHyperparameter(origin=AccountId(bytes(32)), netuid=netuid,
                                        name="weights_set_rate_limit", value=self.rng.randrange(20, 100))
        if self.submit(chain, T.Propose(origin=self.triumvirate[0], transaction=inner, duration=3600)):
            props = [p for p in chain.proposals() if p["transaction"] == inner]
            if not props:
                return
            p = props[-1]
            for hk in chain.senate():
                ck = chain.owner(hk)
                if ck is not None:
                    self.submit(chain, T.Vote(origin=ck, hotkey=hk, hash=bytes.fromhex(p["hash"]),
                                              index=p["index"], approve=True))
            self.submit(chain, T.Close(origin=self.triumvirate[0], hash=bytes.fromhex(p["hash"]),
                                       index=p["index"]))


def synthesize(path: str | os.PathLike[str], cfg: SynthConfig, *, progress: bool = False) -> dict[str, Any]:
    """Write a synthetic chain of `cfg.blocks` blocks at `path`; returns counts."""
    s = _Synth(cfg)
    with Chain.create(path, s.genesis(), snapshot_every=cfg.snapshot_every) as chain, chain.batch():
        s.setup(chain)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.blocks, initial=min(chain.head, cfg.blocks), desc="synth", unit="block")
        while chain.head < cfg.blocks:
            s.block(chain)
            chain.step()
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        head = chain.head
    return {"blocks": head, "txs": s.txs, "rejected": s.rejected, "subnets": cfg.subnets, "uids": cfg.uids}
