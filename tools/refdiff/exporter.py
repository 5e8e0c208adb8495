"""The exporter: taostate histories as the JSON the harness (``harness.rs``, run inside a reference
checkout) reads — the genesis, then each transaction as the reference's call, or a skip naming the
deviation (``deviations.NORMALISATIONS``) that explains why the reference is not asked.
:func:`sanitise` makes the input both sides run.
"""

from __future__ import annotations

import hashlib
from typing import Any

import taostate as ts
import taostate.testing  # noqa: F401  (ts.testing)
from deviations import ED
from taostate import tx as T
from taostate.accounts import ZERO_ACCOUNT, AccountId
from taostate.chain import Genesis

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


def hexkey(a: AccountId | bytes) -> str:
    """An account as the harness's JSON names it (hex of the 32 bytes)."""
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
    o = hexkey(t.origin)
    sudo = name in SUDO_KINDS

    def call(c: str, *args: Any) -> dict[str, Any]:
        return {"call": c, "origin": o, "sudo": sudo,
                "args": [str(a) if isinstance(a, int) and not isinstance(a, bool) else a
                         for a in args]}

    if isinstance(t, T.Transfer):
        return call("transfer", hexkey(t.dest), t.amount)
    if isinstance(t, T.AddStake):
        return call("add_stake", hexkey(t.hotkey), t.amount)
    if isinstance(t, T.RemoveStake):
        return call("remove_stake", hexkey(t.hotkey), t.amount)
    if isinstance(t, T.BecomeDelegate):
        return call("become_delegate", hexkey(t.hotkey))
    if isinstance(t, T.RegisterNetwork):
        return call("register_network")
    if isinstance(t, T.DissolveNetwork):
        if bytes(t.origin) == bytes(ZERO_ACCOUNT) and not nested:
            return _skip("D-ownerless")
        return call("dissolve_network", t.netuid)
    if isinstance(t, T.BurnedRegister):
        return call("burned_register", t.netuid, hexkey(t.hotkey))
    if isinstance(t, T.SudoRegister):
        return call("sudo_register", t.netuid, hexkey(t.hotkey), hexkey(t.coldkey), t.stake, t.balance)
    if isinstance(t, T.RootRegister):
        return call("root_register", hexkey(t.hotkey))
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
        return call("sudo_set_key", hexkey(t.new))
    if isinstance(t, T.SudoTriumvirateAddMember):
        return call("sudo_triumvirate_add_member", hexkey(t.member))
    if isinstance(t, T.SudoTriumvirateRemoveMember):
        return call("sudo_triumvirate_remove_member", hexkey(t.member))
    if isinstance(t, T.SudoTriumvirateSwapMember):
        return call("sudo_triumvirate_swap_member", hexkey(t.old), hexkey(t.new))
    if isinstance(t, T.SudoSenateAddMember):
        return call("sudo_senate_add_member", hexkey(t.hotkey))
    if isinstance(t, T.SudoSenateRemoveMember):
        return call("sudo_senate_remove_member", hexkey(t.hotkey))
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
        return call("vote", hexkey(t.hotkey), t.hash.hex(), t.index, t.approve)
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
    genesis = {"balances": [[hexkey(ts.accounts.to_account(k, "balances")), str(v)]
                            for k, v in g.balances.items()],
               "sudo": hexkey(ts.accounts.to_account(g.sudo, "sudo")),
               "triumvirate": [hexkey(ts.accounts.to_account(m, "triumvirate"))
                               for m in g.triumvirate],
               "params": params}
    top = len(h.blocks) + 1
    return {"genesis": genesis, "blocks": [[export_tx(t, top) for t in txs] for txs in h.blocks]}
