"""The engine and the Python model side by side, for the differential fuzzer (test_fuzz.py) and its
deterministic scenarios (test_fuzz_scenarios.py).

:class:`Pair` holds a real ``ts.Chain.ephemeral`` (Rust core, real LMDB log) and a
:class:`model.Model` built from the same genesis; :meth:`Pair.run` submits one transaction to both
and asserts the same accept/reject decision with the same error code (and that a rejection changed
nothing), :meth:`Pair.check_replay` replays the log and compares state roots. :func:`compare`
checks every query the model answers against the engine. :class:`Duo` is a :class:`Pair` outside
hypothesis, for hand-written histories.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import note
from hypothesis.control import currently_in_test_context

import model as m
import taostate as ts
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


def known_divergence(model: m.Model, t: tx.Tx) -> str | None:
    """Transactions whose outcome is a known engine divergence from docs/ruleset.md (see the report of
    issue 6); they are not submitted so that the machine keeps exploring. Empty when none."""
    return None


def raw(a: Any) -> bytes:
    """An account (or anything `bytes()` accepts) as the model's raw bytes."""
    return bytes(a)


class Pair:
    """A chain and the model of it, fed the same transactions and blocks."""

    def __init__(self) -> None:
        super().__init__()  # cooperative: the fuzzer mixes this into a RuleBasedStateMachine
        self.chain: ts.Chain | None = None
        self.model: m.Model | None = None
        self.blocks_since_verify = 0
        self.counts: Counter[str] = Counter()

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

    def open(self, balances: dict[ts.AccountId, int], params: dict[str, int], *,
             snapshot_every: int = 5) -> None:
        genesis = ts.Genesis(balances=balances, sudo=SUDO, triumvirate=[COLDKEYS[0]],
                             params=params)
        self.chain = ts.Chain.ephemeral(genesis, snapshot_every=snapshot_every)
        self.model = m.Model({raw(k): v for k, v in balances.items()}, raw(SUDO), params,
                             genesis_record=genesis.to_msgpack(), triumvirate=[raw(COLDKEYS[0])])

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
    assert raw(c.sudo_key) == md.sudo_key
    c.check_invariants()
    hotkeys = sorted(set(md.owner) | {raw(h) for h in HOTKEYS})
    for a in sorted({raw(p) for p in people} | set(md.free) | set(md.owner)):
        assert c.balance(a) == md.balance(a), ("balance", ts.AccountId(a))
        assert c.coldkey_stake(a) == md.coldkey_stake(a), ("coldkey_stake", ts.AccountId(a))
    for h in hotkeys:
        owner = c.owner(h)
        assert (None if owner is None else raw(owner)) == md.owner.get(h), ("owner", h)
        assert c.stake(h) == md.hotkey_stake(h), ("stake", ts.AccountId(h))
        for ck in sorted(set(md.stake.get(h, {})) | {raw(x) for x in COLDKEYS}):
            assert c.stake(h, ck) == md.stake.get(h, {}).get(ck, 0), ("stake", h, ck)
    assert {raw(h): t for h, t in c.delegates().items()} == md.delegates
    assert [raw(a) for a in c.accounts()] == md.accounts()
    assert c.subnets() == md.subnets()
    assert sorted(raw(s) for s in c.senate()) == sorted(md.senate)
    assert sorted(raw(t) for t in c.triumvirate()) == sorted(md.triumvirate)
    props = sorted(c.proposals(), key=lambda p: p["index"])
    want = sorted(md.proposals.items(), key=lambda kv: kv[1]["index"])
    assert [p["hash"] for p in props] == [h.hex() for h, _ in want]
    for p, (_, w) in zip(props, want):
        assert (p["index"], raw(p["proposer"]), p["threshold"], p["end"]) == (
            w["index"], w["proposer"], w["threshold"], w["end"])
        assert p["transaction"] == w["tx"]
        assert [raw(a) for a in p["ayes"]] == w["ayes"] and [raw(a) for a in p["nays"]] == w["nays"]
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
            got = raw(got)
        assert got == want[key], ("subnet", u, key, got, want[key])
    nr = md.neurons[u]
    for h in hotkeys:
        assert c.uid(u, h) == nr.uids.get(h), ("uid", u, ts.AccountId(h))
        got_axon = c._engine.axon(u, h)  # axons are per (netuid, hotkey), registered or not
        assert (None if got_axon is None else dict(got_axon)) == md.axon(u, h), ("axon", u, h)
    mg = c.metagraph(u)
    want_mg = md.metagraph(u)
    assert mg.n == want_mg["n"] and mg.netuid == u
    assert [raw(h) for h in mg.hotkeys] == want_mg["hotkeys"]
    assert [raw(k) for k in mg.coldkeys] == want_mg["coldkeys"]
    assert mg.stake.tolist() == want_mg["stake"], ("stake", u)
    for ours, theirs in U16_VECTORS.items():
        assert getattr(mg, ours).tolist() == want_mg[theirs], (ours, u)
    for name in ("emission", "active", "validator_permit", "last_update",
                 "block_at_registration"):
        assert getattr(mg, name).tolist() == want_mg[name], (name, u)
    # root rows hold netuids; the metagraph shows the n×n block (columns < n) like any subnet
    assert mg.weights.tolist() == want_mg["weights"], ("weights", u)
    assert mg.bonds.tolist() == want_mg["bonds"], ("bonds", u)


class Duo:
    """The engine and the model side by side, outside hypothesis."""

    def __init__(self, balances: dict[ts.AccountId, int], **params: int) -> None:
        self.mc = Pair()
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
