"""Differential fuzzing of state transitions: the real engine against the Python model.

A hypothesis ``RuleBasedStateMachine`` drives a real ``ts.Chain.ephemeral`` (Rust core, real LMDB
log) and the model of ``tests/model/`` (written from docs/ruleset.md) with the same random
transactions — valid ones and invalid ones: random origins, amounts around ED / balance / stake /
burn / the supply cap, unknown hotkeys, netuids that do not exist, misfit hyperparameter values —
and block steps spanning epochs (tempos are made small through Sudo). After every rule it checks
that both made the same accept/reject decision with the same error code, that a rejection changed
nothing, and that balances, stakes, owners, delegates, uids, subnet parameters, emission values,
pending emission and every metagraph vector agree, plus conservation of issuance. Every few steps,
and at teardown, the log is replayed (``chain.verify()`` from genesis, ``chain.at(head)`` and a
second read-only ``ts.Chain.open(path)`` from the latest snapshot) and must equal the live state
root.

The engine/model plumbing and the state comparison are in ``chain_vs_model.py``; deterministic
histories for paths random search reaches rarely are in ``test_fuzz_scenarios.py``.

Profiles (tests/conftest.py): ``ci`` by default; ``HYPOTHESIS_PROFILE=deep`` for long campaigns.
``TAOSTATE_FUZZ_STATS=<file>`` makes every finished example add its counts to that JSON file.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import model as m
import taostate as ts
from chain_vs_model import (COLDKEYS, EVERYONE, GLOBAL_NAMES, HOTKEYS, ODD_NAMES, STRANGER,
                            SUBNET_NAMES, SUDO, TAO, Pair, compare, raw)
from taostate import testing as tst
from taostate import tx

STATS: Counter[str] = Counter()


class ChainVsModel(Pair, RuleBasedStateMachine):
    """Random valid and invalid transactions and block steps, to the engine and the model."""

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list[ts.AccountId] = []
        self.ok = True  # the last rule / invariant completed (teardown checks only then)

    # ---- drawing ---------------------------------------------------------------------------
    def hotkeys_known(self) -> list[ts.AccountId]:
        return sorted({ts.AccountId(h) for h in self.md.owner})

    def pick_account(self, data: st.DataObject) -> ts.AccountId:
        r = data.draw(st.integers(0, 19))
        if r == 10:  # rare: a key nobody has seen (hypothesis favours the ends of a range)
            a = ts.AccountId(data.draw(st.binary(min_size=32, max_size=32)))
            self.fresh.append(a)
            return a
        return data.draw(st.sampled_from(EVERYONE))

    def pick_coldkey(self, data: st.DataObject) -> ts.AccountId:
        if data.draw(st.integers(0, 3)) == 0:
            return self.pick_account(data)
        return data.draw(st.sampled_from([*COLDKEYS, SUDO]))

    def pick_hotkey(self, data: st.DataObject) -> ts.AccountId:
        known = self.hotkeys_known()
        if known and data.draw(st.integers(0, 9)) < 7:
            return data.draw(st.sampled_from(known))
        if data.draw(st.booleans()):
            return data.draw(st.sampled_from(HOTKEYS))
        return self.pick_account(data)

    def pick_netuid(self, data: st.DataObject, *, root: bool = True) -> int:
        existing = [u for u in self.md.subnets() if root or u != 0]
        if existing and data.draw(st.integers(0, 9)) < 8:
            return data.draw(st.sampled_from(existing))
        return data.draw(st.sampled_from([0, 1, 2, 3, 4, 5, 0xFFFF]))

    def pick_sudo_origin(self, data: st.DataObject, netuid: int | None = None) -> ts.AccountId:
        r = data.draw(st.integers(0, 9))
        if r < 7:
            return ts.AccountId(self.md.sudo_key)
        owner = self.md.subnet_owner.get(netuid) if netuid is not None else None
        if r < 9 and owner is not None:
            return ts.AccountId(owner)
        return self.pick_account(data)

    def amount(self, data: st.DataObject, *around: int) -> int:
        return data.draw(tst.amounts(around=[a for a in around if a >= 0]))

    # ---- setup -----------------------------------------------------------------------------
    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self.ok = False
        choice = st.sampled_from
        balances: dict[ts.AccountId, int] = {
            COLDKEYS[0]: data.draw(choice([100_000 * TAO, 10_000 * TAO])),
            COLDKEYS[1]: data.draw(choice([5_000 * TAO, 1_000 * TAO, 2 * TAO])),
            COLDKEYS[2]: data.draw(choice([10 * TAO, 501, 500, 0])),
            COLDKEYS[3]: data.draw(choice([499, 1_001, 3 * TAO])),
            SUDO: data.draw(choice([1_000_000 * TAO, 10_500_000 * TAO - 50 * TAO,
                                    m.S_MAX - 200_000 * TAO])),
            HOTKEYS[5]: data.draw(choice([0, 700])),
        }
        params = {
            "network_rate_limit": data.draw(choice([0, 1, 5])),
            "network_min_lock_cost": data.draw(choice([100 * TAO, TAO, 500, 0])),
            "network_lock_reduction_interval": data.draw(choice([1, 2, 10])),
            "tx_rate_limit": data.draw(choice([0, 1, 3])),
            "subnet_limit": data.draw(choice([2, 1, 3])),
            "network_immunity_period": data.draw(choice([3, 0, 20])),
            "default_take": data.draw(choice([11_796, 0, 65_535])),
            "subnet_owner_cut": data.draw(choice([11_796, 0, 65_535])),
        }
        self.open(balances, params, snapshot_every=data.draw(choice([5, 3, 50])))
        if data.draw(st.booleans()):
            self.bootstrap(data)
        self.ok = True

    def bootstrap(self, data: st.DataObject) -> None:
        """A quick route to interesting states: subnets with small tempos, staked neurons, staked
        root validators with root weights (so emission flows), subnet weights after the first
        epoch (so consensus, bonds and dividends form). Every transaction still goes through both
        sides and is compared; every choice is drawn, so hypothesis varies and shrinks it."""
        choice = st.sampled_from
        sudo = SUDO
        if self.run(tx.RegisterNetwork(origin=COLDKEYS[0])) == "TxRateLimitExceeded":
            self.step_both(self.md.globals["network_rate_limit"])
            self.run(tx.RegisterNetwork(origin=COLDKEYS[0]))
        if data.draw(st.booleans()):
            self.run(tx.RegisterNetwork(origin=COLDKEYS[1]))
        settings_: list[tuple[int, str, int | bool]] = []
        for netuid in (1, 2):
            settings_ += [
                (netuid, "tempo", data.draw(choice([1, 2, 3, 5]))),
                (netuid, "weights_set_rate_limit", 0),
                (netuid, "max_registrations_per_block", data.draw(choice([8, 1]))),
                (netuid, "target_registrations_per_interval", data.draw(choice([4, 1]))),
                (netuid, "immunity_period", data.draw(choice([2, 0, 10]))),
                (netuid, "max_allowed_uids", data.draw(choice([4, 2, 3, 256]))),
                (netuid, "max_allowed_validators", data.draw(choice([64, 1, 2]))),
                (netuid, "activity_cutoff", data.draw(choice([5000, 4]))),
                (netuid, "adjustment_interval", data.draw(choice([360, 3, 1]))),
            ]
            if data.draw(st.booleans()):  # cheap proof of work on this subnet
                settings_ += [
                    (netuid, "network_pow_registration_allowed", True),
                    (netuid, "min_difficulty", 1),
                    (netuid, "max_difficulty", data.draw(choice([20_000, 2_000]))),
                    (netuid, "difficulty", data.draw(choice([1_000, 1, 10_000]))),
                ]
        settings_ += [
            (0, "tempo", data.draw(choice([2, 1, 3, 5]))),
            (0, "max_registrations_per_block", 8),
            (0, "target_registrations_per_interval", 4),
            (0, "weights_set_rate_limit", 0),
            (0, "max_allowed_uids", data.draw(choice([3, 2, 64]))),
        ]
        for netuid, name, value in settings_:
            if netuid in self.md.added:
                self.run(tx.SudoSetHyperparameter(origin=sudo, netuid=netuid, name=name,
                                                  value=value))
        subnets = [u for u in self.md.subnets() if u != 0]
        for i in range(data.draw(st.integers(0, 4)) if subnets else 0):
            self.run(tx.SudoRegister(origin=sudo, netuid=data.draw(choice(subnets)),
                                     hotkey=HOTKEYS[i], coldkey=COLDKEYS[i % 2],
                                     stake=data.draw(choice([100 * TAO, 7 * TAO, 1, 0])),
                                     balance=0))
        for i in range(data.draw(st.integers(0, 3))):
            self.run(tx.RootRegister(origin=COLDKEYS[i % 2], hotkey=HOTKEYS[i]))
        self.step_both(1)
        for h in list(self.md.neurons[0].keys):
            if data.draw(st.integers(0, 3)) < 3:
                targets = data.draw(st.lists(choice(self.md.subnets()), min_size=1, max_size=3,
                                             unique=True))
                values = data.draw(st.lists(st.integers(0, 0xFFFF), min_size=len(targets),
                                            max_size=len(targets)))
                self.run(tx.SetWeights(origin=ts.AccountId(h), netuid=0, uids=targets,
                                       values=values, version_key=0))
        self.step_both(max(self.md.p(u, "tempo") for u in self.md.subnets()) + 1)
        for u in subnets:
            nr = self.md.neurons.get(u)
            if nr is None:
                continue
            for i, h in enumerate(list(nr.keys)):
                others = [j for j in range(nr.n) if j != i]
                if others and data.draw(st.integers(0, 3)) < 3:
                    uids = data.draw(st.lists(choice(others), min_size=1, unique=True))
                    values = data.draw(st.lists(st.integers(1, 0xFFFF), min_size=len(uids),
                                                max_size=len(uids)))
                    self.run(tx.SetWeights(origin=ts.AccountId(h), netuid=u, uids=uids,
                                           values=values, version_key=0))
        self.step_both(1)

    # ---- rules: balances and staking -------------------------------------------------------
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.ok = False
        src = self.pick_coldkey(data)
        dest = self.pick_account(data)
        amount = self.amount(data, self.md.balance(raw(src)), m.ED - self.md.balance(raw(dest)))
        self.run(tx.Transfer(origin=src, dest=dest, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def add_stake(self, data: st.DataObject) -> None:
        self.ok = False
        c = self.pick_coldkey(data)
        h = self.pick_hotkey(data)
        amount = self.amount(data, self.md.balance(raw(c)))
        self.run(tx.AddStake(origin=c, hotkey=h, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def remove_stake(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        owner = self.md.owner.get(raw(h))
        stakers = sorted(self.md.stake.get(raw(h), {}))
        if stakers and data.draw(st.integers(0, 3)) < 3:
            c = ts.AccountId(data.draw(st.sampled_from(stakers)))
        elif owner is not None and data.draw(st.booleans()):
            c = ts.AccountId(owner)
        else:
            c = self.pick_coldkey(data)
        amount = self.amount(data, self.md.stake.get(raw(h), {}).get(raw(c), 0))
        self.run(tx.RemoveStake(origin=c, hotkey=h, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def become_delegate(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        owner = self.md.owner.get(raw(h))
        c = ts.AccountId(owner) if owner is not None and data.draw(st.booleans()) \
            else self.pick_coldkey(data)
        self.run(tx.BecomeDelegate(origin=c, hotkey=h))
        self.ok = True

    # ---- rules: subnets and registration ---------------------------------------------------
    @rule(data=st.data())
    def register_network(self, data: st.DataObject) -> None:
        self.ok = False
        self.run(tx.RegisterNetwork(origin=self.pick_coldkey(data)))
        self.ok = True

    @rule(data=st.data())
    def dissolve_network(self, data: st.DataObject) -> None:
        self.ok = False
        netuid = self.pick_netuid(data)
        owner = self.md.subnet_owner.get(netuid)
        origin = ts.AccountId(owner) if owner is not None and data.draw(st.booleans()) \
            else self.pick_coldkey(data)
        self.run(tx.DissolveNetwork(origin=origin, netuid=netuid))
        self.ok = True

    @rule(data=st.data())
    def burned_register(self, data: st.DataObject) -> None:
        self.ok = False
        netuid = self.pick_netuid(data)
        h = self.pick_hotkey(data) if data.draw(st.booleans()) \
            else data.draw(st.sampled_from(HOTKEYS))
        self.run(tx.BurnedRegister(origin=self.pick_coldkey(data), netuid=netuid, hotkey=h))
        self.ok = True

    @rule(data=st.data())
    def sudo_register(self, data: st.DataObject) -> None:
        self.ok = False
        netuid = self.pick_netuid(data)
        room = m.S_MAX - self.md.total_issuance
        stake = self.amount(data, room, room // 2)
        balance = self.amount(data, room - stake, 0)
        h = data.draw(st.sampled_from(HOTKEYS)) if data.draw(st.booleans()) \
            else self.pick_hotkey(data)
        self.run(tx.SudoRegister(origin=self.pick_sudo_origin(data), netuid=netuid, hotkey=h,
                                 coldkey=self.pick_coldkey(data), stake=stake, balance=balance))
        self.ok = True

    @rule(data=st.data())
    def pow_register(self, data: st.DataObject) -> None:
        """POW ``register``: a real solution from ``chain.create_pow`` when the difficulty is
        small, then (sometimes) spoiled: wrong origin, stale or future block, other nonce, short
        or random work."""
        self.ok = False
        netuid = self.pick_netuid(data)
        h = self.pick_hotkey(data) if data.draw(st.booleans()) \
            else data.draw(st.sampled_from(HOTKEYS))
        coldkey = self.pick_coldkey(data)
        b = self.md.head + 1  # the block the transaction lands in
        if netuid in self.md.added and self.md.p(netuid, "difficulty") <= 20_000:
            bn, nonce, work = self.c.create_pow(netuid, h)
            assert bn == self.md.head
        else:
            bn, nonce, work = b - 1, 0, bytes(32)
        spoil = data.draw(st.sampled_from(["none", "none", "none", "origin", "stale", "future",
                                           "nonce", "short", "random"]))
        origin = h
        if spoil == "origin":
            origin = coldkey
        elif spoil == "stale":
            bn = max(0, b - data.draw(st.sampled_from([3, 2, 4])))
        elif spoil == "future":
            bn = b + data.draw(st.sampled_from([0, 1]))
        elif spoil == "nonce":
            nonce += 1
        elif spoil == "short":
            work = work[: data.draw(st.integers(0, 31))]
        elif spoil == "random":
            work = data.draw(st.binary(min_size=32, max_size=32))
        self.run(tx.Register(origin=origin, netuid=netuid, block_number=bn, nonce=nonce,
                             work=work, hotkey=h, coldkey=coldkey))
        self.ok = True

    @rule(data=st.data())
    def root_register(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        self.run(tx.RootRegister(origin=self.pick_coldkey(data), hotkey=h))
        self.ok = True

    # ---- rules: weights and serving --------------------------------------------------------
    @rule(data=st.data())
    def set_weights(self, data: st.DataObject) -> None:
        self.ok = False
        netuid = self.pick_netuid(data, root=data.draw(st.integers(0, 3)) == 0)
        nr = self.md.neurons.get(netuid)
        if nr is not None and nr.keys and data.draw(st.integers(0, 9)) < 8:
            origin = ts.AccountId(data.draw(st.sampled_from(nr.keys)))
        else:
            origin = self.pick_hotkey(data)
        me = nr.uids.get(raw(origin)) if nr is not None else None
        if netuid == 0:
            targets = [*self.md.subnets(), 7, 0xFFFF]
        else:
            n = nr.n if nr is not None else 0
            targets = list(range(n + 2))
        shape = data.draw(st.integers(0, 9))
        if shape == 0 and me is not None:
            uids = [me]
        elif shape == 1:
            uids = data.draw(st.lists(st.sampled_from(targets), max_size=4))  # duplicates too
        else:
            uids = data.draw(st.lists(st.sampled_from(targets), max_size=5, unique=True))
        values = data.draw(st.lists(
            st.one_of(st.sampled_from([0, 1, 32767, 32768, 65534, 65535]),
                      st.integers(0, 0xFFFF)),
            min_size=len(uids), max_size=len(uids)))
        if data.draw(st.integers(0, 19)) == 10:
            values = values + [1]
        version = data.draw(st.sampled_from([0, 0, 1, 2**64 - 1]))
        self.run(tx.SetWeights(origin=origin, netuid=netuid, uids=uids, values=values,
                               version_key=version))
        self.ok = True

    @rule(data=st.data())
    def serve(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        netuid = self.pick_netuid(data)
        ip = data.draw(st.sampled_from([0, 1, 0x7F000001, 0xC0A80001, 2**32 - 2, 2**32 - 1,
                                        2**32, 2**128 - 1, 2**100 + 5]))
        ip_type = data.draw(st.sampled_from([4, 6, 4, 6, 0, 5]))
        port = data.draw(st.sampled_from([8091, 0, 1, 0xFFFF]))
        if data.draw(st.booleans()):
            t: tx.Tx = tx.ServeAxon(origin=h, netuid=netuid, version=data.draw(st.integers(0, 3)),
                                    ip=ip, port=port, ip_type=ip_type,
                                    protocol=data.draw(st.integers(0, 255)),
                                    placeholder1=data.draw(st.integers(0, 2)),
                                    placeholder2=0)
        else:
            t = tx.ServePrometheus(origin=h, netuid=netuid, version=1, ip=ip, port=port,
                                   ip_type=ip_type)
        self.run(t)
        self.ok = True

    # ---- rules: parameters and odd calls ---------------------------------------------------
    @rule(data=st.data())
    def set_hyperparameter(self, data: st.DataObject) -> None:
        self.ok = False
        r = data.draw(st.integers(0, 9))
        netuid: int | None
        if r < 7:
            netuid = self.pick_netuid(data)
            name = data.draw(st.sampled_from(SUBNET_NAMES))
            kind = m.SUBNET_PARAMS[name][0]
        elif r < 9:
            netuid = None
            name = data.draw(st.sampled_from(GLOBAL_NAMES))
            kind = m.GLOBAL_PARAMS[name][0]
        else:
            netuid = data.draw(st.none() | st.integers(0, 3))
            name = data.draw(st.sampled_from([*ODD_NAMES, *SUBNET_NAMES, *GLOBAL_NAMES]))
            kind = "u64"
        value: int | bool
        if kind == "bool":
            value = data.draw(st.sampled_from([True, False, True, False, 0, 1]))
        else:
            nr = self.md.neurons.get(netuid) if netuid is not None else None
            n = nr.n if nr is not None else 0
            value = data.draw(st.one_of(
                st.integers(0, 5),
                st.sampled_from([n, n + 1, 10, 100, 360, 1000, 32768, 32769, 65535, 65536,
                                 10**6, 10**6 + 1, 2**64 - 1, True]),
                st.integers(0, 2**64 - 1)))
        origin = self.pick_sudo_origin(data, netuid)
        self.run(tx.SudoSetHyperparameter(origin=origin, netuid=netuid, name=name, value=value))
        self.ok = True

    @rule(data=st.data())
    def odd_calls(self, data: st.DataObject) -> None:
        self.ok = False
        r = data.draw(st.integers(0, 5))
        origin = self.pick_coldkey(data)
        if r == 0:
            new = data.draw(st.sampled_from([SUDO, COLDKEYS[0], STRANGER]))
            self.run(tx.SudoSetKey(origin=self.pick_sudo_origin(data), new=new))
        elif r < 3:
            self.run(tx.SwapHotkey(origin=origin, hotkey=self.pick_hotkey(data),
                                   new_hotkey=self.pick_account(data)))
        else:
            self.run(tx.Faucet(origin=origin, block_number=self.md.block, nonce=0,
                               work=data.draw(st.binary(max_size=33))))
        self.ok = True

    # ---- rules: governance -----------------------------------------------------------------
    def pick_proposal(self, data: st.DataObject) -> tuple[bytes, int]:
        open_ = sorted(self.md.proposals.items(), key=lambda kv: kv[1]["index"])
        if open_ and data.draw(st.integers(0, 4)) < 4:
            h, p = data.draw(st.sampled_from(open_))
            return h, p["index"] + (1 if data.draw(st.integers(0, 9)) == 5 else 0)
        return data.draw(st.binary(min_size=32, max_size=32)), data.draw(st.integers(0, 3))

    def proposable(self, data: st.DataObject) -> tx.Tx:
        zero = ts.accounts.ZERO_ACCOUNT
        origin = zero if data.draw(st.integers(0, 9)) != 5 else self.pick_account(data)
        senators = sorted(self.md.senate)
        kind = data.draw(st.integers(0, 9))
        if kind < 3:
            netuid = self.pick_netuid(data)
            name = data.draw(st.sampled_from(["tempo", "kappa", "weights_set_rate_limit",
                                              "min_allowed_weights", "no_such_parameter"]))
            return tx.SudoSetHyperparameter(origin=origin, netuid=netuid, name=name,
                                            value=data.draw(st.integers(0, 6)))
        if kind == 3:
            return tx.SudoRegister(origin=origin, netuid=self.pick_netuid(data),
                                   hotkey=self.pick_hotkey(data), coldkey=self.pick_coldkey(data),
                                   stake=data.draw(st.sampled_from([0, TAO, 10**18])), balance=0)
        if kind == 4:
            return tx.SudoSenateAddMember(origin=origin, hotkey=self.pick_hotkey(data))
        if kind == 5 and senators:
            return tx.SudoSenateRemoveMember(origin=origin,
                                             hotkey=ts.AccountId(data.draw(st.sampled_from(
                                                 senators))))
        if kind == 6:
            member = self.pick_coldkey(data)
            r = data.draw(st.integers(0, 2))
            if r == 0:
                return tx.SudoTriumvirateAddMember(origin=origin, member=member)
            if r == 1:
                return tx.SudoTriumvirateRemoveMember(origin=origin, member=member)
            return tx.SudoTriumvirateSwapMember(origin=origin, old=member,
                                                new=self.pick_coldkey(data))
        if kind == 7:
            return tx.SudoDisapproveProposal(origin=origin, hash=self.pick_proposal(data)[0])
        if kind == 8:
            return tx.SudoSetKey(origin=origin, new=COLDKEYS[1])  # SudoKey only: BadOrigin
        return tx.Transfer(origin=origin, dest=COLDKEYS[1], amount=TAO)  # Signed: BadOrigin

    @rule(data=st.data())
    def govern(self, data: st.DataObject) -> None:
        self.ok = False
        r = data.draw(st.integers(0, 9))
        trium = [ts.AccountId(a) for a in self.md.triumvirate]
        if r < 3:
            origin = data.draw(st.sampled_from(trium)) if trium and data.draw(
                st.integers(0, 3)) < 3 else self.pick_coldkey(data)
            self.run(tx.Propose(origin=origin, transaction=self.proposable(data),
                                duration=data.draw(st.sampled_from([3600, 3600, 3599, 3601,
                                                                    0, 10**6]))))
        elif r < 6:
            senators = sorted(self.md.senate)
            if senators and data.draw(st.integers(0, 4)) < 4:
                hk = ts.AccountId(data.draw(st.sampled_from(senators)))
            else:
                hk = self.pick_hotkey(data)
            owner = self.md.owner.get(raw(hk))
            origin = ts.AccountId(owner) if owner is not None and data.draw(
                st.integers(0, 4)) < 4 else self.pick_coldkey(data)
            h, index = self.pick_proposal(data)
            self.run(tx.Vote(origin=origin, hotkey=hk, hash=h, index=index,
                             approve=data.draw(st.booleans())))
        elif r < 8:
            h, index = self.pick_proposal(data)
            self.run(tx.Close(origin=self.pick_coldkey(data), hash=h, index=index))
        else:
            inner = self.proposable(data)
            if isinstance(inner, (tx.SudoSetKey, tx.Transfer, tx.SudoRegister,
                                  tx.SudoSetHyperparameter)):
                inner = tx.SudoDisapproveProposal(origin=inner.origin,
                                                  hash=self.pick_proposal(data)[0])
            fields = inner.to_dict()
            fields["origin"] = self.pick_sudo_origin(data)
            self.run(type(inner)(**fields))
        self.ok = True

    # ---- rules: blocks ---------------------------------------------------------------------
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        self.ok = False
        tempos = [self.md.p(u, "tempo") + 1 for u in self.md.subnets()]
        k = data.draw(st.one_of(st.sampled_from([1, 1, 2, 3, 7]), st.sampled_from(tempos),
                                st.sampled_from([25, 101])))
        k = max(1, min(k, 101))
        self.step_both(k)
        if self.blocks_since_verify >= 20:
            self.check_replay()
        self.ok = True

    # ---- invariants ------------------------------------------------------------------------
    @invariant()
    def same_state(self) -> None:
        if self.chain is None:
            return
        self.ok = False
        compare(self.c, self.md, [*EVERYONE, *self.fresh])
        self.ok = True

    def teardown(self) -> None:
        if self.chain is None:
            return
        try:
            if self.ok:
                self.step_both(1)
                compare(self.c, self.md, [*EVERYONE, *self.fresh])
                self.check_replay()
        finally:
            self.chain.close()
            if self.model is not None:
                self.counts.update({f"model:{k}": v for k, v in self.model.coverage.items()})
            STATS.update(self.counts)
            STATS["examples"] += 1
            _dump_stats(self.counts)


def _dump_stats(counts: Counter[str]) -> None:
    path = os.environ.get("TAOSTATE_FUZZ_STATS")
    if not path:
        return
    total: Counter[str] = Counter()
    if os.path.exists(path):
        with open(path) as f:
            total.update(json.load(f))
    total.update(counts)
    total["examples"] += 1
    with open(path + ".tmp", "w") as f:
        json.dump(dict(sorted(total.items())), f, indent=1)
    os.replace(path + ".tmp", path)


# At least 150 histories of 60 rules even under the `ci` profile (≈ 15 s); `dev`/`deep` go beyond.
_DEFAULT = settings.default
assert _DEFAULT is not None
ChainVsModel.TestCase.settings = settings(stateful_step_count=60,
                                          max_examples=max(150, _DEFAULT.max_examples))
TestChainVsModel = ChainVsModel.TestCase
