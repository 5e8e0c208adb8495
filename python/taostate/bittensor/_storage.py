"""The chain's storage items, by the names the SDK queries, read from a taostate state.

`Storage(state, keys, globals)` answers `get(name, params)` (one storage value, as the node's
decoded `.value`) and `entries(name, params)` (a storage map's `(key, value)` pairs) for the
SubtensorModule items of docs/ruleset.md §0.6 and §13. Accounts come back as the SDK sees them
(`Keys.name`), amounts in rao, proportions as u16, exactly as the node stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..accounts import AccountId
from ..queries import Metagraph, Queries
from ._keys import ZERO_SS58, Keys

# storage name -> key of `Queries.subnet()` (per-subnet values, params = [netuid])
SUBNET_ITEMS: dict[str, str] = {
    "Rho": "rho", "Kappa": "kappa", "Difficulty": "difficulty", "ImmunityPeriod": "immunity_period",
    "MaxAllowedValidators": "max_allowed_validators", "MinAllowedWeights": "min_allowed_weights",
    "MaxWeightsLimit": "max_weights_limit", "ScalingLawPower": "scaling_law_power",
    "SubnetworkN": "n", "MaxAllowedUids": "max_allowed_uids", "NetworkModality": "modality",
    "BlocksSinceLastStep": "blocks_since_last_step", "Tempo": "tempo",
    "EmissionValues": "emission_value", "Burn": "burn",
    "WeightsSetRateLimit": "weights_set_rate_limit", "WeightsVersionKey": "weights_version_key",
    "ServingRateLimit": "serving_rate_limit", "ActivityCutoff": "activity_cutoff",
    "AdjustmentAlpha": "adjustment_alpha", "AdjustmentInterval": "adjustment_interval",
    "BondsMovingAverage": "bonds_moving_average", "MinBurn": "min_burn", "MaxBurn": "max_burn",
    "MinDifficulty": "min_difficulty", "MaxDifficulty": "max_difficulty",
    "NetworkRegistrationAllowed": "network_registration_allowed",
    "NetworkPowRegistrationAllowed": "network_pow_registration_allowed",
    "TargetRegistrationsPerInterval": "target_registrations_per_interval",
    "MaxRegistrationsPerBlock": "max_registrations_per_block",
    "ValidatorPruneLen": "validator_prune_len",
    "RAORecycledForRegistration": "rao_recycled_for_registration",
    "PendingEmission": "pending_emission", "LastMechanismStepBlock": "last_mechanism_step_block",
    "LastAdjustmentBlock": "last_adjustment_block",
    "RegistrationsThisBlock": "registrations_this_block",
    "RegistrationsThisInterval": "registrations_this_interval",
    "POWRegistrationsThisInterval": "pow_registrations_this_interval",
    "BurnRegistrationsThisInterval": "burn_registrations_this_interval",
    "SubnetLocked": "locked", "NetworkRegisteredAt": "registered_at", "SubnetOwner": "owner",
}
# The SDK's older spellings of the same items.
SUBNET_ITEMS["MaxWeightLimit"] = "max_weights_limit"
SUBNET_ITEMS["BlocksSinceEpoch"] = "blocks_since_last_step"

# storage name -> field of `Queries.metagraph()` (per-uid vectors, params = [netuid])
VECTOR_ITEMS: dict[str, str] = {
    "Rank": "ranks_u16", "Trust": "trust_u16", "Consensus": "consensus_u16",
    "Incentive": "incentive_u16", "Dividends": "dividends_u16",
    "ValidatorTrust": "validator_trust_u16", "Emission": "emission", "Active": "active",
    "LastUpdate": "last_update", "PruningScores": "pruning_scores",
    "ValidatorPermit": "validator_permit",
}

# storage name -> global parameter (docs/ruleset.md §13.2)
GLOBAL_ITEMS: dict[str, str] = {
    "TxRateLimit": "tx_rate_limit", "DefaultTake": "default_take",
    "SubnetOwnerCut": "subnet_owner_cut", "NetworkMinLockCost": "network_min_lock_cost",
    "NetworkLockReductionInterval": "network_lock_reduction_interval",
    "NetworkRateLimit": "network_rate_limit", "NetworkImmunityPeriod": "network_immunity_period",
    "SubnetLimit": "subnet_limit",
}

ROOT_DELEGATE_TAKE = 11_796
"""docs/ruleset.md §8.6: the take a root registration gives a hotkey that is not a delegate."""


class Storage:
    """Storage reads over one state (a live `Chain` or a `View`); cached until the state moves."""

    def __init__(self, state: Queries, keys: Keys) -> None:
        self.state = state
        self.keys = keys
        self._mg: dict[int, Metagraph] = {}
        self._sn: dict[int, dict[str, Any]] = {}
        self._rows: dict[tuple[str, int], list[list[tuple[int, int]]]] = {}
        self._globals: dict[str, int] | None = None

    # ---- cached reads -------------------------------------------------------------------
    def exists(self, netuid: int) -> bool:
        return isinstance(netuid, int) and netuid in self.state.subnets()

    def subnet(self, netuid: int) -> dict[str, Any] | None:
        if not self.exists(netuid):
            return None
        if netuid not in self._sn:
            self._sn[netuid] = self.state.subnet(netuid)
        return self._sn[netuid]

    def metagraph(self, netuid: int) -> Metagraph | None:
        if not self.exists(netuid):
            return None
        if netuid not in self._mg:
            self._mg[netuid] = self.state.metagraph(netuid)
        return self._mg[netuid]

    def nominators(self, hotkey: AccountId) -> dict[AccountId, int]:
        """`Stake[hotkey]`: coldkey -> rao, ascending coldkey, as stored (zeros included)."""
        return self.state.stakes(hotkey)

    def rows(self, which: str, netuid: int) -> list[list[tuple[int, int]]]:
        """`Weights` or `Bonds` rows of a subnet as stored."""
        key = (which, netuid)
        if key not in self._rows:
            rows = self.state.weight_rows if which == "Weights" else self.state.bond_rows
            self._rows[key] = rows(netuid) if self.exists(netuid) else []
        return self._rows[key]

    def global_param(self, name: str) -> int:
        if self._globals is None:
            self._globals = self.state.global_params()
        return self._globals[name]

    # ---- single values ------------------------------------------------------------------
    def get(self, name: str, params: list[Any]) -> Any:
        """The decoded value of storage item `name` at `params` (None where the node has none)."""
        fn = _ITEMS.get(name)
        if fn is not None:
            return fn(self, params)
        if name in SUBNET_ITEMS:
            info = self.subnet(_netuid(params))
            if info is None:
                return None
            value = info[SUBNET_ITEMS[name]]
            if name == "SubnetOwner":
                return self.keys.name(value) if value is not None else ZERO_SS58
            return value
        if name in VECTOR_ITEMS:
            mg = self.metagraph(_netuid(params))
            if mg is None:
                return []
            vec = getattr(mg, VECTOR_ITEMS[name])
            return [bool(v) if vec.dtype == bool else int(v) for v in vec]
        if name in GLOBAL_ITEMS:
            return self.global_param(GLOBAL_ITEMS[name])
        raise KeyError(name)

    def entries(self, name: str, params: list[Any]) -> list[tuple[Any, Any]]:
        """The `(key, value)` pairs of the storage map `name` under the prefix `params`."""
        if name == "NetworksAdded":
            return [(n, True) for n in self.state.subnets()]
        if name == "Stake" and len(params) == 1:
            hk = self.keys.account(params[0], "hotkey")
            return [(self.keys.name(c), x) for c, x in self.nominators(hk).items()]
        if name in ("Weights", "Bonds", "Keys", "BlockAtRegistration") and len(params) == 1:
            mg = self.metagraph(_netuid(params))
            if mg is None:
                return []
            return [(uid, self.get(name, [params[0], uid])) for uid in range(mg.n)]
        if name in ("Uids", "Axons", "Prometheus") and len(params) == 1:
            mg = self.metagraph(_netuid(params))
            if mg is None:
                return []
            out = []
            for hk in mg.hotkeys:
                v = self.get(name, [params[0], hk])
                if v is not None:
                    out.append((self.keys.name(hk), v))
            return out
        if name in VECTOR_ITEMS and not params:
            return [(n, self.get(name, [n])) for n in self.state.subnets()]
        if name in SUBNET_ITEMS and not params:
            return [(n, self.get(name, [n])) for n in self.state.subnets()]
        if name == "Delegates" and not params:
            return [(self.keys.name(h), t) for h, t in self.state.delegates().items()]
        if name == "Owner" and not params:
            out = []
            for a in self.state.accounts():
                o = self.state.owner(a)
                if o is not None:
                    out.append((self.keys.name(a), self.keys.name(o)))
            return out
        if name == "IsNetworkMember" and len(params) == 1:
            hk = self.keys.account(params[0], "hotkey")
            return [(n, True) for n in self.state.subnets() if self.state.uid(n, hk) is not None]
        if name == "NetworkConnect":
            return []
        raise KeyError(name)


def _netuid(params: list[Any]) -> int:
    if not params:
        raise KeyError("this storage item needs a netuid")
    return int(params[0])


def _account_param(st: Storage, params: list[Any], i: int, what: str) -> AccountId:
    if len(params) <= i:
        raise KeyError(f"this storage item needs a {what}")
    return st.keys.account(params[i], what)


def _owner(st: Storage, p: list[Any]) -> Any:
    o = st.state.owner(_account_param(st, p, 0, "hotkey"))
    return ZERO_SS58 if o is None else st.keys.name(o)


def _uids(st: Storage, p: list[Any]) -> Any:
    if not st.exists(_netuid(p)):
        return None
    return st.state.uid(_netuid(p), _account_param(st, p, 1, "hotkey"))


def _keys_item(st: Storage, p: list[Any]) -> Any:
    mg = st.metagraph(_netuid(p))
    uid = int(p[1])
    if mg is None or not 0 <= uid < mg.n:
        return ZERO_SS58
    return st.keys.name(mg.hotkeys[uid])


def _matrix(which: str) -> Callable[[Storage, list[Any]], Any]:
    def get(st: Storage, p: list[Any]) -> Any:
        rows = st.rows(which, _netuid(p))
        uid = int(p[1])
        return list(rows[uid]) if 0 <= uid < len(rows) else []
    return get


def _bar(st: Storage, p: list[Any]) -> Any:
    mg = st.metagraph(_netuid(p))
    uid = int(p[1])
    if mg is None or not 0 <= uid < mg.n:
        return 0
    return int(mg.block_at_registration[uid])


def _axon(st: Storage, p: list[Any]) -> Any:
    return st.state.axon(_netuid(p), _account_param(st, p, 1, "hotkey"))


def _prometheus(st: Storage, p: list[Any]) -> Any:
    return st.state.prometheus(_netuid(p), _account_param(st, p, 1, "hotkey"))


def _delegates(st: Storage, p: list[Any]) -> Any:
    hk = _account_param(st, p, 0, "hotkey")
    return st.state.delegates().get(hk, ROOT_DELEGATE_TAKE)


def _is_member(st: Storage, p: list[Any]) -> Any:
    hk = _account_param(st, p, 0, "hotkey")
    return st.exists(_netuid(p[1:])) and st.state.uid(int(p[1]), hk) is not None


def _senate(st: Storage, p: list[Any]) -> Any:
    return [st.keys.name(a) for a in st.state.senate()]


_ITEMS: dict[str, Callable[[Storage, list[Any]], Any]] = {
    "TotalIssuance": lambda st, p: st.state.total_issuance,
    "TotalStake": lambda st, p: st.state.total_stake,
    "BlockEmission": lambda st, p: st.state.block_emission,
    "TotalNetworks": lambda st, p: len(st.state.subnets()),
    "NominatorMinRequiredStake": lambda st, p: 0,
    "NetworksAdded": lambda st, p: st.exists(_netuid(p)),
    "Owner": _owner,
    "Stake": lambda st, p: st.state.stake(_account_param(st, p, 0, "hotkey"),
                                          _account_param(st, p, 1, "coldkey")),
    "TotalHotkeyStake": lambda st, p: st.state.stake(_account_param(st, p, 0, "hotkey")),
    "TotalColdkeyStake": lambda st, p: st.state.coldkey_stake(_account_param(st, p, 0, "coldkey")),
    "Delegates": _delegates,
    "IsNetworkMember": _is_member,
    "Uids": _uids,
    "Keys": _keys_item,
    "Weights": _matrix("Weights"),
    "Bonds": _matrix("Bonds"),
    "BlockAtRegistration": _bar,
    "Axons": _axon,
    "Prometheus": _prometheus,
    "SenateMembers": _senate,
}
