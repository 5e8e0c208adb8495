"""The genesis record (docs/design.md §2, docs/WIRE.md): `Genesis`, and real chain state as a
genesis — `Genesis.from_neurons` imports subnets from the bittensor SDK's `NeuronInfo` lists, a
full metagraph (`lite=False`) or the chain's SCALE-encoded `get_neurons` answer.

A genesis may be the state after block b₀ (`block`, default 0): the chain's first block is then
b₀ + 1, so imported `last_update` and registration blocks keep their ages and epochs fall on the
same blocks as on the real chain (docs/ruleset.md §9.5). The core checks every imported value
(`InvalidGenesis` naming the field); this module converts and merges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, SupportsInt, cast

import msgpack

from .accounts import account, to_account
from .errors import InvalidGenesis
from .scale import RawNeuron, decode_neurons

__all__ = ["Genesis", "NeuronImport", "SubnetImport", "SDK_HYPERPARAMETERS"]

RULESET = "finney-2023"
U16_MAX = 65535

# The SDK's `SubnetHyperparameters` field names -> docs/ruleset.md §13.1 names (others are equal).
SDK_HYPERPARAMETERS: dict[str, str] = {
    "max_weight_limit": "max_weights_limit", "weights_version": "weights_version_key",
    "weights_rate_limit": "weights_set_rate_limit", "registration_allowed": "network_registration_allowed",
    "target_regs_per_interval": "target_registrations_per_interval",
    "bonds_moving_avg": "bonds_moving_average", "max_regs_per_block": "max_registrations_per_block",
    "max_validators": "max_allowed_validators",
}
# SDK fields that are not finney-2023 parameters; ignored when they hold their off value.
_SDK_ONLY = frozenset({"commit_reveal_weights_interval", "commit_reveal_weights_enabled", "alpha_high",
                       "alpha_low", "liquid_alpha_enabled"})


@dataclass(frozen=True)
class NeuronImport:
    """One uid of an imported subnet, in the chain's units (u16 ratios, rao)."""

    hotkey: Any
    coldkey: Any
    stake: Mapping[Any, int] = field(default_factory=dict)  # coldkey -> rao (the hotkey's, all subnets)
    registered_at: int = 0
    last_update: int = 0
    active: bool = True
    validator_permit: bool = False
    rank: int = 0
    trust: int = 0
    consensus: int = 0
    incentive: int = 0
    dividends: int = 0
    emission: int = 0
    validator_trust: int = 0
    pruning_score: int = 0
    weights: Sequence[tuple[int, int]] = ()
    bonds: Sequence[tuple[int, int]] = ()
    axon: Mapping[str, int] | None = None  # block, version, ip, port, ip_type, protocol, placeholder1/2
    prometheus: Mapping[str, int] | None = None  # block, version, ip, port, ip_type

    def _wire(self, where: str) -> list[Any]:
        def num(name: str, v: object, hi: int) -> int:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
                raise InvalidGenesis(f"{where}.{name}: {v!r} is not an int in 0..{hi}", field=f"{where}.{name}")
            return v

        def rows(name: str, r: Sequence[tuple[int, int]]) -> list[list[int]]:
            return [[num(f"{name}[{k}]", int(u), U16_MAX), num(f"{name}[{k}]", int(w), U16_MAX)]
                    for k, (u, w) in enumerate(r)]

        def info(name: str, d: Mapping[str, int] | None, keys: tuple[str, ...]) -> list[Any] | None:
            if d is None:
                return None
            out: list[Any] = []
            for k in keys:
                v = d.get(k, 0)
                out.append(num(f"{name}.ip", v, 2**128 - 1).to_bytes(16, "big") if k == "ip"
                           else num(f"{name}.{k}", v, 2**64 - 1))
            return out

        u64 = 2**64 - 1
        return [bytes(to_account(self.hotkey, f"{where}.hotkey")), bytes(to_account(self.coldkey, f"{where}.coldkey")),
                num("registered_at", self.registered_at, u64), num("last_update", self.last_update, u64),
                bool(self.active), bool(self.validator_permit),
                num("rank", self.rank, U16_MAX), num("trust", self.trust, U16_MAX),
                num("consensus", self.consensus, U16_MAX), num("incentive", self.incentive, U16_MAX),
                num("dividends", self.dividends, U16_MAX), num("emission", self.emission, u64),
                num("validator_trust", self.validator_trust, U16_MAX),
                num("pruning_score", self.pruning_score, U16_MAX),
                rows("weights", self.weights), rows("bonds", self.bonds),
                info("axon", self.axon, ("block", "version", "ip", "port", "ip_type", "protocol",
                                         "placeholder1", "placeholder2")),
                info("prometheus", self.prometheus, ("block", "version", "ip", "port", "ip_type"))]


@dataclass(frozen=True)
class SubnetImport:
    """An imported subnet: its neurons by uid (uid = position), parameters (docs/ruleset.md §13.1
    names; the rest at the defaults of a new subnet, §9.3) and emission state."""

    netuid: int
    neurons: Sequence[NeuronImport]
    params: Mapping[str, int | bool] = field(default_factory=dict)
    owner: Any = None
    locked: int = 0
    emission_value: int = 0  # rao per block (EmissionValues)
    pending_emission: int = 0  # rao accumulated for the next epoch


@dataclass(frozen=True)
class Genesis:
    """The genesis record (docs/design.md §2): balances, sudo key, triumvirate, global
    parameters; for imported chain state also the block it is the state of and the subnets."""

    balances: Mapping[Any, int] = field(default_factory=dict)
    sudo: Any = None
    triumvirate: Sequence[Any] = ()
    params: Mapping[str, int | bool] = field(default_factory=dict)
    block: int = 0
    subnets: Sequence[SubnetImport] = ()

    def to_msgpack(self) -> bytes:
        if self.sudo is None:
            raise InvalidGenesis("Genesis.sudo: a sudo account is required")
        balances = []
        for k, v in self.balances.items():
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**64:
                raise InvalidGenesis(f"Genesis.balances: {v!r} is not a rao amount (0 ≤ int < 2**64)")
            balances.append([bytes(to_account(k, "Genesis.balances")), int(v)])
        balances.sort()
        _check_params(self.params, "Genesis.params")
        if isinstance(self.block, bool) or not isinstance(self.block, int) or not 0 <= self.block < 2**64 - 1:
            raise InvalidGenesis(f"Genesis.block: {self.block!r} is not a block number", field="genesis.block")
        record: dict[str, Any] = {}
        if self.block:  # absent = 0: a genesis without imported state keeps its old bytes
            record["block"] = self.block
        record.update({
            "balances": balances,
            "sudo": bytes(to_account(self.sudo, "Genesis.sudo")),
            "triumvirate": [bytes(to_account(m, "Genesis.triumvirate")) for m in self.triumvirate],
            "params": dict(sorted(self.params.items())),
            "ruleset": RULESET,
        })
        if self.subnets:
            record["stakes"] = _stakes(self.subnets)
            record["subnets"] = [_subnet_wire(s, f"genesis.subnets[{i}]") for i, s in enumerate(self.subnets)]
        packed: bytes = msgpack.packb(record, use_bin_type=True)
        return packed

    @classmethod
    def from_neurons(cls, *sources: Any, block: int | None = None, sudo: Any = None,
                     balances: Mapping[Any, int] | None = None, triumvirate: Sequence[Any] = (),
                     params: Mapping[str, int | bool] | None = None,
                     hyperparameters: Mapping[int, Any] | None = None,
                     emission_values: Mapping[int, int] | None = None,
                     pending_emissions: Mapping[int, int] | None = None,
                     owners: Mapping[int, Any] | None = None) -> Genesis:
        """A genesis holding the subnets of `sources`, each one subnet's neurons as: the SDK's
        `NeuronInfo` list (`subtensor.neurons(netuid)`), a full metagraph (`metagraph(netuid,
        lite=False)`), the chain's SCALE-encoded `get_neurons` answer (bytes or hex), or a
        `SubnetImport` (taken as it is).

        `block`: the block the state is from (default: the latest block the neurons mention —
        last updates, axon and prometheus blocks). `hyperparameters[netuid]`: the subnet's
        parameters, a mapping of docs/ruleset.md §13.1 names or the SDK's `SubnetHyperparameters`
        (else the defaults of a new subnet, §9.3). `emission_values` / `pending_emissions`
        [netuid]: rao per block / rao waiting for the next epoch (default 0: the SDK's neuron
        lists do not carry them). The stakes are the neurons' per-coldkey stakes; TotalIssuance
        is the sum of balances, stakes and locks (docs/ruleset.md §1.2). `sudo` defaults to
        `account("sudo")`. Registration blocks are 0 unless a `NeuronImport` gives them (the
        chain's neuron info does not carry them)."""
        subnets: list[SubnetImport] = []
        for i, src in enumerate(sources):
            if isinstance(src, SubnetImport):
                subnets.append(src)
                continue
            netuid, neurons = _neurons_of(src, f"source {i}")
            hp = (hyperparameters or {}).get(netuid)
            subnets.append(SubnetImport(
                netuid=netuid, neurons=neurons, params=_hyperparameters(hp, netuid),
                owner=(owners or {}).get(netuid),
                emission_value=int((emission_values or {}).get(netuid, 0)),
                pending_emission=int((pending_emissions or {}).get(netuid, 0))))
        if not subnets:
            raise InvalidGenesis("Genesis.from_neurons: no subnet given", field="genesis.subnets")
        if block is None:
            block = max((_latest_block(n) for s in subnets for n in s.neurons), default=0)
        return cls(balances=dict(balances or {}), sudo=account("sudo") if sudo is None else sudo,
                   triumvirate=triumvirate, params=dict(params or {}), block=block, subnets=subnets)


def _check_params(params: Mapping[str, object], where: str) -> None:
    for name, value in params.items():
        if not isinstance(name, str):
            raise InvalidGenesis(f"{where}: parameter names are strings, got {name!r}")
        if not isinstance(value, (bool, int)) or (not isinstance(value, bool) and not 0 <= value < 2**64):
            raise InvalidGenesis(f"{where}.{name}: {value!r} is not a bool or u64")


def _subnet_wire(s: SubnetImport, where: str) -> dict[str, Any]:
    _check_params(s.params, f"{where}.params")
    out: dict[str, Any] = {"netuid": s.netuid, "params": dict(sorted(s.params.items()))}
    if s.owner is not None:
        out["owner"] = bytes(to_account(s.owner, f"{where}.owner"))
    for name in ("locked", "emission_value", "pending_emission"):
        v = getattr(s, name)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**64:
            raise InvalidGenesis(f"{where}.{name}: {v!r} is not a rao amount", field=f"{where}.{name}")
        out[name] = v
    out["neurons"] = [n._wire(f"{where}.neurons[{uid}]") for uid, n in enumerate(s.neurons)]
    return out


def _stakes(subnets: Sequence[SubnetImport]) -> list[list[Any]]:
    """`[hotkey, coldkey, rao]` rows: a hotkey's stake once, however many subnets it is in (the
    copies must agree)."""
    seen: dict[bytes, dict[bytes, int]] = {}
    for i, s in enumerate(subnets):
        for uid, n in enumerate(s.neurons):
            where = f"genesis.subnets[{i}].neurons[{uid}].stake"
            h = bytes(to_account(n.hotkey, where))
            st = {bytes(to_account(c, where)): int(v) for c, v in n.stake.items()}  # zeros kept, as stored
            if h in seen and seen[h] != st:
                raise InvalidGenesis(f"{where}: the stake of hotkey {to_account(h, where)} differs from "
                                     f"its stake in another imported subnet", field=where)
            seen[h] = st
    return sorted([h, c, v] for h, m in seen.items() for c, v in m.items())


def _latest_block(n: NeuronImport) -> int:
    return max(n.last_update, n.registered_at, (n.axon or {}).get("block", 0),
               (n.prometheus or {}).get("block", 0))


def _hyperparameters(hp: Any, netuid: int) -> dict[str, int | bool]:
    if hp is None:
        return {}
    if isinstance(hp, Mapping):
        items = dict(hp)
    elif hasattr(hp, "__dataclass_fields__") or hasattr(hp, "__dict__"):  # the SDK's SubnetHyperparameters
        items = {k: v for k, v in vars(hp).items() if not k.startswith("_")}
    else:
        raise InvalidGenesis(f"hyperparameters[{netuid}]: a mapping or the SDK's SubnetHyperparameters, "
                             f"got {type(hp).__name__}", field="hyperparameters")
    out: dict[str, int | bool] = {}
    for k, v in items.items():
        if k in _SDK_ONLY:
            if v:
                raise InvalidGenesis(f"hyperparameters[{netuid}].{k} = {v!r}: finney-2023 has no such "
                                     f"parameter (only its off value can be imported)", field=k)
            continue
        out[SDK_HYPERPARAMETERS.get(k, k)] = v if isinstance(v, bool) else int(v)
    return out


def _ip(v: object) -> int:
    if isinstance(v, int):
        return v
    return int(ipaddress.ip_address(str(v)))


def _u16(x: object) -> int:
    """A u16 ratio as the SDK gives it: the int, or the normalised float x / 65535 (exact)."""
    if isinstance(x, float):
        return round(x * U16_MAX)
    return int(cast(SupportsInt, x))


def _rao(x: object) -> int:
    """An amount as the SDK gives it: rao int, a `Balance` (`.rao`), or τ float (emission)."""
    if hasattr(x, "rao"):
        return int(x.rao)
    if isinstance(x, float):
        return round(x * 1e9)
    return int(cast(SupportsInt, x))


def _from_raw(n: RawNeuron) -> NeuronImport:
    return NeuronImport(hotkey=n.hotkey, coldkey=n.coldkey, stake=n.stake, last_update=n.last_update,
                        active=n.active, validator_permit=n.validator_permit, rank=n.rank, trust=n.trust,
                        consensus=n.consensus, incentive=n.incentive, dividends=n.dividends,
                        emission=n.emission, validator_trust=n.validator_trust,
                        pruning_score=n.pruning_score, weights=n.weights, bonds=n.bonds,
                        axon=n.axon, prometheus=n.prometheus)


def _from_sdk(n: Any) -> NeuronImport:
    """The SDK's `NeuronInfo` (6.x / 7.x): ratios as floats, amounts as `Balance`, ss58 keys."""
    ax, pr = getattr(n, "axon_info", None), getattr(n, "prometheus_info", None)
    axon = None if ax is None else {
        "block": int(getattr(ax, "block", 0)), "version": int(ax.version), "ip": _ip(ax.ip),
        "port": int(ax.port), "ip_type": int(ax.ip_type), "protocol": int(getattr(ax, "protocol", 0)),
        "placeholder1": int(getattr(ax, "placeholder1", 0)), "placeholder2": int(getattr(ax, "placeholder2", 0))}
    prom = None if pr is None else {
        "block": int(pr.block), "version": int(pr.version), "ip": _ip(pr.ip), "port": int(pr.port),
        "ip_type": int(pr.ip_type)}
    return NeuronImport(
        hotkey=n.hotkey, coldkey=n.coldkey,
        stake={c: _rao(v) for c, v in dict(getattr(n, "stake_dict", {}) or {}).items()},
        last_update=int(n.last_update), active=bool(n.active), validator_permit=bool(n.validator_permit),
        rank=_u16(n.rank), trust=_u16(n.trust), consensus=_u16(n.consensus), incentive=_u16(n.incentive),
        dividends=_u16(n.dividends), emission=_rao(n.emission), validator_trust=_u16(n.validator_trust),
        pruning_score=int(n.pruning_score),
        weights=[(int(u), int(w)) for u, w in n.weights], bonds=[(int(u), int(b)) for u, b in n.bonds],
        axon=axon, prometheus=prom)


def _neurons_of(src: Any, where: str) -> tuple[int, list[NeuronImport]]:
    """(netuid, neurons by uid) of one source."""
    if isinstance(src, (bytes, bytearray, memoryview, str)) or (
            isinstance(src, list) and src and all(isinstance(x, int) for x in src)):
        raw = decode_neurons(src if isinstance(src, (str, list)) else bytes(src))
        items: list[Any] = list(raw)
        netuids = {n.netuid for n in raw}
        converted = [_from_raw(n) for n in raw]
    else:
        try:
            items = list(src.neurons if hasattr(src, "neurons") else src)  # a metagraph, or a list
        except TypeError:
            items = [None]
        if not all(hasattr(n, "uid") and hasattr(n, "hotkey") for n in items):
            raise InvalidGenesis(f"{where}: expected NeuronInfo objects, a metagraph or a get_neurons "
                                 f"answer", field="neurons")
        netuids = {int(n.netuid) for n in items if hasattr(n, "netuid")}
        if hasattr(src, "netuid"):
            netuids.add(int(src.netuid))
        if any(not hasattr(n, "weights") or not hasattr(n, "bonds") for n in items):
            raise InvalidGenesis(f"{where}: the neurons carry no weights and bonds (NeuronInfoLite, a "
                                 f"`lite=True` metagraph): use `neurons(netuid)` or `metagraph(netuid, "
                                 f"lite=False)`", field="neurons")
        converted = [_from_sdk(n) for n in items]
    if len(netuids) != 1:
        raise InvalidGenesis(f"{where}: the neurons must be of one subnet, found netuids {sorted(netuids)}",
                             field="netuid")
    uids = [int(getattr(n, "uid", i)) for i, n in enumerate(items)]
    if sorted(uids) != list(range(len(items))):
        raise InvalidGenesis(f"{where}: the uids are not 0..{len(items) - 1} (a neuron is missing or repeated)",
                             field="uid")
    by_uid = sorted(zip(uids, converted), key=lambda p: p[0])
    return netuids.pop(), [n for _, n in by_uid]
