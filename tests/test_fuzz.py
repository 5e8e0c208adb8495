"""Differential fuzzing of state transitions: the real engine against the Python model.

A hypothesis ``RuleBasedStateMachine`` drives a real ``ts.Chain.ephemeral`` (Rust core, real LMDB
log) and ``tests/model.py`` (written from RULES.md) with the same random transactions — valid ones
and invalid ones: random origins, amounts around ED / balance / stake / burn / the supply cap,
unknown hotkeys, netuids that do not exist, misfit hyperparameter values — and block steps
spanning epochs (tempos are made small through Sudo). After every rule it checks that both made
the same accept/reject decision with the same error code, that a rejection changed nothing, and
that balances, stakes, owners, delegates, uids, subnet parameters, emission values, pending
emission and every metagraph vector agree, plus conservation of issuance. Every few steps, and at
teardown, the log is replayed (``chain.verify()``, ``chain.at(head)``) and must equal the live
state root.

Profiles (tests/conftest.py): ``ci`` by default; ``HYPOTHESIS_PROFILE=deep`` for long campaigns.
``TAOSTATE_FUZZ_STATS=<file>`` makes every finished example add its counts to that JSON file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from hypothesis import note, settings
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
# Engine `subnet(netuid)` info keys compared with the model (RULES names).
INFO_KEYS = ["owner", "locked", "tempo", "n", "burn", "difficulty", "emission_value",
             "pending_emission", "registered_at", *SUBNET_NAMES]
U16_VECTORS = {"ranks_u16": "ranks", "trust_u16": "trust", "consensus_u16": "consensus",
               "incentive_u16": "incentive", "dividends_u16": "dividends",
               "validator_trust_u16": "validator_trust", "pruning_scores": "pruning_scores"}

STATS: Counter[str] = Counter()


def known_divergence(model: m.Model, t: tx.Tx) -> str | None:
    """Transactions whose outcome is a known engine divergence from RULES.md (see the report of
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
        genesis = ts.Genesis(balances=balances, sudo=SUDO, triumvirate=[COLDKEYS[0]],
                             params=params)
        snapshot_every = data.draw(choice([5, 3, 50]))
        self.chain = ts.Chain.ephemeral(genesis, snapshot_every=snapshot_every)
        self.model = m.Model({_b(k): v for k, v in balances.items()}, _b(SUDO), params)
        if data.draw(st.booleans()):
            self.bootstrap(data)
        self.ok = True

    def bootstrap(self, data: st.DataObject) -> None:
        """A quick route to interesting states: a subnet with small tempos, neurons with stake,
        root validators. Every transaction still goes through both sides and is compared."""
        choice = st.sampled_from
        self.run(tx.RegisterNetwork(origin=COLDKEYS[0]))
        sudo = SUDO
        for netuid, name, value in [
            (1, "tempo", data.draw(choice([1, 2, 3]))),
            (1, "weights_set_rate_limit", 0),
            (1, "max_registrations_per_block", 8),
            (1, "target_registrations_per_interval", 4),
            (1, "immunity_period", data.draw(choice([2, 0, 10]))),
            (1, "max_allowed_uids", data.draw(choice([3, 2, 5, 256]))),
            (1, "activity_cutoff", data.draw(choice([5000, 4]))),
            (1, "network_pow_registration_allowed", False),
            (0, "tempo", data.draw(choice([2, 1, 3, 5]))),
            (0, "max_registrations_per_block", 8),
            (0, "target_registrations_per_interval", 4),
            (0, "weights_set_rate_limit", 0),
            (0, "max_allowed_uids", data.draw(choice([3, 2, 64]))),
        ]:
            self.run(tx.SudoSetHyperparameter(origin=sudo, netuid=netuid, name=name, value=value))
        for i in range(data.draw(st.integers(0, 3))):
            self.run(tx.SudoRegister(origin=sudo, netuid=1, hotkey=HOTKEYS[i],
                                     coldkey=COLDKEYS[i % 2],
                                     stake=data.draw(choice([100 * TAO, 0, 7 * TAO, 1])),
                                     balance=0))
        for i in range(data.draw(st.integers(0, 2))):
            self.run(tx.RootRegister(origin=COLDKEYS[i % 2], hotkey=HOTKEYS[i]))
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
                registered_at=md.registered_at.get(u, 0))
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
        axon = md.axon(u, h)
        if axon is not None or u != 0:
            got_axon = c._engine.axon(u, h)
            assert (None if got_axon is None else dict(got_axon)) == axon, ("axon", u, h)
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
    if u != 0:
        assert mg.weights.tolist() == want_mg["weights"], ("weights", u)
    assert mg.bonds.tolist() == want_mg["bonds"], ("bonds", u)


ChainVsModel.TestCase.settings = settings(stateful_step_count=40)
TestChainVsModel = ChainVsModel.TestCase
