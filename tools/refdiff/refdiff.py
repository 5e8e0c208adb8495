"""Differential testing of taostate against the reference chain's own pallet.

Exports histories (random ones from `taostate.testing.histories()` and synthetic ones from
`taostate.synth`) to the JSON the harness (`tools/refdiff/harness.rs`, run inside a reference
checkout) reads, replays the same histories in taostate, and compares the two block by block:
each transaction's outcome, then the state after every block. The ruleset's deliberate
deviations (docs/ruleset.md §1) are normalised explicitly: `NORMALISATIONS` has one entry per id
of that table, saying how the comparison accounts for it. Any other difference is reported as
the first divergent block, transaction and field, with both values.

    python tools/refdiff/refdiff.py run --ref REF [--random N] [--synth K] [--seed S]

PoW registration (`register`) and `faucet` are not exported: registrations reach the reference
through `burned_register`, `sudo_register` and `root_register` (deviation D-pow-hash: the seal
hashes a different block hash in each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import taostate as ts
import taostate.testing  # noqa: F401  (ts.testing)
from taostate import tx as T
from taostate.accounts import ZERO_ACCOUNT, AccountId
from taostate.chain import Chain, Genesis
from taostate.errors import TxRejected

ED = 500
REF_BLOCK_EMISSION = 1_000_000_000

# --------------------------------------------------------------------------------------------- #
# the normalisations: one per row of the deviation table of docs/ruleset.md §1


@dataclass(frozen=True)
class Normalisation:
    """How the comparison accounts for one deviation. ``kind``: ``input`` (the exporter does not
    send the transaction to the reference and requires taostate to refuse it, or adapts the
    input both sides see), ``compare`` (a rule of the comparer explains a difference) or
    ``unobservable`` (nothing a history run here can show; ``how`` says why)."""

    kind: str
    how: str


NORMALISATIONS: dict[str, Normalisation] = {
    "D-halving": Normalisation("compare", "BlockEmission is not compared; a difference of "
                               "EmissionValues while taostate's BlockEmission ≠ 10^9 is explained "
                               "and ends the comparison of that history"),
    "D-issuance": Normalisation("compare", "the reference's TotalIssuance counter is not compared; "
                                "taostate's TotalIssuance must equal the reference's Σ free + Σ "
                                "stake + Σ SubnetLocked"),
    "D-fees": Normalisation("unobservable", "the harness dispatches calls directly, without the "
                            "transaction-payment extension, so the reference charges no fee either"),
    "D-existential": Normalisation("compare", "genesis balances below ED are dropped from both "
                                   "sides' input; a first difference in an outcome or a free "
                                   "balance that involves an amount below ED (reaping, keep-alive, "
                                   "destroyed dust) is explained and ends the comparison"),
    "D-swap-hotkey": Normalisation("input", "swap_hotkey is not sent; taostate must refuse it "
                                   "(CallNotSupported)"),
    "D-pow-hash": Normalisation("input", "register (PoW) and faucet are dropped from both sides' "
                                "input; registrations use burned/sudo/root registration"),
    "D-order": Normalisation("compare", "every map is compared keyed and sorted (netuids, uids, "
                             "accounts ascending); histories stay below 256 uids and subnets, where "
                             "the orders agree"),
    "D-param-bounds": Normalisation("input", "setting one of the degenerate values is not sent; "
                                    "taostate must refuse it"),
    "D-root-exp-abort": Normalisation("compare", "an EmissionValues difference at a block where "
                                      "taostate reported RootEpochAborted is explained and ends "
                                      "the comparison"),
    "D-total-issuance-setter": Normalisation("input", "setting total_issuance is not sent; taostate "
                                             "must refuse it"),
    "D-zero-max-uids": Normalisation("compare", "sudo_register refused by taostate with "
                                     "NetworkDoesNotExist on a subnet with MaxAllowedUids = 0 is "
                                     "explained and ends the comparison"),
    "D-proposal-hash": Normalisation("input", "a proposal's taostate hash is sent along with "
                                     "propose; the harness maps it to the reference's hash for "
                                     "vote, close and disapprove; proposals are compared by index"),
    "D-ownerless": Normalisation("input", "calls whose OwnerOrSudo check the all-zero account "
                                 "would pass in the reference are not sent when signed by it; "
                                 "taostate must refuse them"),
    "D-membership-calls": Normalisation("unobservable", "taostate has no such transactions, so "
                                        "no history contains one"),
    "D-sudo-register-cap": Normalisation("compare", "sudo_register refused by taostate with "
                                         "ArithmeticOverflow and accepted by the reference is "
                                         "explained and ends the comparison"),
    "D-sudo-mint": Normalisation("input", "sudo_set_balance and sudo_register_network are not "
                                 "sent: the 2023 chain has no such calls"),
    "D-events": Normalisation("unobservable", "events are not compared; the state is"),
    "D-proposable": Normalisation("input", "a propose whose inner transaction is not Sudo-kind "
                                  "with the all-zero origin is not sent; taostate must refuse it"),
    "D-prune-events": Normalisation("unobservable", "events are not compared; the state is"),
    "D-counter-saturate": Normalisation("unobservable", "needs 65 535 registrations in one "
                                        "interval; no history here comes close"),
    "D-checked-credit": Normalisation("compare", "a transaction refused by taostate with "
                                      "ArithmeticOverflow and accepted by the reference is "
                                      "explained and ends the comparison"),
    "D-work-length": Normalisation("unobservable", "register (PoW) is not exported (D-pow-hash)"),
    "D-generic-setter": Normalisation("input", "sudo_set_hyperparameter becomes the reference's "
                                      "sudo_set_<name>; a name with no reference setter, the wrong "
                                      "scope or a value that does not fit the type is not sent and "
                                      "taostate must refuse it"),
    "D-error-names": Normalisation("compare", "error names are compared through the renaming "
                                   "table ERROR_ALIASES"),
    "D-u64-blocks": Normalisation("input", "a propose whose end (block + duration) does not "
                                  "fit the real runtime's u32 block number is not sent (the "
                                  "reference's addition overflows); taostate's outcome is free"),
    "D-genesis": Normalisation("input", "the harness builds block 0 from taostate's genesis "
                               "record: the root network by the reference's own migration, "
                               "balances, triumvirate membership, global parameters by setters"),
}

# taostate name -> reference names it stands for (D-error-names)
ERROR_ALIASES: dict[str, set[str]] = {
    "BalanceBelowExistentialDeposit": {"ExistentialDeposit", "KeepAlive"},
    "AlreadySenateMember": {"AlreadyMember"}, "AlreadyTriumvirateMember": {"AlreadyMember"},
    "NotSenateMember": {"NotMember"}, "NotTriumvirateMember": {"NotMember"},
    "TooManySenateMembers": {"TooManyMembers"}, "TooManyTriumvirateMembers": {"TooManyMembers"},
    "BadOrigin": {"RequireSudo"},
    "InsufficientBalance": {"BalanceWithdrawalError"},
}

# --------------------------------------------------------------------------------------------- #
# export

SUBNET_SETTERS: dict[str, tuple[str, str]] = {
    "tempo": ("sudo_set_tempo", "u16"), "kappa": ("sudo_set_kappa", "u16"),
    "rho": ("sudo_set_rho", "u16"),
    "bonds_moving_average": ("sudo_set_bonds_moving_average", "u64"),
    "max_allowed_uids": ("sudo_set_max_allowed_uids", "u16"),
    "max_allowed_validators": ("sudo_set_max_allowed_validators", "u16"),
    "min_allowed_weights": ("sudo_set_min_allowed_weights", "u16"),
    "max_weights_limit": ("sudo_set_max_weight_limit", "u16"),
    "activity_cutoff": ("sudo_set_activity_cutoff", "u16"),
    "immunity_period": ("sudo_set_immunity_period", "u16"),
    "weights_set_rate_limit": ("sudo_set_weights_set_rate_limit", "u64"),
    "weights_version_key": ("sudo_set_weights_version_key", "u64"),
    "serving_rate_limit": ("sudo_set_serving_rate_limit", "u64"),
    "max_registrations_per_block": ("sudo_set_max_registrations_per_block", "u16"),
    "target_registrations_per_interval": ("sudo_set_target_registrations_per_interval", "u16"),
    "adjustment_interval": ("sudo_set_adjustment_interval", "u16"),
    "adjustment_alpha": ("sudo_set_adjustment_alpha", "u64"),
    "min_burn": ("sudo_set_min_burn", "u64"), "max_burn": ("sudo_set_max_burn", "u64"),
    "difficulty": ("sudo_set_difficulty", "u64"),
    "min_difficulty": ("sudo_set_min_difficulty", "u64"),
    "max_difficulty": ("sudo_set_max_difficulty", "u64"),
    "network_registration_allowed": ("sudo_set_registration_allowed", "bool"),
    "network_pow_registration_allowed": ("sudo_set_network_pow_registration_allowed", "bool"),
    "validator_prune_len": ("sudo_set_validator_prune_len", "u64"),
    "scaling_law_power": ("sudo_set_scaling_law_power", "u16"),
    "rao_recycled_for_registration": ("sudo_set_rao_recycled", "u64"),
}
GLOBAL_SETTERS: dict[str, tuple[str, str]] = {
    "default_take": ("sudo_set_default_take", "u16"),
    "tx_rate_limit": ("sudo_set_tx_rate_limit", "u64"),
    "subnet_owner_cut": ("sudo_set_subnet_owner_cut", "u16"),
    "network_min_lock_cost": ("sudo_set_network_min_lock_cost", "u64"),
    "network_lock_reduction_interval": ("sudo_set_lock_reduction_interval", "u64"),
    "network_rate_limit": ("sudo_set_network_rate_limit", "u64"),
    "network_immunity_period": ("sudo_set_network_immunity_period", "u64"),
    "subnet_limit": ("sudo_set_subnet_limit", "u16"),
}
OWNER_OR_SUDO = set(SUBNET_SETTERS) - {"tempo", "rao_recycled_for_registration",
                                      "network_pow_registration_allowed"}
_LIMIT = {"u16": 0xFFFF, "u64": 2**64 - 1}


def _fits(kind: str, v: object) -> bool:
    if kind == "bool":
        return isinstance(v, bool)
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= _LIMIT[kind]


def _degenerate(name: str, v: int) -> bool:
    """docs/ruleset.md §1 D-param-bounds."""
    return ((name in ("target_registrations_per_interval", "network_lock_reduction_interval")
             and v == 0) or (name == "bonds_moving_average" and v > 1_000_000)
            or (name == "max_allowed_uids" and v > 32_768))


def _h(a: AccountId | bytes) -> str:
    return bytes(a).hex()


def _skip(dev: str) -> dict[str, Any]:
    return {"call": "skip", "deviation": dev}


SUDO_KINDS = ("SudoRegister", "SudoSetHyperparameter", "SudoSetKey", "SudoTriumvirateAddMember",
              "SudoTriumvirateRemoveMember", "SudoTriumvirateSwapMember", "SudoSenateAddMember",
              "SudoSenateRemoveMember", "SudoDisapproveProposal")


def proposal_hash(t: T.Tx) -> bytes:
    """taostate's proposal identity: BLAKE2b-256 of the msgpack bytes (docs/ruleset.md §12)."""
    return hashlib.blake2b(t.to_msgpack(), digest_size=32).digest()


def export_tx(t: T.Tx, max_block: int = 2**16, nested: bool = False) -> dict[str, Any]:
    """One transaction as the harness's call (or a skip naming the deviation that explains
    why the reference is not asked)."""
    name = type(t).__name__
    o = _h(t.origin)
    sudo = name in SUDO_KINDS

    def call(c: str, *args: Any) -> dict[str, Any]:
        return {"call": c, "origin": o, "sudo": sudo,
                "args": [str(a) if isinstance(a, int) and not isinstance(a, bool) else a
                         for a in args]}

    if isinstance(t, T.Transfer):
        return call("transfer", _h(t.dest), t.amount)
    if isinstance(t, T.AddStake):
        return call("add_stake", _h(t.hotkey), t.amount)
    if isinstance(t, T.RemoveStake):
        return call("remove_stake", _h(t.hotkey), t.amount)
    if isinstance(t, T.BecomeDelegate):
        return call("become_delegate", _h(t.hotkey))
    if isinstance(t, T.RegisterNetwork):
        return call("register_network")
    if isinstance(t, T.DissolveNetwork):
        if bytes(t.origin) == bytes(ZERO_ACCOUNT) and not nested:
            return _skip("D-ownerless")
        return call("dissolve_network", t.netuid)
    if isinstance(t, T.BurnedRegister):
        return call("burned_register", t.netuid, _h(t.hotkey))
    if isinstance(t, T.SudoRegister):
        return call("sudo_register", t.netuid, _h(t.hotkey), _h(t.coldkey), t.stake, t.balance)
    if isinstance(t, T.RootRegister):
        return call("root_register", _h(t.hotkey))
    if isinstance(t, T.SetWeights):
        return call("set_weights", t.netuid, [str(u) for u in t.uids],
                    [str(v) for v in t.values], t.version_key)
    if isinstance(t, T.ServeAxon):
        return call("serve_axon", t.netuid, t.version, t.ip, t.port, t.ip_type, t.protocol,
                    t.placeholder1, t.placeholder2)
    if isinstance(t, T.ServePrometheus):
        return call("serve_prometheus", t.netuid, t.version, t.ip, t.port, t.ip_type)
    if isinstance(t, T.SudoSetHyperparameter):
        if t.name == "total_issuance":
            return _skip("D-total-issuance-setter")
        table = GLOBAL_SETTERS if t.netuid is None else SUBNET_SETTERS
        if t.name not in table:
            return _skip("D-generic-setter")
        setter, kind = table[t.name]
        if not _fits(kind, t.value):
            return _skip("D-generic-setter")
        if kind != "bool" and _degenerate(t.name, int(t.value)):
            return _skip("D-param-bounds")
        if t.netuid is not None and t.name in OWNER_OR_SUDO and bytes(t.origin) == bytes(ZERO_ACCOUNT) \
                and not nested:
            return _skip("D-ownerless")
        if t.netuid is None:
            return call(setter, t.value)
        return call(setter, t.netuid, t.value)
    if isinstance(t, T.SudoSetKey):
        return call("sudo_set_key", _h(t.new))
    if isinstance(t, T.SudoTriumvirateAddMember):
        return call("sudo_triumvirate_add_member", _h(t.member))
    if isinstance(t, T.SudoTriumvirateRemoveMember):
        return call("sudo_triumvirate_remove_member", _h(t.member))
    if isinstance(t, T.SudoTriumvirateSwapMember):
        return call("sudo_triumvirate_swap_member", _h(t.old), _h(t.new))
    if isinstance(t, T.SudoSenateAddMember):
        return call("sudo_senate_add_member", _h(t.hotkey))
    if isinstance(t, T.SudoSenateRemoveMember):
        return call("sudo_senate_remove_member", _h(t.hotkey))
    if isinstance(t, T.SudoDisapproveProposal):
        return call("sudo_disapprove_proposal", t.hash.hex())
    if isinstance(t, T.Propose):
        inner_t = t.transaction
        if type(inner_t).__name__ not in SUDO_KINDS or bytes(inner_t.origin) != bytes(ZERO_ACCOUNT) \
                or isinstance(inner_t, T.SudoSetKey):
            return _skip("D-proposable")
        inner = export_tx(inner_t, max_block, nested=True)
        if inner["call"] == "skip":
            return inner
        if t.duration >= 2**32 - max_block:
            return _skip("D-u64-blocks")
        c = call("propose", t.duration)
        c["inner"] = inner
        c["ts_hash"] = proposal_hash(inner_t).hex()
        return c
    if isinstance(t, T.Vote):
        return call("vote", _h(t.hotkey), t.hash.hex(), t.index, t.approve)
    if isinstance(t, T.Close):
        return call("close", t.hash.hex(), t.index)
    if isinstance(t, T.SwapHotkey):
        return _skip("D-swap-hotkey")
    if isinstance(t, (T.SudoSetBalance, T.SudoRegisterNetwork)):
        return _skip("D-sudo-mint")
    raise ValueError(f"refdiff: no export for {name}")  # Register/Faucet are filtered earlier


def sanitise(h: ts.testing.History) -> ts.testing.History:
    """The input both sides run: PoW registration and faucet dropped (D-pow-hash), genesis
    balances below ED dropped (D-existential)."""
    g = h.genesis
    balances = {k: v for k, v in g.balances.items() if v == 0 or v >= ED}
    genesis = Genesis(balances=balances, sudo=g.sudo, triumvirate=g.triumvirate, params=g.params)
    blocks = [[t for t in txs if not isinstance(t, (T.Register, T.Faucet))] for txs in h.blocks]
    return ts.testing.History(genesis=genesis, blocks=blocks)


def export_history(h: ts.testing.History) -> dict[str, Any]:
    g = h.genesis
    params = []
    for name, value in sorted(g.params.items()):
        setter, _ = GLOBAL_SETTERS[name]
        params.append({"call": setter, "args": [str(int(value))]})
    genesis = {"balances": [[_h(ts.accounts.to_account(k, "balances")), str(v)]
                            for k, v in g.balances.items()],
               "sudo": _h(ts.accounts.to_account(g.sudo, "sudo")),
               "triumvirate": [_h(ts.accounts.to_account(m, "triumvirate"))
                               for m in g.triumvirate],
               "params": params}
    top = len(h.blocks) + 1
    return {"genesis": genesis, "blocks": [[export_tx(t, top) for t in txs] for txs in h.blocks]}


# --------------------------------------------------------------------------------------------- #
# the taostate side


def _accounts_of(h: ts.testing.History) -> list[AccountId]:
    seen: set[bytes] = {bytes(ts.accounts.to_account(k, "b")) for k in h.genesis.balances}
    seen.add(bytes(ts.accounts.to_account(h.genesis.sudo, "sudo")))
    seen |= {bytes(ts.accounts.to_account(m, "t")) for m in h.genesis.triumvirate}

    def walk(t: T.Tx) -> None:
        for f in t._NAMES:
            v = getattr(t, f)
            if isinstance(v, AccountId):
                seen.add(bytes(v))
            elif isinstance(v, T.Tx):
                walk(v)

    for t in h.transactions:
        walk(t)
    return [AccountId(b) for b in sorted(seen)]


def ts_state(chain: Chain, accounts: list[AccountId]) -> dict[str, Any]:
    free = {_h(a): chain.balance(a) for a in chain.accounts() if chain.balance(a)}
    stake = {}
    owners = {}
    for hk in accounts:
        o = chain.owner(hk)
        if o is not None:
            owners[_h(hk)] = _h(o)
        for ck in accounts:
            v = chain.stake(hk, ck)
            if v:
                stake[f"{_h(hk)}/{_h(ck)}"] = v
    subnets = {}
    for netuid in chain.subnets():
        info = chain.subnet(netuid)
        mg = chain._engine.metagraph(netuid)
        n = int(info["n"])
        d: dict[str, Any] = {k: v for k, v in info.items() if k != "netuid"}
        d["owner"] = None if info["owner"] is None else _h(info["owner"])
        d["keys"] = [_h(k) for k in mg["hotkeys"]]
        for k in ("active", "rank", "trust", "consensus", "incentive", "dividends", "emission",
                  "last_update", "pruning_scores", "validator_trust", "validator_permit",
                  "block_at_registration"):
            src = {"rank": "ranks"}.get(k, k)
            d[k] = [bool(x) if k in ("active", "validator_permit") else int(x) for x in mg[src]]
        d["weights"] = [[[int(u), int(w)] for u, w in row] for row in _rows(mg["weights"], n)]
        d["bonds"] = [[[int(u), int(w)] for u, w in row] for row in _rows(mg["bonds"], n)]
        d["n"] = n
        subnets[f"{netuid:05}"] = d
    return {
        "free": free, "stake": stake, "owners": owners,
        "delegates": {_h(h): t for h, t in chain.delegates().items()}, "subnets": subnets,
        "total_stake": chain.total_stake, "total_issuance": chain.total_issuance,
        "block_emission": chain.block_emission,
        "senate": sorted(_h(a) for a in chain.senate()),
        "triumvirate": sorted(_h(a) for a in chain.triumvirate()),
        "proposals": [{"index": p["index"], "threshold": p["threshold"],
                       "ayes": [_h(a) for a in p["ayes"]], "nays": [_h(a) for a in p["nays"]],
                       "end": p["end"]} for p in chain.proposals()],
        "lock_cost": chain.lock_cost(),
    }


def _rows(m: Any, n: int) -> list[list[tuple[int, int]]]:
    """Sparse rows from the metagraph's dense n×n matrix (zero entries dropped)."""
    out = []
    for i in range(n):
        out.append([(j, int(m[i][j])) for j in range(n) if int(m[i][j])])
    return out


@dataclass
class TsRun:
    outcomes: list[list[str]]
    states: list[dict[str, Any]]
    aborted_root: set[int] = field(default_factory=set)


def run_taostate(h: ts.testing.History) -> TsRun:
    accounts = _accounts_of(h)
    outcomes: list[list[str]] = []
    aborted: set[int] = set()
    with Chain.ephemeral(h.genesis) as chain:
        states = [ts_state(chain, accounts)]
        for b, txs in enumerate(h.blocks, start=1):
            out = []
            for t in txs:
                try:
                    chain.submit(t)
                    out.append("ok")
                except TxRejected as e:
                    out.append("err:" + e.code)
            chain.step()
            if any(name == "RootEpochAborted" for name, _ in chain.events(b)):
                aborted.add(b)
            outcomes.append(out)
            states.append(ts_state(chain, accounts))
    return TsRun(outcomes, states, aborted)


# --------------------------------------------------------------------------------------------- #
# compare


@dataclass
class Verdict:
    """``status``: "agree", "explained" (a named deviation ended the comparison early) or
    "diverged" (an unexplained difference, described in ``detail``)."""

    status: str
    deviation: str = ""
    detail: str = ""
    blocks: int = 0
    txs: int = 0
    skips: Counter[str] = field(default_factory=Counter)


def _flatten(x: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(x, dict):
        for k in sorted(x):
            out.update(_flatten(x[k], f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = x
    return out


IGNORED = {"total_issuance", "block_emission", "network_last_lock_cost", "network_last_registered",
           "total_networks"}


def _normalise_ref(state: dict[str, Any]) -> dict[str, Any]:
    s = {k: v for k, v in state.items() if k not in IGNORED}
    for sub in s["subnets"].values():
        sub.pop("loaded_emission", None)
        # taostate exposes weights and bonds as the metagraph's dense n×n matrices: compare the
        # same view (columns < n, zero entries absent). Root weights are columns by netuid, so
        # for the root network this drops netuids ≥ n; they are still compared through the
        # root epoch's EmissionValues.
        n = sub["n"]
        for k in ("weights", "bonds"):
            sub[k] = [[[u, w] for u, w in row if u < n and w] for row in sub[k]]
    return s


def _normalise_ts(state: dict[str, Any]) -> dict[str, Any]:
    s = {k: v for k, v in state.items() if k not in IGNORED}
    return s


def _ref_supply(state: dict[str, Any]) -> int:
    return (sum(state["free"].values()) + sum(state["stake"].values())
            + sum(sub["locked"] for sub in state["subnets"].values()))


def _tx_desc(t: T.Tx) -> str:
    return repr(t)[:300]


def compare(h: ts.testing.History, ref: dict[str, Any], mine: TsRun,
            exported: dict[str, Any]) -> Verdict:
    v = Verdict("agree")
    if "panic" in ref:
        v.status, v.detail = "diverged", f"the reference panicked: {ref['panic']}"
        return v
    ref_blocks = ref["blocks"]
    for b in range(0, len(h.blocks) + 1):
        if b > 0:
            txs = h.blocks[b - 1]
            for i, (t, r, m) in enumerate(zip(txs, ref_blocks[b]["outcomes"], mine.outcomes[b - 1])):
                ex = exported["blocks"][b - 1][i]
                v.txs += 1
                if r == "skip":
                    dev = ex["deviation"]
                    v.skips[dev] += 1
                    if m == "ok" and (dev == "D-u64-blocks" or isinstance(t, T.Propose)):
                        # taostate stored a motion the reference could not be given (its
                        # execution would be refused): the states part here, for that reason
                        return _explained(v, dev, b)
                    if m == "ok":
                        return _diverged(v, b, i, t, "outcome", f"refused ({dev})", m)
                    continue
                if r == m:
                    continue
                if r.startswith("err:") and m.startswith("err:") and \
                        r[4:] in ERROR_ALIASES.get(m[4:], set()):
                    v.skips["D-error-names"] += 1
                    continue
                dev = _explain_outcome(t, r, m, mine.states[b], ref_blocks[b - 1]["state"])
                if dev:
                    return _explained(v, dev, b)
                return _diverged(v, b, i, t, "outcome", r, m)
        rs, ms = ref_blocks[b]["state"], mine.states[b]
        if ms["total_issuance"] != _ref_supply(rs):
            fr = _flatten(_normalise_ref(rs))
            fm = _flatten(_normalise_ts(ms))
            dev = _explain_state(b, rs, ms, fr, fm, mine)
            if dev:
                return _explained(v, dev, b)
            return _diverged(v, b, -1, None, "total_issuance (D-issuance: vs Σfree+Σstake+Σlocked)",
                             _ref_supply(rs), ms["total_issuance"])
        fr = _flatten(_normalise_ref(rs))
        fm = _flatten(_normalise_ts(ms))
        if fr != fm:
            dev = _explain_state(b, rs, ms, fr, fm, mine)
            if dev:
                return _explained(v, dev, b)
            key = next(k for k in sorted(set(fr) | set(fm)) if fr.get(k, "∅") != fm.get(k, "∅"))
            return _diverged(v, b, -1, None, key, fr.get(key, "∅"), fm.get(key, "∅"))
        v.blocks = b
    return v


def _explained(v: Verdict, dev: str, b: int) -> Verdict:
    v.status, v.deviation, v.blocks = "explained", dev, b
    return v


def _diverged(v: Verdict, b: int, i: int, t: T.Tx | None, key: str, r: Any, m: Any) -> Verdict:
    v.status = "diverged"
    where = f"block {b}" + (f", tx {i} {_tx_desc(t)}" if t is not None else " (state)")
    v.detail = f"{where}: {key}: reference={r!r} taostate={m!r}"
    return v


def _explain_outcome(t: T.Tx, r: str, m: str, after_ts: dict[str, Any],
                     before_ref: dict[str, Any]) -> str:
    if m == "err:BalanceBelowExistentialDeposit" or "KeepAlive" in r or "ExistentialDeposit" in r:
        return "D-existential"
    # the reference's keep-alive withdrawal refused to leave the signer below ED, even at 0;
    # taostate allowed it and the signer ends the block below ED
    if r == "err:BalanceWithdrawalError" and m == "ok" and \
            after_ts["free"].get(_h(t.origin), 0) < ED:
        return "D-existential"
    if m == "err:ArithmeticOverflow" and r == "ok":
        return "D-sudo-register-cap" if isinstance(t, T.SudoRegister) else "D-checked-credit"
    if isinstance(t, T.SudoRegister) and m == "err:NetworkDoesNotExist":
        sub = before_ref["subnets"].get(f"{t.netuid:05}")
        if sub is not None and sub["max_allowed_uids"] == 0:
            return "D-zero-max-uids"
    return ""


def _explain_state(b: int, rs: dict[str, Any], ms: dict[str, Any], fr: dict[str, Any],
                   fm: dict[str, Any], mine: TsRun) -> str:
    diff = [k for k in sorted(set(fr) | set(fm)) if fr.get(k, "∅") != fm.get(k, "∅")]
    if any(k.endswith(".emission_value") for k in diff):
        if ms["block_emission"] != REF_BLOCK_EMISSION:
            return "D-halving"
        if b in mine.aborted_root:
            return "D-root-exp-abort"
    if ms["block_emission"] != REF_BLOCK_EMISSION and any(
            k.endswith((".pending_emission", ".emission")) or k.startswith(("free.", "stake."))
            for k in diff):
        return "D-halving"
    # dust: an account below ED on one side only (reaped / destroyed credit in the reference)
    for k in diff:
        if k.startswith("free."):
            a, c = fr.get(k, 0), fm.get(k, 0)
            if a == 0 and 0 < c < ED:
                return "D-existential"
    return ""


# --------------------------------------------------------------------------------------------- #
# histories


def random_histories(n: int, seed: int, max_blocks: int = 8,
                     max_txs: int = 6) -> list[ts.testing.History]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    out: list[ts.testing.History] = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(ts.testing.histories(max_blocks=max_blocks, max_txs_per_block=max_txs))
    def collect(h: ts.testing.History) -> None:
        out.append(h)

    collect()
    return out


def synth_history(cfg: Any) -> ts.testing.History:
    """A `taostate.synth` history recorded as it is generated (rejected submissions included)."""
    from taostate import synth

    s = synth._Synth(cfg)
    genesis = s.genesis()
    blocks: list[list[T.Tx]] = [[]]
    with Chain.ephemeral(genesis) as chain:
        real_submit, real_step = chain.submit, chain.step

        def submit(t: T.Tx) -> Any:
            blocks[-1].append(t)
            return real_submit(t)

        def step(k: int = 1) -> int:
            for _ in range(k):
                blocks.append([])
            return real_step(k)

        chain.submit = submit  # type: ignore[method-assign]
        chain.step = step  # type: ignore[method-assign]
        s.setup(chain)
        while chain.head < cfg.blocks:
            s.block(chain)
            chain.step()
    blocks.pop()  # the block opened after the last step holds nothing
    return ts.testing.History(genesis=genesis, blocks=blocks)


def scenario_history(seed: int, blocks: int = 80, per_block: int = 6) -> ts.testing.History:
    """A seeded random walk over the call families the synthetic chain uses little: subnet
    registration and dissolution, delegation and nomination, serving, weights on small tempos,
    owner-set hyperparameters, root registration and senate motions; amounts are kept well
    above ED so the walk stays inside what both sides define alike."""
    import random

    rng = random.Random(seed)
    tag = f"refdiff/scenario/{seed}"
    owners = [ts.account(f"{tag}/owner/{i}") for i in range(3)]
    users = [ts.account(f"{tag}/user/{i}") for i in range(4)]
    hotkeys = [ts.account(f"{tag}/hotkey/{i}") for i in range(8)]
    sudo = ts.account(f"{tag}/sudo")
    tri = [ts.account(f"{tag}/triumvir/{i}") for i in range(3)]
    balances = {a: 5_000 * ts.TAO for a in owners + users}
    balances.update({sudo: 100_000 * ts.TAO, **{t: 10 * ts.TAO for t in tri}})
    params = {"network_rate_limit": rng.choice([0, 1, 5]), "network_lock_reduction_interval": 10,
              "network_min_lock_cost": 10 * ts.TAO, "subnet_limit": rng.choice([2, 3, 4]),
              "tx_rate_limit": rng.choice([0, 1, 3]), "network_immunity_period": rng.choice([0, 20])}
    genesis = Genesis(balances=balances, sudo=sudo, triumvirate=tri, params=params)
    coldkey_of = {h: rng.choice(owners + users) for h in hotkeys}
    Z = ZERO_ACCOUNT

    def pick_net() -> int:
        return rng.choice([0, 1, 1, 2, 2, 3, 4])

    def one() -> T.Tx:
        h = rng.choice(hotkeys)
        c = coldkey_of[h]
        u = rng.choice(owners + users)
        r = rng.randrange(22)
        amt = rng.choice([ts.TAO, 7 * ts.TAO, 123_456_789, 50 * ts.TAO])
        if r == 0:
            return T.RegisterNetwork(origin=rng.choice(owners))
        if r == 1:
            return T.DissolveNetwork(origin=rng.choice(owners + [sudo]), netuid=pick_net())
        if r in (2, 3):
            return T.BurnedRegister(origin=c, netuid=pick_net(), hotkey=h)
        if r == 4:
            return T.SudoRegister(origin=sudo, netuid=pick_net(), hotkey=h, coldkey=c,
                                  stake=rng.choice([0, ts.TAO, 30 * ts.TAO]),
                                  balance=rng.choice([0, ts.TAO]))
        if r == 5:
            return T.RootRegister(origin=c, hotkey=h)
        if r == 6:
            return T.BecomeDelegate(origin=c, hotkey=h)
        if r in (7, 8):
            return T.AddStake(origin=rng.choice([c, u]), hotkey=h, amount=amt)
        if r == 9:
            return T.RemoveStake(origin=rng.choice([c, u]), hotkey=h, amount=amt // 2)
        if r == 10:
            return T.Transfer(origin=u, dest=rng.choice(owners + users + hotkeys), amount=amt)
        if r in (11, 12, 13):
            n = rng.randrange(1, 3)
            uids = tuple(sorted(rng.sample(range(3), n)))
            return T.SetWeights(origin=h, netuid=pick_net(), uids=uids,
                                values=tuple(rng.randrange(1, 65536) for _ in uids),
                                version_key=0)
        if r == 14:
            return T.ServeAxon(origin=h, netuid=pick_net(), version=1, ip=0x0A000001 + rng.randrange(9),
                               port=8091, ip_type=4, protocol=rng.choice([0, 4]), placeholder1=0,
                               placeholder2=0)
        if r == 15:
            return T.ServePrometheus(origin=h, netuid=pick_net(), version=1, ip=0x0A000002,
                                     port=9090, ip_type=4)
        if r in (16, 17):
            name, value = rng.choice([("tempo", rng.choice([1, 2, 5, 9])),
                                      ("max_allowed_uids", rng.choice([3, 4, 8])),
                                      ("immunity_period", rng.choice([0, 2, 10])),
                                      ("min_allowed_weights", rng.choice([0, 1, 2])),
                                      ("min_allowed_weights", rng.choice([0, 1])),
                                      ("max_weights_limit", rng.choice([65535, 30000])),
                                      ("weights_set_rate_limit", 0),
                                      ("max_registrations_per_block", rng.choice([1, 3])),
                                      ("target_registrations_per_interval", rng.choice([1, 2])),
                                      ("adjustment_interval", rng.choice([2, 5])),
                                      ("activity_cutoff", rng.choice([3, 5000])),
                                      ("kappa", 40_000), ("rho", 12),
                                      ("max_allowed_validators", rng.choice([2, 4]))])
            return T.SudoSetHyperparameter(origin=rng.choice([sudo, rng.choice(owners)]),
                                           netuid=pick_net(), name=name, value=value)
        if r == 18:
            return T.SudoSenateAddMember(origin=sudo, hotkey=h)
        if r == 19:
            inner = T.SudoSetHyperparameter(origin=Z, netuid=pick_net(), name="tempo",
                                            value=rng.choice([3, 4]))
            return T.Propose(origin=rng.choice(tri), transaction=inner,
                             duration=rng.choice([3600, 3601]))
        if r == 20:
            return T.Vote(origin=c, hotkey=h, hash=bytes(proposal_hash(T.SudoSetHyperparameter(
                origin=Z, netuid=pick_net(), name="tempo", value=rng.choice([3, 4])))),
                index=rng.randrange(3), approve=rng.random() < 0.8)
        inner = T.SudoSetHyperparameter(origin=Z, netuid=pick_net(), name="tempo",
                                        value=rng.choice([3, 4]))
        return T.Close(origin=rng.choice(tri), hash=proposal_hash(inner), index=rng.randrange(3))

    return ts.testing.History(genesis=genesis,
                              blocks=[[one() for _ in range(rng.randrange(per_block + 1))]
                                      for _ in range(blocks)])


# --------------------------------------------------------------------------------------------- #
# the run


def run_reference(ref: Path, exported: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    inp, out = work / "in.json", work / "out.jsonl"
    inp.write_text(json.dumps({"histories": exported}))
    env = dict(os.environ, REFDIFF_IN=str(inp), REFDIFF_OUT=str(out))
    subprocess.run(["cargo", "test", "-q", "-p", "pallet-subtensor", "--test", "refdiff", "-j", "2",
                    "--", "--nocapture"], cwd=ref, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [json.loads(line) for line in out.read_text().splitlines()]


def run(ref: Path, histories: Iterable[tuple[str, ts.testing.History]], work: Path,
        batch: int = 200, log: Callable[[str], None] = print) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    totals: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    divergences: list[str] = []
    pending: list[tuple[str, ts.testing.History]] = []

    def flush() -> None:
        hs = [(label, sanitise(h)) for label, h in pending]
        exported = [export_history(h) for _, h in hs]
        refs = run_reference(ref, exported, work)
        for (label, h), e, r in zip(hs, exported, refs):
            mine = run_taostate(h)
            v = compare(h, r, mine, e)
            totals["histories"] += 1
            totals["blocks"] += v.blocks
            totals["txs"] += v.txs
            totals["epochs"] += _epochs(r, v.blocks)
            totals["root_epochs"] += _root_epochs(r, v.blocks)
            skips.update(v.skips)
            totals[v.status] += 1
            if v.status == "explained":
                settled[v.deviation] += 1
            if v.status == "diverged":
                divergences.append(f"{label}: {v.detail}")
                keep = work / "diverged"
                keep.mkdir(exist_ok=True)
                with open(keep / (label.replace("/", "_") + ".pickle"), "wb") as f:
                    pickle.dump(h, f)
                log(f"DIVERGENCE {label}: {v.detail}")
        pending.clear()
        log(f"  {dict(totals)}")

    for item in histories:
        pending.append(item)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return {"totals": dict(totals), "ended_by_deviation": dict(settled),
            "not_sent_or_renamed": dict(skips), "divergences": divergences}


def _epochs(ref: dict[str, Any], upto: int) -> int:
    """Subnet epochs run in the compared blocks (a subnet's BlocksSinceLastStep reset to 0)."""
    if "blocks" not in ref:
        return 0
    n = 0
    for blk in ref["blocks"][1:upto + 1]:
        for sub in blk["state"]["subnets"].values():
            if sub["last_mechanism_step_block"] == blk["block"]:
                n += 1
    return n


def _root_epochs(ref: dict[str, Any], upto: int) -> int:
    """Root epochs run in the compared blocks (docs/ruleset.md §5: the root netuid's epoch
    block by its tempo)."""
    if "blocks" not in ref:
        return 0
    n = 0
    for blk in ref["blocks"][1:upto + 1]:
        root = blk["state"]["subnets"].get("00000")
        if root and ts._core.blocks_until_next_epoch(0, root["tempo"], blk["block"]) == 0:
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["run"])
    p.add_argument("--ref", required=True, type=Path, help="the prepared reference checkout")
    p.add_argument("--random", type=int, default=200, help="random histories (testing.histories)")
    p.add_argument("--max-blocks", type=int, default=8)
    p.add_argument("--max-txs", type=int, default=6)
    p.add_argument("--synth", type=int, default=0, help="synthetic histories (taostate.synth)")
    p.add_argument("--synth-blocks", type=int, default=300)
    p.add_argument("--scenarios", type=int, default=0, help="scenario walks (scenario_history)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=Path("/tmp/refdiff"))
    a = p.parse_args(argv)
    t0 = time.time()

    def items() -> Iterable[tuple[str, ts.testing.History]]:
        from taostate.synth import SynthConfig

        for k in range(a.synth):
            cfg = SynthConfig(subnets=3, uids=12, validators=4, blocks=a.synth_blocks,
                              tx_per_block=4, users=12, tempo=20 + k % 30, seed=a.seed + k,
                              snapshot_every=10_000, governance_every=150)
            yield f"synth/{a.seed + k}", synth_history(cfg)
        for k in range(a.scenarios):
            yield f"scenario/{a.seed + k}", scenario_history(a.seed + k)
        chunk = 100
        for start in range(0, a.random, chunk):
            for j, h in enumerate(random_histories(min(chunk, a.random - start), a.seed + start)):
                yield f"random/{a.seed}+{start + j}", h

    result = run(a.ref, items(), a.work)
    result["seconds"] = round(time.time() - t0)
    print(json.dumps(result, indent=1, sort_keys=True))
    return 1 if result["divergences"] else 0


if __name__ == "__main__":
    sys.exit(main())
