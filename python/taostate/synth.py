"""Deterministic (seeded) synthetic Finney-like histories, written through the normal `Chain` API.

K subnets of up to `uids` neurons, `validators` of them staked validators setting weights every
`weights_period` blocks (dense rows over every uid, drifting from one setting to the next, as
Finney validators do, or 1–64 random uids), root validators setting root weights, burned
registrations with pruning, transfers, staking and delegation traffic (miners selling their
emission), subnets dissolved or pruned and registered again, and governance motions.

The random draws are made ahead, a chunk of blocks at a time, with numpy's `Generator` (integer
draws and exact float comparisons only: the same seed gives the same log on every machine); the
hot transactions are encoded straight to their wire bytes (docs/WIRE.md) and submitted through the
engine. A generated transaction that the rules reject (e.g. weights before a validator has its
permit, a registration its user cannot afford) is simply not included — the log only ever holds
accepted transactions; the rejections are counted by error name in the returned statistics.

`PRESETS["finney-year"]` is a year of Finney: 32 subnets × 256 uids (`preset("finney-year",
subnets=64)` for 64), tempo 360 (root 100), 2 628 000 blocks.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from . import _core
from . import tx as T
from .accounts import AccountId, account
from .balance import TAO
from .chain import Chain, Genesis
from .errors import TxRejected

__all__ = ["PRESETS", "SynthConfig", "preset", "synthesize"]

YEAR_BLOCKS = 2_628_000  # 365 days of 12-second blocks


@dataclass(frozen=True)
class SynthConfig:
    subnets: int = 32
    uids: int = 256
    validators: int = 64
    blocks: int = 7200
    tx_per_block: float = 4  # mean plain transactions per block (transfers, staking, delegation)
    users: int = 256
    tempo: int = 360
    seed: int = 0
    snapshot_every: int = 1000
    recent_snapshots: tuple[int, int] = (0, 0)  # (every, window): Chain.create's recent policy
    full_snapshot_every: int = 0  # Chain.create's: the other snapshots are deltas (0: all full)
    governance_every: int = 4000
    dense_weights: bool = False  # every validator weights every uid (Finney), else 1–64 random uids
    weights_period: tuple[int, int] = (100, 360)  # blocks between two settings of one validator
    registrations_per_block: float = 0.05  # mean burned registrations per block (all subnets)
    subnet_churn_every: int = 0  # about every N blocks a subnet is dissolved or pruned (0: never)
    chunk: int = 256  # blocks drawn ahead at a time


PRESETS: dict[str, SynthConfig] = {
    # A year of Finney (finney-2023): 32 subnets × 256 uids, 64 validators each weighting every
    # uid every 2–8 tempos (mean 5: dense rows are ~85 % of the log's bytes, and this is what a
    # 4 GB year allows — bench/README.md), root weights every 300–720 blocks, ~0.09 burned
    # registrations per block (one per subnet and adjustment interval), ~3 plain transactions per
    # block (transfers, delegation, undelegation, miners selling), a subnet dissolved or pruned
    # and re-registered about every 20 days, a motion every 2 days; a snapshot every 7 500
    # blocks — the whole state every 150 000, deltas from it between — and over the last 25 000
    # a whole one every 2 500 (bench/README.md: disk against `at(b)`, "The year, session 10").
    "finney-year": SynthConfig(
        subnets=32, uids=256, validators=64, blocks=YEAR_BLOCKS, tx_per_block=3, users=512,
        tempo=360, seed=0, snapshot_every=7_500, recent_snapshots=(2_500, 25_000),
        full_snapshot_every=150_000,
        governance_every=14_400, dense_weights=True,
        weights_period=(720, 2880), registrations_per_block=0.09, subnet_churn_every=144_000,
        chunk=512,
    ),
}


def preset(name: str, **overrides: Any) -> SynthConfig:
    """The named preset (see `PRESETS`), with fields replaced, e.g. `preset("finney-year", subnets=64)`."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown synth preset {name!r} (known: {', '.join(sorted(PRESETS))})") from None
    return dataclasses.replace(base, **overrides)


_pack = msgpack.Packer(use_bin_type=True, autoreset=True).pack
_HYPER = (("max_allowed_validators", None), ("immunity_period", 720), ("weights_set_rate_limit", 50),
          ("max_registrations_per_block", 4), ("target_registrations_per_interval", 4))
_FAR = np.iinfo(np.int64).max // 4


def _wire_weights(hotkey: bytes, netuid: int, uids: list[int], values: list[int]) -> bytes:
    return bytes(_pack([11, hotkey, netuid, uids, values, 0]))


def _array_header(n: int) -> bytes:
    return bytes([0x90 | n]) if n < 16 else b"\xdc" + n.to_bytes(2, "big")


def _pack_u16_rows(vals: npt.NDArray[np.int64]) -> list[bytes]:
    """Each row of `vals` (u16) as a msgpack array in the shortest form, vectorised: a value
    < 128 is one byte, < 256 is `cc v`, else `cd hi lo`."""
    m, n = vals.shape
    v = vals.astype(np.uint32)
    small, big = v < 128, v >= 256
    out = np.empty((m, n, 3), dtype=np.uint8)
    out[..., 0] = np.where(small, v, np.where(big, 0xCD, 0xCC))
    out[..., 1] = np.where(big, v >> 8, v & 0xFF)
    out[..., 2] = v & 0xFF
    keep = np.empty((m, n, 3), dtype=bool)
    keep[..., 0] = True
    keep[..., 1] = ~small
    keep[..., 2] = big
    buf = out[keep].tobytes()
    ends = np.cumsum(keep.reshape(m, -1).sum(axis=1)).tolist()
    head = _array_header(n)
    starts = [0] + ends[:-1]
    return [head + buf[a:b] for a, b in zip(starts, ends)]


class _Gen:
    """The generator's own picture of the chain (what it registered, who validates where) and its
    random stream; the engine is asked only what the generator cannot know (stake after emission,
    the netuid a registration got, the senate)."""

    def __init__(self, cfg: SynthConfig) -> None:
        if cfg.subnets < 0 or cfg.uids < 1 or cfg.users < 1:
            raise ValueError("synth: subnets ≥ 0, uids ≥ 1 and users ≥ 1 are required")
        lo, hi = cfg.weights_period
        if not 1 <= lo <= hi:
            raise ValueError(f"synth: weights_period {cfg.weights_period} must be 1 ≤ low ≤ high")
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.tag = tag = f"synth/{cfg.seed}"
        self.sudo = account(f"{tag}/sudo")
        self.triumvirate = [account(f"{tag}/triumvir/{i}") for i in range(3)]
        self.S, self.U = cfg.subnets, cfg.uids
        self.V = min(cfg.validators, max(1, cfg.uids // 4))
        self.users = [bytes(account(f"{tag}/user/{i}")) for i in range(cfg.users)]
        self.owners: dict[int, bytes] = {}  # netuid → owner coldkey
        self.owner_count = 0
        self.hotkey_count = 0
        self.alive = np.zeros(self.S, dtype=bool)  # slot k is netuid k + 1
        self.n = np.zeros(self.S, dtype=np.int64)  # SubnetworkN as far as the generator knows
        self.val_hk: list[list[bytes]] = [[] for _ in range(self.S)]
        # burned registrations wait for a subnet's first epochs: before them every pruning score
        # is 0 and the prune would hit a validator
        self.reg_from = np.full(self.S, _FAR, dtype=np.int64)
        self.due = np.full((self.S, self.V), _FAR, dtype=np.int64)
        self.w = np.zeros((self.S, self.V, self.U) if cfg.dense_weights else (0, 0, 0), dtype=np.int64)
        self.root_hk: list[bytes] = []
        self.root_due = np.zeros(0, dtype=np.int64)
        self.miners: list[tuple[int, bytes]] = []  # (user index, hotkey) of recent registrations
        self.uids_wire = [bytes(_pack(list(range(n)))) for n in range(self.U + 1)]
        self.txs = 0
        self.rejected: Counter[str] = Counter()
        self.churn_next = _FAR
        self.pending_network: int | None = None  # block at which a new owner registers a network

    # ---- plumbing -------------------------------------------------------------------------
    def genesis(self) -> Genesis:
        cfg = self.cfg
        balances: dict[AccountId, int] = {self.sudo: 1_000_000 * TAO}
        for u in self.users:
            balances[AccountId(u)] = 2_000 * TAO
        for t in self.triumvirate:
            balances[t] = 10 * TAO
        params = {
            "network_rate_limit": 0,
            "network_lock_reduction_interval": 1,
            "network_min_lock_cost": 100 * TAO,
            "subnet_limit": max(cfg.subnets, 1),
            "tx_rate_limit": 10,
            "network_immunity_period": 7200,
        }
        return Genesis(balances=balances, sudo=self.sudo, triumvirate=self.triumvirate, params=params)

    def new_hotkey(self) -> bytes:
        self.hotkey_count += 1
        return bytes(account(f"{self.tag}/hotkey/{self.hotkey_count}"))

    def new_owner(self) -> bytes:
        self.owner_count += 1
        return bytes(account(f"{self.tag}/owner/{self.owner_count}"))

    def send(self, eng: _core.Engine, data: bytes) -> _core.Events | None:
        try:
            ev = eng.submit(data)
        except TxRejected as e:
            self.rejected[type(e).__name__] += 1
            return None
        self.txs += 1
        return ev

    def submit(self, chain: Chain, t: T.Tx) -> _core.Events | None:
        return self.send(chain._engine, t.to_msgpack())

    # ---- setup --------------------------------------------------------------------------
    def setup(self, chain: Chain) -> None:
        for _ in range(self.S):  # one network per block: the lock stays at the minimum
            owner = self.new_owner()
            self.submit(chain, T.Transfer(origin=self.sudo, dest=owner, amount=1_000 * TAO))
            netuid = self.register_network(chain, owner)
            chain.step()
            if netuid is not None:
                self.populate(chain, netuid)
                chain.step()
        # the biggest validator of each subnet joins root (64 seats) and so becomes a delegate
        self.submit(chain, T.SudoSetHyperparameter(origin=self.sudo, netuid=0,
                                                   name="target_registrations_per_interval", value=64))
        for k in range(self.S):
            if len(self.root_hk) >= 64 or not self.val_hk[k]:
                break
            hk = self.val_hk[k][0]
            ck = chain._engine.owner(hk)
            if ck is not None and self.submit(chain, T.RootRegister(origin=bytes(ck), hotkey=hk)):
                self.root_hk.append(hk)
            chain.step()
        chain.step()
        b = chain.head
        self.root_due = b + self.rng.integers(1, 400, size=len(self.root_hk))
        if self.cfg.subnet_churn_every:
            self.churn_next = b + self.cfg.subnet_churn_every

    def register_network(self, chain: Chain, owner: bytes) -> int | None:
        ev = self.submit(chain, T.RegisterNetwork(origin=owner))
        if ev is None:
            return None
        netuid = None
        for name, fields in ev.to_list():
            if name == "NetworkRemoved":
                self.forget(int(fields[0][2]))
            if name == "NetworkAdded":
                netuid = int(fields[0][2])
        if netuid is not None:
            self.owners[netuid] = owner
        return netuid

    def forget(self, netuid: int) -> None:
        k = netuid - 1
        if 0 <= k < self.S:
            self.alive[k] = False
            self.n[k] = 0
            self.due[k] = _FAR
            self.reg_from[k] = _FAR
            self.val_hk[k] = []
        self.owners.pop(netuid, None)

    def populate(self, chain: Chain, netuid: int) -> None:
        """Parameters, then `validators` staked validators and miners filling every uid (sudo)."""
        cfg, k = self.cfg, netuid - 1
        sudo = self.sudo
        for name, value in (("max_allowed_uids", max(cfg.uids, 1)), ("tempo", cfg.tempo)) + _HYPER:
            v = max(self.V, 1) if value is None else value
            self.submit(chain, T.SudoSetHyperparameter(origin=sudo, netuid=netuid, name=name, value=v))
        vals = []
        rng = self.rng
        coldkeys = rng.integers(0, len(self.users), size=self.U)
        stakes = rng.integers(500, 5000, size=self.V)
        n = 0
        for uid in range(self.U):
            hk = self.new_hotkey()
            stake = int(stakes[uid]) * TAO if uid < self.V else 0
            t = T.SudoRegister(origin=sudo, netuid=netuid, hotkey=hk, coldkey=self.users[coldkeys[uid]],
                               stake=stake, balance=0)
            if self.submit(chain, t) is not None:
                n += 1
                if uid < self.V:
                    vals.append(hk)
        self.alive[k] = True
        self.n[k] = n
        self.reg_from[k] = chain.block + 2 * (cfg.tempo + 1)
        self.val_hk[k] = vals
        # first weights soon after the subnet's first epoch (validator permits), well inside the
        # immunity period (a validator without weights has no dividends and would be pruned)
        b = chain.block
        first = b + int(_core.blocks_until_next_epoch(netuid, cfg.tempo, b)) + 1
        self.due[k, :len(vals)] = first + rng.integers(0, 100, size=len(vals))
        self.due[k, len(vals):] = _FAR
        if cfg.dense_weights:  # a skewed base row: uniform values scaled down by 2^0..2^11
            self.w[k] = rng.integers(1, 1 << 16, size=(self.V, self.U)) >> rng.integers(0, 12, size=(self.V, self.U))

    # ---- traffic ------------------------------------------------------------------------
    def weights_head(self, k: int, v: int) -> bytes:
        """`[11, hotkey, netuid, ` of a validator's SetWeights (docs/WIRE.md kind 11)."""
        return b"\x96\x0b" + bytes(_pack(self.val_hk[k][v])) + bytes(_pack(k + 1))

    def plan(self, b0: int, b1: int) -> list[list[Any]]:
        """The transactions of blocks b0..b1-1 (wire bytes, or a tuple resolved when submitted)."""
        cfg, rng = self.cfg, self.rng
        per: list[list[Any]] = [[] for _ in range(b1 - b0)]
        lo, hi = cfg.weights_period
        # subnet validators' weights
        while True:
            ks, vs = np.nonzero(self.due < b1)
            if not ks.size:
                break
            blocks = (np.maximum(self.due[ks, vs], b0) - b0).tolist()
            rows = self.weight_rows(ks, vs)
            for i, (k, v) in enumerate(zip(ks.tolist(), vs.tolist())):
                # [11, hotkey, netuid, uids, values, 0]: the rows come packed (uids ‖ values)
                head = self.weights_head(k, v)
                uids = b"" if not self.cfg.dense_weights else self.uids_wire[int(self.n[k])]
                per[blocks[i]].append(head + uids + rows[i] + b"\x00")
            self.due[ks, vs] += rng.integers(lo, hi + 1, size=ks.size)
        # root validators: root weights over the existing subnets
        if self.root_hk:
            netuids = [0] + [k + 1 for k in range(self.S) if self.alive[k]]
            while True:
                (idx,) = np.nonzero(self.root_due < b1)
                if not idx.size:
                    break
                values = rng.integers(0, 1 << 16, size=(idx.size, len(netuids))).tolist()
                for i, r in enumerate(idx.tolist()):
                    blk = max(int(self.root_due[r]), b0) - b0
                    per[blk].append(_wire_weights(self.root_hk[r], 0, netuids, values[i]))
                self.root_due[idx] += rng.integers(300, 721, size=idx.size)
        # burned registrations: up to 4 a block, each with probability rate / 4
        alive = np.nonzero(self.alive & (self.reg_from <= b0))[0]
        if alive.size and cfg.registrations_per_block > 0:
            regs = (rng.random((b1 - b0, 4)) < cfg.registrations_per_block / 4).sum(axis=1)
            total = int(regs.sum())
            subnets = alive[rng.integers(0, alive.size, size=total)]
            users = rng.integers(0, len(self.users), size=total)
            i = 0
            for blk in np.nonzero(regs)[0].tolist():
                for _ in range(int(regs[blk])):
                    per[blk].append(("reg", int(users[i]), int(subnets[i]) + 1))
                    i += 1
        # plain traffic: ~tx_per_block a block (0 .. 2·mean, uniform)
        if cfg.tx_per_block > 0:
            top = max(int(2 * cfg.tx_per_block), 1)
            counts = rng.integers(0, top + 1, size=b1 - b0)
            total = int(counts.sum())
            kind = rng.random(total)
            src = rng.integers(0, len(self.users), size=total)
            dst = rng.integers(0, len(self.users), size=total)
            amount = rng.integers(1, 50, size=total) * (TAO // 10)
            pick = rng.integers(0, 1 << 30, size=total)
            keys, roots = self.users, self.root_hk
            i = 0
            for blk in range(b1 - b0):
                for _ in range(int(counts[blk])):
                    r = kind[i]
                    if r < 0.6 or not roots:
                        per[blk].append(bytes(_pack([1, keys[src[i]], keys[dst[i]], int(amount[i])])))
                    elif r < 0.8:  # delegation to a root validator
                        hk = roots[int(pick[i]) % len(roots)]
                        per[blk].append(bytes(_pack([2, keys[src[i]], hk, int(amount[i])])))
                    elif r < 0.9:  # undelegation
                        per[blk].append(("unstake", keys[src[i]], roots[int(pick[i]) % len(roots)]))
                    else:  # a miner sells half its stake (its coldkey's own hotkey)
                        per[blk].append(("sell", int(pick[i])))
                    i += 1
        return per

    def weight_rows(self, ks: npt.NDArray[np.int64], vs: npt.NDArray[np.int64]) -> list[bytes]:
        """The msgpack `values` array of each setting (u16 values over the subnet's uids)."""
        cfg, rng = self.cfg, self.rng
        out: list[bytes] = [b""] * ks.size
        if cfg.dense_weights:
            # drift: every weight × (58 000 .. 73 000) / 65 536, then max-scaled to 65 535
            w = self.w[ks, vs]
            w = (w * rng.integers(58_000, 73_000, size=w.shape)) >> 16
            np.clip(w, 1, 1 << 24, out=w)
            self.w[ks, vs] = w
            vals = np.maximum((w * 65_535) // w.max(axis=1, keepdims=True), 1)
            ns = self.n[ks]
            for n in np.unique(ns).tolist():  # rows over the uids 0..n-1 of their subnet
                (rows,) = np.nonzero(ns == n)
                for i, packed in zip(rows.tolist(), _pack_u16_rows(vals[rows, :n])):
                    out[i] = packed
            return out
        for i in range(ks.size):
            n = int(self.n[ks[i]])
            kk = int(rng.integers(1, min(n, 64) + 1)) if n else 0
            uids = np.sort(rng.choice(n, size=kk, replace=False)).tolist() if n else []
            out[i] = bytes(_pack(uids)) + bytes(_pack(rng.integers(1, 65536, size=kk).tolist()))
        return out

    def resolve(self, eng: _core.Engine, item: tuple[Any, ...]) -> bytes | None:
        what = item[0]
        if what == "reg":
            _, u, netuid = item
            hk = self.new_hotkey()
            self.pending_miner = (u, hk)
            return bytes(_pack([7, self.users[u], netuid, hk]))
        if what == "unstake":
            _, ck, hk = item
            have = int(eng.stake(hk, ck))
            return bytes(_pack([3, ck, hk, max(1, have // 2)])) if have else None
        if what == "sell" and self.miners:
            u, hk = self.miners[item[1] % len(self.miners)]
            have = int(eng.stake(hk, self.users[u]))
            return bytes(_pack([3, self.users[u], hk, have // 2])) if have > 1 else None
        return None

    def run_block(self, chain: Chain, items: list[Any]) -> None:
        eng = chain._engine
        for item in items:
            if type(item) is bytes:
                self.send(eng, item)
                continue
            data = self.resolve(eng, item)
            if data is None:
                continue
            if self.send(eng, data) is not None and item[0] == "reg":
                self.miners.append(self.pending_miner)
                if len(self.miners) > 4096:
                    del self.miners[:1024]
                k = item[2] - 1
                self.n[k] = min(self.n[k] + 1, self.U)
        b = eng.block
        if b >= self.churn_next:
            self.churn(chain, b)
        if self.pending_network is not None and b >= self.pending_network:
            self.pending_network = None
            owner = self.new_owner()
            self.submit(chain, T.Transfer(origin=self.sudo, dest=owner, amount=1_000 * TAO))
            netuid = self.register_network(chain, owner)
            if netuid is not None:
                self.populate(chain, netuid)
        if self.cfg.governance_every and b % self.cfg.governance_every == 0:
            self.motion(chain)

    def churn(self, chain: Chain, b: int) -> None:
        """Every other time an owner dissolves its subnet (a new owner takes the netuid a few
        blocks later); otherwise a new owner registers while every slot is taken, pruning the
        subnet with the lowest emission."""
        self.churn_next = b + self.cfg.subnet_churn_every
        alive = np.nonzero(self.alive)[0]
        if not alive.size:
            return
        if self.rng.random() < 0.5:
            netuid = int(alive[self.rng.integers(0, alive.size)]) + 1
            owner = self.owners.get(netuid)
            if owner is not None and self.submit(chain, T.DissolveNetwork(origin=owner, netuid=netuid)):
                self.forget(netuid)
            self.pending_network = b + 10
        else:
            self.pending_network = b

    def motion(self, chain: Chain) -> None:
        """A triumvirate motion to change a subnet parameter; senators vote aye; closed at once."""
        alive = np.nonzero(self.alive)[0]
        if not alive.size or not chain.senate():
            return
        netuid = int(alive[self.rng.integers(0, alive.size)]) + 1
        inner = T.SudoSetHyperparameter(origin=AccountId(bytes(32)), netuid=netuid,
                                        name="weights_set_rate_limit", value=int(self.rng.integers(20, 100)))
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
    """Write a synthetic chain of `cfg.blocks` blocks at `path`; returns counts (and rejections
    by error name)."""
    t0 = time.perf_counter()
    g = _Gen(cfg)
    # the recent snapshots are switched on for the last window only (they would all be thinned)
    every, window = cfg.recent_snapshots
    recent_from = cfg.blocks - window if every else _FAR
    with Chain.create(path, g.genesis(), snapshot_every=cfg.snapshot_every,
                      full_snapshot_every=cfg.full_snapshot_every or None) as chain, chain.batch():
        g.setup(chain)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.blocks, initial=min(chain.head, cfg.blocks), desc="synth",
                       unit="block", unit_scale=True, smoothing=0.05)
        while chain.head < cfg.blocks:
            b0 = chain.head + 1
            if b0 >= recent_from:
                # over the recent window every snapshot is whole (deltas, if any, cost a second
                # restore: bench/README.md "The year, session 10")
                whole = cfg.snapshot_every if cfg.full_snapshot_every else None
                chain.set_snapshot_policy(recent_snapshots=cfg.recent_snapshots, full_snapshot_every=whole)
                recent_from = _FAR
            b1 = min(b0 + max(cfg.chunk, 1), cfg.blocks + 1)
            for items in g.plan(b0, b1):
                g.run_block(chain, items)
                chain.step()
            if bar is not None:
                bar.update(b1 - b0)
                bar.set_postfix(tx=g.txs, refused=sum(g.rejected.values()), refresh=False)
        if bar is not None:
            bar.close()
        head = chain.head
    return {"blocks": head, "txs": g.txs, "rejected": sum(g.rejected.values()),
            "rejected_by_error": dict(sorted(g.rejected.items())), "subnets": cfg.subnets,
            "uids": cfg.uids, "seconds": round(time.perf_counter() - t0, 3)}
