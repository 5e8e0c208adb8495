"""Differential fuzzing of state transitions: the real engine against the Python model.

A hypothesis ``RuleBasedStateMachine`` drives a real ``ts.Chain.ephemeral`` (Rust core, real LMDB
log) and ``tests/model.py`` (written from docs/ruleset.md) with the same random transactions — valid ones
and invalid ones: random origins, amounts around ED / balance / stake / burn / the supply cap,
unknown hotkeys, netuids that do not exist, misfit hyperparameter values — and block steps
spanning epochs (tempos are made small through Sudo). After every rule it checks that both made
the same accept/reject decision with the same error code, that a rejection changed nothing, and
that balances, stakes, owners, delegates, uids, subnet parameters, emission values, pending
emission and every metagraph vector agree, plus conservation of issuance. Every few steps, and at
teardown, the log is replayed (``chain.verify()`` from genesis, ``chain.at(head)`` and a second
read-only ``ts.Chain.open(path)`` from the latest snapshot) and must equal the live state root.

Profiles (tests/conftest.py): ``ci`` by default; ``HYPOTHESIS_PROFILE=deep`` for long campaigns.
``TAOSTATE_FUZZ_STATS=<file>`` makes every finished example add its counts to that JSON file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import note, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import model as m
import taostate as ts
from taostate import testing as tst
from taostate import tx

TAO = ts.TAO
COLDKEYS = [ts.account(f"fuzz/c{i}") for i in range(4)]
HOTKEYS = [ts.account(f"fuzz/h{i}") for i in range(6)]
SUDO = ts.account("fuzz/sudo")
STRANGER = ts.account("fuzz/stranger")  # never funded by the genesis
EVERYONE = [*COLDKEYS, *HOTKEYS, SUDO, STRANGER]

SUBNET_NAMES = sorted(m.SUBNET_PARAMS)
GLOBAL_NAMES = sorted(m.GLOBAL_PARAMS)
ODD_NAMES = ["total_issuance", "burn", "senate_required_stake_percentage", "no_such_parameter"]
# Engine `subnet(netuid)` info keys compared with the model (ruleset names).
INFO_KEYS = ["netuid", "owner", "locked", "tempo", "n", "burn", "difficulty", "emission_value",
             "pending_emission", "registered_at", "blocks_since_last_step",
             "last_mechanism_step_block", "last_adjustment_block", "registrations_this_block",
             "registrations_this_interval", "pow_registrations_this_interval",
             "burn_registrations_this_interval", "modality", *SUBNET_NAMES]
U16_VECTORS = {"ranks_u16": "ranks", "trust_u16": "trust", "consensus_u16": "consensus",
               "incentive_u16": "incentive", "dividends_u16": "dividends",
               "validator_trust_u16": "validator_trust", "pruning_scores": "pruning_scores"}

STATS: Counter[str] = Counter()


def known_divergence(model: m.Model, t: tx.Tx) -> str | None:
    """Transactions whose outcome is a known engine divergence from docs/ruleset.md (see the report of
    issue 6); they are not submitted so that the machine keeps exploring. Empty when none."""
    return None


def _b(a: Any) -> bytes:
    return bytes(a)


class ChainVsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain: ts.Chain | None = None
        self.model: m.Model | None = None
        self.fresh: list[ts.AccountId] = []
        self.ok = True  # the last rule / invariant completed (teardown checks only then)
        self.blocks_since_verify = 0
        self.counts: Counter[str] = Counter()

    # ---- plumbing --------------------------------------------------------------------------
    @property
    def c(self) -> ts.Chain:
        assert self.chain is not None
        return self.chain

    @property
    def md(self) -> m.Model:
        assert self.model is not None
        return self.model

    def run(self, t: tx.Tx) -> str | None:
        """Submit ``t`` to both; assert the same outcome. Returns the error code or None."""
        reason = known_divergence(self.md, t)
        if reason is not None:
            if currently_in_test_context():
                note(f"skipped (known divergence {reason}): {t}")
            self.counts["skipped"] += 1
            return "skipped"
        was_open = self.md.is_open
        before = self.c.state_root() if was_open else None
        got: str | None = None
        receipt = None
        try:
            receipt = self.c.submit(t)
        except ts.TxRejected as e:
            got = e.code
            assert type(e) is ts.errors.RULE_ERRORS[e.code], (type(e), e.code)
            assert e.tx == t
        want: str | None = None
        try:
            self.md.apply(t)
        except m.Rejected as e:
            want = e.code
        if currently_in_test_context():
            note(f"{t} -> engine {got or 'ok'}, model {want or 'ok'}")
        assert got == want, f"{type(t).__name__}: engine {got or 'accepted'}, model {want or 'accepted'}: {t}"
        if got is None:
            assert receipt is not None and receipt.block == self.md.block
        elif before is not None:
            assert self.c.state_root() == before, "a rejected transaction changed the state"
        self.counts[f"{type(t).__name__}:{got or 'ok'}"] += 1
        self.counts["transactions"] += 1
        return got

    def step_both(self, blocks: int) -> None:
        assert self.c.step(blocks=blocks) == self.md.step(blocks)
        self.counts["blocks"] += blocks
        self.blocks_since_verify += blocks

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

    def open(self, balances: dict[ts.AccountId, int], params: dict[str, int], *,
             snapshot_every: int = 5) -> None:
        genesis = ts.Genesis(balances=balances, sudo=SUDO, triumvirate=[COLDKEYS[0]],
                             params=params)
        self.chain = ts.Chain.ephemeral(genesis, snapshot_every=snapshot_every)
        self.model = m.Model({_b(k): v for k, v in balances.items()}, _b(SUDO), params,
                             genesis_record=genesis.to_msgpack(), triumvirate=[_b(COLDKEYS[0])])

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
        amount = self.amount(data, self.md.balance(_b(src)), m.ED - self.md.balance(_b(dest)))
        self.run(tx.Transfer(origin=src, dest=dest, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def add_stake(self, data: st.DataObject) -> None:
        self.ok = False
        c = self.pick_coldkey(data)
        h = self.pick_hotkey(data)
        amount = self.amount(data, self.md.balance(_b(c)))
        self.run(tx.AddStake(origin=c, hotkey=h, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def remove_stake(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        owner = self.md.owner.get(_b(h))
        stakers = sorted(self.md.stake.get(_b(h), {}))
        if stakers and data.draw(st.integers(0, 3)) < 3:
            c = ts.AccountId(data.draw(st.sampled_from(stakers)))
        elif owner is not None and data.draw(st.booleans()):
            c = ts.AccountId(owner)
        else:
            c = self.pick_coldkey(data)
        amount = self.amount(data, self.md.stake.get(_b(h), {}).get(_b(c), 0))
        self.run(tx.RemoveStake(origin=c, hotkey=h, amount=amount))
        self.ok = True

    @rule(data=st.data())
    def become_delegate(self, data: st.DataObject) -> None:
        self.ok = False
        h = self.pick_hotkey(data)
        owner = self.md.owner.get(_b(h))
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
        me = nr.uids.get(_b(origin)) if nr is not None else None
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
            owner = self.md.owner.get(_b(hk))
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

    def check_replay(self) -> None:
        """Replay the log from genesis (and from the latest snapshot) = the live state."""
        assert not self.md.is_open
        live = self.c.state_root()
        report = self.c.verify()
        assert report["state_root"] == live
        assert report["head"] == self.md.head
        assert self.c.at(self.c.head).state_root() == live
        with ts.Chain.open(self.c._log.path, readonly=True) as reopened:  # snapshot + tail
            assert reopened.head == self.md.head and reopened.state_root() == live
        self.blocks_since_verify = 0
        self.counts["replays"] += 1

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


def compare(c: ts.Chain, md: m.Model, people: list[ts.AccountId]) -> None:
    """Every query the model answers, against the engine."""
    assert c.block == md.block and c.head == md.head
    assert c.head_hash == md.head_hash.hex(), "the block records differ from WIRE.md's form"
    assert c.total_issuance == md.total_issuance
    assert c.total_stake == md.total_stake
    assert c.total_balance == md.total_balance
    assert c.total_locked == md.total_locked
    assert c.total_issuance == c.total_balance + c.total_stake + c.total_locked
    assert c.total_issuance <= m.S_MAX or md.minted_past_cap
    assert c.block_emission == md.block_emission
    assert _b(c.sudo_key) == md.sudo_key
    c.check_invariants()
    hotkeys = sorted(set(md.owner) | {_b(h) for h in HOTKEYS})
    for a in sorted({_b(p) for p in people} | set(md.free) | set(md.owner)):
        assert c.balance(a) == md.balance(a), ("balance", ts.AccountId(a))
        assert c.coldkey_stake(a) == md.coldkey_stake(a), ("coldkey_stake", ts.AccountId(a))
    for h in hotkeys:
        owner = c.owner(h)
        assert (None if owner is None else _b(owner)) == md.owner.get(h), ("owner", h)
        assert c.stake(h) == md.hotkey_stake(h), ("stake", ts.AccountId(h))
        for ck in sorted(set(md.stake.get(h, {})) | {_b(x) for x in COLDKEYS}):
            assert c.stake(h, ck) == md.stake.get(h, {}).get(ck, 0), ("stake", h, ck)
    assert {_b(h): t for h, t in c.delegates().items()} == md.delegates
    assert [_b(a) for a in c.accounts()] == md.accounts()
    assert c.subnets() == md.subnets()
    assert sorted(_b(s) for s in c.senate()) == sorted(md.senate)
    assert sorted(_b(t) for t in c.triumvirate()) == sorted(md.triumvirate)
    props = sorted(c.proposals(), key=lambda p: p["index"])
    want = sorted(md.proposals.items(), key=lambda kv: kv[1]["index"])
    assert [p["hash"] for p in props] == [h.hex() for h, _ in want]
    for p, (_, w) in zip(props, want):
        assert (p["index"], _b(p["proposer"]), p["threshold"], p["end"]) == (
            w["index"], w["proposer"], w["threshold"], w["end"])
        assert p["transaction"] == w["tx"]
        assert [_b(a) for a in p["ayes"]] == w["ayes"] and [_b(a) for a in p["nays"]] == w["nays"]
    if md.is_open:
        assert c.lock_cost() == md.current_lock_cost()
    for u in md.subnets():
        compare_subnet(c, md, u, hotkeys)


def model_info(md: m.Model, u: int) -> dict[str, Any]:
    info: dict[str, Any] = {name: md.p(u, name) for name in SUBNET_NAMES}
    owner = md.subnet_owner.get(u)
    info.update(owner=None if owner is None else owner, locked=md.subnet_locked.get(u, 0),
                n=md.neurons[u].n, burn=md.p(u, "burn"),
                emission_value=md.emission_values.get(u, 0),
                pending_emission=md.pending_emission.get(u, 0),
                registered_at=md.registered_at.get(u, 0), netuid=u, modality=0,
                blocks_since_last_step=md.blocks_since_last_step.get(u, 0),
                last_mechanism_step_block=md.last_mechanism_step_block.get(u, 0),
                last_adjustment_block=md.last_adjustment_block.get(u, 0),
                registrations_this_block=md.registrations_this_block.get(u, 0),
                registrations_this_interval=md.registrations_this_interval.get(u, 0),
                pow_registrations_this_interval=md.pow_registrations_this_interval.get(u, 0),
                burn_registrations_this_interval=md.burn_registrations_this_interval.get(u, 0))
    return info


def compare_subnet(c: ts.Chain, md: m.Model, u: int, hotkeys: list[bytes]) -> None:
    info = c.subnet(u)
    want = model_info(md, u)
    for key in INFO_KEYS:
        got = info[key]
        if key == "owner" and got is not None:
            got = _b(got)
        assert got == want[key], ("subnet", u, key, got, want[key])
    nr = md.neurons[u]
    for h in hotkeys:
        assert c.uid(u, h) == nr.uids.get(h), ("uid", u, ts.AccountId(h))
        got_axon = c._engine.axon(u, h)  # axons are per (netuid, hotkey), registered or not
        assert (None if got_axon is None else dict(got_axon)) == md.axon(u, h), ("axon", u, h)
    mg = c.metagraph(u)
    want_mg = md.metagraph(u)
    assert mg.n == want_mg["n"] and mg.netuid == u
    assert [_b(h) for h in mg.hotkeys] == want_mg["hotkeys"]
    assert [_b(k) for k in mg.coldkeys] == want_mg["coldkeys"]
    assert mg.stake.tolist() == want_mg["stake"], ("stake", u)
    for ours, theirs in U16_VECTORS.items():
        assert getattr(mg, ours).tolist() == want_mg[theirs], (ours, u)
    for name in ("emission", "active", "validator_permit", "last_update",
                 "block_at_registration"):
        assert getattr(mg, name).tolist() == want_mg[name], (name, u)
    # root rows hold netuids; the metagraph shows the n×n block (columns < n) like any subnet
    assert mg.weights.tolist() == want_mg["weights"], ("weights", u)
    assert mg.bonds.tolist() == want_mg["bonds"], ("bonds", u)




# At least 150 histories of 60 rules even under the `ci` profile (≈ 15 s); `dev`/`deep` go beyond.
_DEFAULT = settings.default
assert _DEFAULT is not None
ChainVsModel.TestCase.settings = settings(stateful_step_count=60,
                                          max_examples=max(150, _DEFAULT.max_examples))
TestChainVsModel = ChainVsModel.TestCase


# --------------------------------------------------------------------------------------------- #
# Scenarios: deterministic histories through the same engine-vs-model comparison, for paths that
# random search reaches rarely (and the pinned shrinks of earlier failures).


class Duo:
    """The engine and the model side by side, outside hypothesis."""

    def __init__(self, balances: dict[ts.AccountId, int], **params: int) -> None:
        self.mc = ChainVsModel()
        self.mc.open(balances, dict(params), snapshot_every=4)
        self.c, self.md = self.mc.c, self.mc.md

    def __enter__(self) -> Duo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.c.close()

    def ok(self, t: tx.Tx) -> None:
        assert self.mc.run(t) is None

    def rejects(self, t: tx.Tx, code: str) -> None:
        assert self.mc.run(t) == code

    def sudo(self, netuid: int | None, name: str, value: int | bool) -> None:
        self.ok(tx.SudoSetHyperparameter(origin=SUDO, netuid=netuid, name=name, value=value))

    def step(self, blocks: int = 1) -> None:
        self.mc.step_both(blocks)

    def check(self, *extra: ts.AccountId) -> None:
        compare(self.c, self.md, [*EVERYONE, *extra])

    def replay(self) -> None:
        if self.md.is_open:
            self.step()
        self.mc.check_replay()


RICH = {COLDKEYS[0]: 100_000 * TAO, COLDKEYS[1]: 100_000 * TAO, SUDO: 1_000_000 * TAO}
CHEAP = {"network_rate_limit": 0, "network_lock_reduction_interval": 1,
         "network_min_lock_cost": TAO, "tx_rate_limit": 0}


def test_accounts_lists_the_coldkey_of_a_hotkey() -> None:
    """Pinned shrink: an unfunded account that root-registers a hotkey owns it and is listed."""
    with Duo({COLDKEYS[0]: 100_000 * TAO, SUDO: TAO}, network_rate_limit=0) as d:
        d.ok(tx.RootRegister(origin=HOTKEYS[0], hotkey=COLDKEYS[0]))
        d.check()
        assert HOTKEYS[0] in d.c.accounts() and d.c.balance(HOTKEYS[0]) == 0
        d.replay()


def test_senate_swaps_and_already_member() -> None:
    senators = [ts.account(f"fuzz/s{i}") for i in range(16)]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 40)
        d.sudo(0, "target_registrations_per_interval", 20)
        d.sudo(0, "max_allowed_uids", 14)
        for i, h in enumerate(senators):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=(i + 1) * TAO, balance=0))
        d.step()
        for h in senators[:12]:
            d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=h))
        assert sorted(d.c.senate()) == sorted(senators[:12])
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[0]))  # no stake: no swap
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senators[12]))  # swaps out senators[0]
        assert senators[0] not in d.c.senate() and senators[12] in d.c.senate()
        d.check(*senators)
        # root is full (14): senators[13] replaces the lowest root stake (HOTKEYS[0], 0 rao)
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senators[13]))
        d.check(*senators)
        # tie with the lowest senator: no swap
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                             stake=0, balance=0))
        d.ok(tx.AddStake(origin=COLDKEYS[1], hotkey=HOTKEYS[1],
                         amount=d.c.stake(sorted(d.c.senate(), key=d.c.stake)[0])))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[1]))
        d.check(*senators)
        assert d.md.coverage["senate_swap"] >= 2
        d.replay()


def test_senator_off_root_cannot_rejoin_the_senate() -> None:
    a, b, c = HOTKEYS[:3]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 10)
        d.sudo(0, "target_registrations_per_interval", 10)
        d.sudo(0, "max_allowed_uids", 2)
        for h, st_ in ((a, 1), (b, 2), (c, 3)):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=st_ * TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=a))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=b))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=c))  # replaces a on root; a stays senator
        assert d.c.uid(0, a) is None and a in d.c.senate()
        d.rejects(tx.RootRegister(origin=COLDKEYS[1], hotkey=a), "StakeTooLowForRoot")
        d.ok(tx.AddStake(origin=COLDKEYS[1], hotkey=a, amount=5 * TAO))
        d.rejects(tx.RootRegister(origin=COLDKEYS[1], hotkey=a), "AlreadySenateMember")
        d.check()
        d.replay()


def test_uids_beyond_255_iterate_ascending() -> None:
    """n = 280 on one subnet: epochs, permits (top 64 by stake, held by uids ≥ 256), weights to
    uids across 255/256, then pruning a full subnet."""
    keys = [ts.account(f"fuzz/u{i}") for i in range(280)]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(1, "max_allowed_uids", 290)
        d.sudo(1, "tempo", 1)
        d.sudo(1, "weights_set_rate_limit", 0)
        d.sudo(1, "immunity_period", 0)
        d.sudo(0, "tempo", 1)
        d.sudo(0, "weights_set_rate_limit", 0)
        for i, h in enumerate(keys):
            stake = (i + 1) * TAO if i >= 200 else 0
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=stake, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=keys[279]))
        d.step(2)
        d.ok(tx.SetWeights(origin=keys[279], netuid=0, uids=[1], values=[65535]))
        d.step(3)
        d.check(*keys[250:])
        mg = d.c.metagraph(1)
        assert mg.validator_permit[256:].all() and not mg.validator_permit[:200].any()
        for v in range(216, 280):  # every permit holder votes, so consensus forms
            d.ok(tx.SetWeights(origin=keys[v], netuid=1, uids=[1, 255, 256, 270],
                               values=[100, 65535, 40000, v]))
        d.step(4)
        d.check(*keys[250:])
        assert d.c.metagraph(1).dividends_u16[256:].any()
        for i in range(10):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=ts.account(f"fuzz/v{i}"),
                                 coldkey=COLDKEYS[0], stake=0, balance=0))
        d.step()
        d.check(*keys[250:])
        assert d.md.coverage["replace_neuron:subnet"] == 0
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[5], coldkey=COLDKEYS[0],
                             stake=0, balance=0))  # full: prunes
        assert d.md.coverage["replace_neuron:subnet"] == 1
        d.step(2)
        d.check(*keys[250:])
        d.replay()


def test_recreated_netuid_inherits_loaded_and_pending_emission() -> None:
    v, w = HOTKEYS[:2]
    with Duo(RICH, **CHEAP, subnet_limit=3) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(1, "tempo", 3)
        d.sudo(1, "weights_set_rate_limit", 0)
        d.sudo(0, "tempo", 1)
        d.sudo(0, "weights_set_rate_limit", 0)
        d.sudo(5, "serving_rate_limit", 9)  # no existence check: stored for a future netuid
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=v, coldkey=COLDKEYS[1], stake=50 * TAO,
                             balance=0))
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=w, coldkey=COLDKEYS[1], stake=5 * TAO,
                             balance=0))
        d.ok(tx.BecomeDelegate(origin=COLDKEYS[1], hotkey=v))
        d.ok(tx.AddStake(origin=COLDKEYS[0], hotkey=v, amount=20 * TAO))  # a nominator
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=v))
        d.step(2)
        d.ok(tx.SetWeights(origin=v, netuid=0, uids=[0, 1], values=[1, 65535]))
        d.step(6)
        d.ok(tx.SetWeights(origin=v, netuid=1, uids=[1], values=[65535]))
        d.step(8)
        d.check()
        assert d.md.emission_values.get(1, 0) > 0
        # stop right before an epoch of netuid 1, dissolve inside the epoch's block
        while m.blocks_until_next_epoch(1, d.md.p(1, "tempo"), d.md.head + 1) != 0:
            d.step()
        d.ok(tx.DissolveNetwork(origin=COLDKEYS[0], netuid=1))
        assert d.md.loaded_emission.get(1), "the epoch's tuples wait for netuid 1 to exist"
        d.step(3)
        d.check()
        stake_v = d.c.stake(v)
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        assert d.c.subnets() == [0, 1] and d.c.subnet(1)["owner"] == COLDKEYS[1]
        d.step(2)  # seals the block of the registration; A3 of the next drains the old tuples
        d.check()
        assert d.c.stake(v) > stake_v and 1 not in d.md.loaded_emission
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        assert 5 not in d.md.added and d.md.p(5, "serving_rate_limit") == 9
        d.check()
        d.replay()


def test_emission_minted_past_the_supply_cap() -> None:
    """Consistent with docs/ruleset.md: EmissionValues are fixed between root epochs and
    sudo_register may fill the supply to exactly S_MAX, so the next blocks mint past it (engine and
    model agree)."""
    with Duo({COLDKEYS[0]: 100_000 * TAO, SUDO: m.S_MAX - 200_000 * TAO}, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "tempo", 20)
        d.sudo(0, "weights_set_rate_limit", 0)
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[0], coldkey=COLDKEYS[1],
                             stake=TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[0]))
        d.step()
        d.ok(tx.SetWeights(origin=HOTKEYS[0], netuid=0, uids=[1], values=[65535]))
        while d.md.last_root_epoch != "set":
            d.step()
        assert 0 < d.md.block_emission < 10**9
        d.ok(tx.Transfer(origin=SUDO, dest=SUDO, amount=0))  # opens the block (it mints)
        room = m.S_MAX - d.md.total_issuance
        d.rejects(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                                  stake=room, balance=1), "ArithmeticOverflow")
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                             stake=room, balance=0))
        assert d.c.total_issuance == m.S_MAX
        d.step(3)
        d.check()
        assert d.c.total_issuance > m.S_MAX and d.md.minted_past_cap
        d.replay()


def test_governance_approve_dispatch_and_vote_bookkeeping() -> None:
    zero = ts.accounts.ZERO_ACCOUNT
    s1, s2, s3, s4 = HOTKEYS[:4]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 10)
        d.sudo(0, "target_registrations_per_interval", 10)
        for i, senator in enumerate((s1, s2, s3)):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=senator, coldkey=COLDKEYS[1],
                                 stake=(i + 1) * TAO, balance=0))
            d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senator))
        d.step()
        trium = COLDKEYS[0]

        def propose(inner: tx.Tx, duration: int = 3600) -> tuple[bytes, int]:
            d.ok(tx.Propose(origin=trium, transaction=inner, duration=duration))
            h = tx.proposal_hash(inner)
            return h, d.md.proposals[h]["index"]

        def vote(h: bytes, index: int, who: ts.AccountId, approve: bool) -> None:
            d.ok(tx.Vote(origin=COLDKEYS[1], hotkey=who, hash=h, index=index, approve=approve))

        # approved by 2 of 3 (threshold 2, 2·2 > 3): dispatched with Sudo origin
        set_tempo = tx.SudoSetHyperparameter(origin=zero, netuid=1, name="tempo", value=7)
        h, i = propose(set_tempo)
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3600),
                  "DuplicateProposal")
        d.rejects(tx.Close(origin=COLDKEYS[2], hash=h, index=i), "TooEarly")
        vote(h, i, s1, True)
        d.rejects(tx.Vote(origin=COLDKEYS[1], hotkey=s1, hash=h, index=i, approve=True),
                  "DuplicateVote")
        vote(h, i, s2, False)
        vote(h, i, s2, True)  # switches sides
        d.rejects(tx.Close(origin=COLDKEYS[2], hash=h, index=i + 1), "WrongIndex")
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch is None and d.c.subnet(1)["tempo"] == 7
        d.check()
        # an approved inner transaction that fails: the close succeeds, nothing else changes
        h, i = propose(tx.SudoSetHyperparameter(origin=zero, netuid=1, name="bogus", value=1))
        vote(h, i, s1, True)
        vote(h, i, s3, True)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch == "UnknownHyperparameter"
        # the senate grows after proposing: y ≥ threshold but 2·y ≤ seats → BadOrigin result
        h, i = propose(tx.SudoRegister(origin=zero, netuid=1, hotkey=s4, coldkey=COLDKEYS[2],
                                       stake=TAO, balance=TAO))
        d.ok(tx.SudoSenateAddMember(origin=SUDO, hotkey=COLDKEYS[3]))
        vote(h, i, s1, True)
        vote(h, i, s2, True)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch == "BadOrigin" and d.c.uid(1, s4) is None
        # disapproved by nays: seats − nays < threshold
        h, i = propose(tx.SudoSenateAddMember(origin=zero, hotkey=s4))
        vote(h, i, s1, False)
        vote(h, i, s2, False)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert s4 not in d.c.senate()
        # removed senators' votes stay; triumvirate removal deletes the account's votes
        h, i = propose(tx.SudoSenateAddMember(origin=zero, hotkey=s4))
        vote(h, i, s1, True)
        d.ok(tx.SudoSenateRemoveMember(origin=SUDO, hotkey=s1))
        assert d.md.proposals[h]["ayes"] == [bytes(s1)]
        d.ok(tx.SudoTriumvirateAddMember(origin=SUDO, member=s2))
        vote(h, i, s2, True)
        d.ok(tx.SudoTriumvirateSwapMember(origin=SUDO, old=s2, new=COLDKEYS[3]))
        assert d.md.proposals[h]["ayes"] == [bytes(s1)]
        d.check()
        # proposals that may not be made
        d.rejects(tx.Propose(origin=COLDKEYS[1], transaction=set_tempo, duration=3600),
                  "NotTriumvirateMember")
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3599), "WrongDuration")
        d.rejects(tx.Propose(origin=trium, transaction=tx.SudoSetKey(origin=zero, new=trium),
                             duration=3600), "BadOrigin")
        d.rejects(tx.Propose(origin=trium, transaction=tx.SudoSetHyperparameter(
            origin=SUDO, netuid=1, name="tempo", value=3), duration=3600), "BadOrigin")
        for k in range(9):
            propose(tx.SudoSetHyperparameter(origin=zero, netuid=1, name="kappa", value=k))
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3600),
                  "TooManyProposals")
        d.ok(tx.SudoDisapproveProposal(origin=SUDO, hash=h))
        d.ok(tx.SudoDisapproveProposal(origin=SUDO, hash=h))  # no existence check
        d.check()
        assert d.md.coverage["close:approve"] == 3 and d.md.coverage["close:disapprove"] == 1
        d.replay()


def _root_economy(d: Duo, validators: list[ts.AccountId]) -> None:
    d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
    d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
    for u in (0, 1, 2):
        d.sudo(u, "tempo", 2)
        d.sudo(u, "weights_set_rate_limit", 0)
    d.sudo(0, "max_registrations_per_block", 10)
    d.sudo(0, "target_registrations_per_interval", 10)
    for i, h in enumerate(validators):
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                             stake=(3 + i) * TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=h))
    d.step()
    d.ok(tx.SetWeights(origin=validators[0], netuid=0, uids=[1, 2], values=[65535, 20000]))
    d.ok(tx.SetWeights(origin=validators[1], netuid=0, uids=[1], values=[3]))


@pytest.mark.parametrize(("kappa", "rho"), [(65535, 1), (0, 1), (32767, 0), (65535, 3),
                                            (1, 45), (32767, 10)])
def test_root_epoch_logistic_edges(kappa: int, rho: int) -> None:
    """kappa 65535 / rho 1 makes x = −1 for a netuid nobody weights: exp(1) is the special
    E23 = 22802600/2^23 of §5.2; rho 0 makes every x 0; large rho overflows the series."""
    with Duo(RICH, **CHEAP) as d:
        _root_economy(d, HOTKEYS[:2])
        d.sudo(0, "kappa", kappa)
        d.sudo(0, "rho", rho)
        d.step(7)
        d.check()
        assert d.md.last_root_epoch in ("set", "exp_overflow")
        d.replay()


@pytest.mark.parametrize(("burns", "pows"), [(1, 2), (2, 1), (1, 1), (0, 1), (1, 0), (0, 0),
                                             (0, 3), (3, 0), (0, 2)])
def test_registration_adjustment_cases(burns: int, pows: int) -> None:
    """§8.8 cases A–F with real burn and POW registrations in one interval of 1 block."""
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        for name, value in [("adjustment_interval", 1), ("max_registrations_per_block", 6),
                            ("target_registrations_per_interval", 1), ("min_burn", 1),
                            ("max_burn", 10**12), ("network_pow_registration_allowed", True),
                            ("min_difficulty", 1), ("max_difficulty", 4000),
                            ("difficulty", 1000), ("adjustment_alpha", 0)]:
            d.sudo(1, name, value)
        d.step()
        for i in range(burns):
            d.ok(tx.BurnedRegister(origin=COLDKEYS[1], netuid=1, hotkey=HOTKEYS[i]))
        for i in range(pows):
            h = ts.account(f"fuzz/pow{i}")
            bn, nonce, work = d.c.create_pow(1, h)
            d.ok(tx.Register(origin=h, netuid=1, block_number=bn, nonce=nonce, work=work,
                             hotkey=h, coldkey=COLDKEYS[2]))
        d.step(2)
        d.check()
        assert d.md.coverage["pow_register"] == pows
        d.replay()
