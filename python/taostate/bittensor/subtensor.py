"""`Subtensor`: the bittensor SDK's `subtensor` on a taostate chain.

It replaces the layer the SDK's own `MockSubtensor` replaces — storage queries, the runtime-API
info calls (neurons, delegates, subnets, hyperparameters), balances, blocks and block hashes, and
the low-level extrinsic calls (`_do_*`, subnet registration, hyperparameter setting) — so every
higher-level SDK method, `metagraph.sync(subtensor=…)` and the `btcli` commands run unchanged on
the rules of docs/ruleset.md. Each extrinsic is one transaction sealed in its own block (instant
seal, like a dev node); a rejection comes back the way the SDK reports a failed extrinsic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import bittensor
from bittensor import chain_data
from bittensor.chain_data import (
    AxonInfo,
    DelegateInfo,
    NeuronInfo,
    NeuronInfoLite,
    PrometheusInfo,
    StakeInfo,
    SubnetHyperparameters,
    SubnetInfo,
)
from bittensor.errors import NominationError, StakeError
from bittensor.utils import RAOPERTAO, U16_NORMALIZED_FLOAT
from bittensor.utils import networking as net
from bittensor.utils.balance import Balance

# Names the 7.x SDK added (the 6.x line words errors the same way, inline).
DelegateInfoLite: Any = getattr(chain_data, "DelegateInfoLite", None)


def format_error_message(error: dict[str, Any]) -> str:
    """The SDK's wording of a failed extrinsic (`bittensor.utils.format_error_message`, 7.x)."""
    docs = error.get("docs") or ["Unknown Description"]
    return (f"Subtensor returned `{error.get('name', 'UnknownError')} "
            f"({error.get('type', 'UnknownType')})` error. This means: `{docs[0]}`")

from .. import tx
from ..accounts import AccountId
from ..chain import Chain
from ..errors import TaoStateError, TxRejected
from ..genesis import SDK_HYPERPARAMETERS as SDK_NAMES
from ..queries import Queries
from ._keys import ZERO_SS58, Keys
from ._storage import Storage

SdkSubtensor: Any = bittensor.subtensor
EXISTENTIAL_DEPOSIT = 500  # docs/ruleset.md §2

# btcli's hyperparameter names (`btcli sudo set --param`) -> docs/ruleset.md §13.1 names: the
# SDK's own spellings (`genesis.SDK_HYPERPARAMETERS`) where they differ from the ruleset's.
BTCLI_HYPERPARAMETERS = (
    "serving_rate_limit", "min_difficulty", "max_difficulty", "weights_version",
    "weights_rate_limit", "max_weight_limit", "immunity_period", "min_allowed_weights",
    "activity_cutoff", "network_registration_allowed", "network_pow_registration_allowed",
    "min_burn", "max_burn", "adjustment_alpha", "rho", "kappa", "difficulty", "bonds_moving_avg",
)
SDK_HYPERPARAMETERS: dict[str, str] = {p: SDK_NAMES.get(p, p) for p in BTCLI_HYPERPARAMETERS}


class Value:
    """A decoded storage value as the SDK reads it from the node (`.value`, `.serialize()`)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def serialize(self) -> Any:
        return self.value

    def __eq__(self, other: object) -> bool:
        return bool(self.value == (other.value if isinstance(other, Value) else other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Value({self.value!r})"


class MapResult:
    """A storage map query's answer: `.records`, a list of `(Value(key), Value(value))`."""

    def __init__(self, records: list[tuple[Value, Value]]) -> None:
        self.records = records

    def __iter__(self) -> Iterator[tuple[Value, Value]]:
        return iter(self.records)


class _NoNode:
    """Stands where the SDK keeps its node connection: any use names what was not emulated."""

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(
            f"taostate.bittensor: this SDK call reached the node connection (substrate.{name}), "
            "which taostate does not emulate; use the SDK's higher-level method or ask for it")

    def __enter__(self) -> _NoNode:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _rao(amount: Any) -> int:
    """A Balance, a float τ or an int rao (the SDK mock's convention) in rao."""
    if isinstance(amount, Balance):
        return int(amount.rao)
    if isinstance(amount, float):
        return int(Balance.from_tao(amount).rao)
    if isinstance(amount, int) and not isinstance(amount, bool):
        return amount
    raise TypeError(f"expected a Balance, a float τ or an int rao, got {type(amount).__name__}")


def rejection(e: TaoStateError) -> str:
    """How the SDK words a failed extrinsic, for a taostate rejection."""
    name = e.code if isinstance(e, TxRejected) else type(e).__name__
    doc = str(e)
    if isinstance(e, TxRejected):
        doc = e.detail if e.detail and e.detail != e.code else type(e).DESCRIPTION
    return str(format_error_message({"type": "Module", "name": name, "docs": [doc]}))


class Subtensor(SdkSubtensor):  # type: ignore[misc]
    """The SDK's subtensor over a taostate `Chain` (read the module doc).

    `Subtensor(chain, sudo=…)`: `chain` is any `ts.Chain`; `sudo` its sudo account (for the
    mock-only and sudo calls). `instant_seal=False` leaves each extrinsic in the open block until
    `step()`.
    """

    _chain: Chain
    _keys: Keys
    _sudo: AccountId
    _instant_seal: bool
    _views: dict[int, Queries]
    _cache: tuple[tuple[int, bool, int], Storage] | None

    def __init__(self, chain: Chain, *, sudo: Any = None, instant_seal: bool = True,
                 network: str = "taostate") -> None:
        self._attach(chain, Keys(), chain.sudo_key if sudo is None else None, instant_seal, network)
        if sudo is not None:
            self._sudo = self._keys.account(sudo, "sudo")

    def _attach(self, chain: Chain, keys: Keys, sudo: AccountId | None, instant_seal: bool,
                network: str) -> None:
        self._chain = chain
        self._keys = keys
        if sudo is not None:
            self._sudo = sudo
        self._instant_seal = instant_seal
        self._views = {}
        self._cache = None
        self.network = network
        self.chain_endpoint = f"taostate://{network}"
        self.substrate = _NoNode()
        self.log_verbose = False
        self._subtensor_errors: dict[str, dict[str, str]] = {}

    def __str__(self) -> str:
        return f"taostate.bittensor.Subtensor(head={self._chain.head})"

    __repr__ = __str__

    def close(self) -> None:
        """The chain stays open (it belongs to whoever made it)."""

    # ---- the chain ----------------------------------------------------------------------
    @property
    def chain(self) -> Chain:
        """The taostate chain: events, `at(b)`, `state_root()`, forks."""
        return self._chain

    @property
    def keys(self) -> Keys:
        """The map between the SDK's account strings (ss58, labels) and taostate accounts."""
        return self._keys

    def step(self, blocks: int = 1) -> int:
        """Seal `blocks` blocks (the open one first); returns the new head."""
        self._cache = None
        return self._chain.step(blocks)

    def step_to_next_epoch(self, netuid: int) -> int:
        """Seal blocks up to and including the next block whose step runs `netuid`'s epoch
        (docs/ruleset.md §3); its emission is credited one block later. Returns the new head."""
        from .. import rules

        tempo = int(self._chain.subnet(netuid)["tempo"])
        if tempo == 0:
            raise ValueError(f"subnet {netuid} has tempo 0: its epoch never runs")
        nxt = self._chain.head + 1
        wait = int(rules.blocks_until_next_epoch(netuid, tempo, nxt))
        return self.step(wait + 1)

    def _submit(self, transaction: tx.Tx) -> tuple[bool, str | None]:
        """Submit one transaction and (instant seal) seal its block; `(ok, SDK error text)`."""
        self._cache = None
        try:
            self._chain.submit(transaction)
            ok, err = True, None
        except TxRejected as e:
            ok, err = False, rejection(e)
        if self._instant_seal:
            self._chain.step()
        return ok, err

    def _sudo_submit(self, transaction: tx.Tx) -> None:
        """A mock-only/sudo action: raises the rule's exception when refused (like the SDK mock)."""
        self._cache = None
        self._chain.submit(transaction)
        if self._instant_seal:
            self._chain.step()

    # ---- storage ------------------------------------------------------------------------
    def _storage(self, block: int | None = None) -> Storage:
        head = self._chain.head
        if block is not None and not (isinstance(block, int) and 0 <= block <= head):
            raise ValueError(f"block {block!r} is not committed: choose 0 ≤ block ≤ head ({head})")
        if block is None or (block == head and not self._chain._engine.is_open):
            e = self._chain._engine
            key = (int(e.head), bool(e.is_open), int(e.pending_len))
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, Storage(self._chain, self._keys))
            return self._cache[1]
        view = self._views.get(block)
        if view is None:
            if len(self._views) > 64:
                self._views.clear()
            view = self._views[block] = self._chain.at(block)
        return Storage(view, self._keys)

    def query_subtensor(self, name: str, block: int | None = None,
                        params: list[Any] | None = None) -> Value:
        return Value(self._storage(block).get(name, list(params or [])))

    def query_map_subtensor(self, name: str, block: int | None = None,
                            params: list[Any] | None = None) -> MapResult:
        pairs = self._storage(block).entries(name, list(params or []))
        return MapResult([(Value(k), Value(v)) for k, v in pairs])

    def query_module(self, module: str, name: str, block: int | None = None,
                     params: list[Any] | None = None) -> Value:
        st = self._storage(block)
        if (module, name) == ("SenateMembers", "Members"):
            return Value([self._keys.name(a) for a in st.state.senate()])
        if (module, name) == ("Triumvirate", "Members"):
            return Value([self._keys.name(a) for a in st.state.triumvirate()])
        if (module, name) == ("Triumvirate", "Proposals"):
            return Value(["0x" + p["hash"] for p in st.state.proposals()])
        if (module, name) == ("Triumvirate", "Voting"):
            want = str((params or [""])[0]).removeprefix("0x")
            for p in st.state.proposals():
                if p["hash"] == want:
                    return Value({"index": p["index"], "threshold": p["threshold"],
                                  "ayes": [self._keys.name(a) for a in p["ayes"]],
                                  "nays": [self._keys.name(a) for a in p["nays"]], "end": p["end"]})
            return Value(None)
        if module == "SubtensorModule":
            return Value(st.get(name, list(params or [])))
        return Value(None)

    def query_map(self, module: str, name: str, block: int | None = None,
                  params: list[Any] | None = None) -> MapResult:
        if module == "SubtensorModule":
            return self.query_map_subtensor(name, block, params)
        return MapResult([])

    def query_constant(self, module_name: str, constant_name: str,
                       block: int | None = None) -> Value | None:
        if (module_name, constant_name) == ("Balances", "ExistentialDeposit"):
            return Value(EXISTENTIAL_DEPOSIT)
        return None

    def query_runtime_api(self, runtime_api: str, method: str, params: Any = None,
                          block: int | None = None) -> Any:
        raise NotImplementedError(
            f"taostate.bittensor: runtime API {runtime_api}.{method} is answered by the SDK method "
            "that calls it (neurons, get_delegates, get_subnet_info, …), not by its encoding")

    def state_call(self, method: str, data: str, block: int | None = None) -> Any:
        raise NotImplementedError(f"taostate.bittensor: state_call {method} is not emulated")

    # ---- blocks and balances ------------------------------------------------------------
    def get_current_block(self) -> int:
        return self._chain.head

    def get_block_hash(self, block_id: int) -> str:
        return "0x" + self._chain.block_hash(block_id)

    def get_balance(self, address: str, block: int | None = None) -> Balance:
        st = self._storage(block)
        return Balance.from_rao(st.state.balance(self._keys.account(address, "address")))

    def get_balances(self, block: int | None = None) -> dict[str, Balance]:
        st = self._storage(block)
        out = {}
        for a in st.state.accounts():
            free = st.state.balance(a)
            if free:
                out[self._keys.name(a)] = Balance.from_rao(free)
        return out

    def get_existential_deposit(self, block: int | None = None) -> Balance:
        return Balance.from_rao(EXISTENTIAL_DEPOSIT)

    def get_transfer_fee(self, wallet: Any, dest: str, value: Any) -> Balance:
        return Balance.from_rao(0)  # docs/ruleset.md §1 (c): no fees

    def get_minimum_required_stake(self) -> Balance:
        return Balance.from_rao(0)

    def get_subnet_burn_cost(self, block: int | None = None) -> int:
        return int(self._storage(block).state.lock_cost())

    # ---- neurons ------------------------------------------------------------------------
    def _stake_dict(self, st: Storage, hotkey: AccountId) -> dict[str, Balance]:
        """`Stake[hotkey]` as the node's neuron info lists it (every stored entry)."""
        return {self._keys.name(c): Balance.from_rao(x) for c, x in st.nominators(hotkey).items()}

    def _neuron(self, st: Storage, netuid: int, uid: int, lite: bool) -> Any:
        mg = st.metagraph(netuid)
        if mg is None or not 0 <= uid < mg.n:
            return NeuronInfo.get_null_neuron()
        hk, ck = mg.hotkeys[uid], mg.coldkeys[uid]
        hname, cname = self._keys.name(hk), self._keys.name(ck)
        stake_dict = self._stake_dict(st, hk)
        stake = sum(stake_dict.values(), Balance.from_rao(0))
        axon = st.get("Axons", [netuid, hk]) or {"version": 0, "ip": 0, "port": 0, "ip_type": 0}
        prom = st.get("Prometheus", [netuid, hk]) or {"block": 0, "version": 0, "ip": 0, "port": 0,
                                                      "ip_type": 0}
        fields: dict[str, Any] = dict(
            hotkey=hname, coldkey=cname, uid=uid, netuid=netuid, active=int(mg.active[uid]),
            stake=stake, stake_dict=stake_dict, total_stake=stake,
            rank=U16_NORMALIZED_FLOAT(int(mg.ranks_u16[uid])),
            emission=int(mg.emission[uid]) / RAOPERTAO,
            incentive=U16_NORMALIZED_FLOAT(int(mg.incentive_u16[uid])),
            consensus=U16_NORMALIZED_FLOAT(int(mg.consensus_u16[uid])),
            trust=U16_NORMALIZED_FLOAT(int(mg.trust_u16[uid])),
            validator_trust=U16_NORMALIZED_FLOAT(int(mg.validator_trust_u16[uid])),
            dividends=U16_NORMALIZED_FLOAT(int(mg.dividends_u16[uid])),
            last_update=int(mg.last_update[uid]), validator_permit=bool(mg.validator_permit[uid]),
            pruning_score=int(mg.pruning_scores[uid]),
            prometheus_info=PrometheusInfo(block=prom["block"], version=prom["version"],
                                           ip=net.int_to_ip(int(prom["ip"])), port=prom["port"],
                                           ip_type=prom["ip_type"]),
            axon_info=AxonInfo.from_neuron_info({"hotkey": hname, "coldkey": cname,
                                                 "axon_info": axon}),
        )
        if lite:
            return NeuronInfoLite(**fields)
        return NeuronInfo(weights=[list(r) for r in st.rows("Weights", netuid)[uid]],
                          bonds=[list(r) for r in st.rows("Bonds", netuid)[uid]], **fields)

    def _neurons(self, netuid: int, block: int | None, lite: bool) -> list[Any]:
        st = self._storage(block)
        mg = st.metagraph(netuid)
        if mg is None:
            return []
        return [self._neuron(st, netuid, uid, lite) for uid in range(mg.n)]

    def neurons(self, netuid: int, block: int | None = None) -> list[Any]:
        return self._neurons(netuid, block, lite=False)

    def neurons_lite(self, netuid: int, block: int | None = None) -> list[Any]:
        return self._neurons(netuid, block, lite=True)

    def neuron_for_uid(self, uid: int | None, netuid: int, block: int | None = None) -> Any:
        if uid is None:
            return NeuronInfo.get_null_neuron()
        return self._neuron(self._storage(block), netuid, uid, lite=False)

    def neuron_for_uid_lite(self, uid: int | None, netuid: int, block: int | None = None) -> Any:
        if uid is None:
            return NeuronInfo.get_null_neuron()
        return self._neuron(self._storage(block), netuid, uid, lite=True)

    # ---- delegates ----------------------------------------------------------------------
    def _delegate(self, st: Storage, hotkey: AccountId, take: int) -> Any:
        registrations, permits = [], []
        for n in st.state.subnets():
            uid = st.state.uid(n, hotkey)
            if uid is not None:
                registrations.append(n)
                mg = st.metagraph(n)
                if mg is not None and bool(mg.validator_permit[uid]):
                    permits.append(n)
        noms = [(self._keys.name(c), Balance.from_rao(x)) for c, x in st.nominators(hotkey).items()]
        return DelegateInfo(
            hotkey_ss58=self._keys.name(hotkey),
            total_stake=Balance.from_rao(st.state.stake(hotkey)), nominators=noms,
            owner_ss58=self._keys.name(st.state.owner(hotkey)), take=U16_NORMALIZED_FLOAT(take),
            validator_permits=permits, registrations=registrations,
            return_per_1000=Balance.from_rao(0), total_daily_return=Balance.from_rao(0))

    def get_delegates(self, block: int | None = None) -> list[Any]:
        st = self._storage(block)
        return [self._delegate(st, h, t) for h, t in st.state.delegates().items()]

    def get_delegates_lite(self, block: int | None = None) -> list[Any]:
        if DelegateInfoLite is None:
            raise NotImplementedError("this SDK has no DelegateInfoLite (bittensor 7.x has)")
        return [DelegateInfoLite(delegate_ss58=d.hotkey_ss58, take=d.take,
                                 nominators=len(d.nominators), owner_ss58=d.owner_ss58,
                                 registrations=d.registrations,
                                 validator_permits=d.validator_permits, return_per_1000=0,
                                 total_daily_return=0)
                for d in self.get_delegates(block)]

    def get_delegate_by_hotkey(self, hotkey_ss58: str, block: int | None = None) -> Any:
        st = self._storage(block)
        hk = self._keys.account(hotkey_ss58, "hotkey_ss58")
        take = st.state.delegates().get(hk)
        return None if take is None else self._delegate(st, hk, take)

    def get_delegated(self, coldkey_ss58: str, block: int | None = None) -> list[Any]:
        st = self._storage(block)
        ck = self._keys.account(coldkey_ss58, "coldkey_ss58")
        out = []
        for h, t in st.state.delegates().items():
            x = st.state.stake(h, ck)
            if x > 0:
                out.append((self._delegate(st, h, t), Balance.from_rao(x)))
        return out

    def get_stake_info_for_coldkey(self, coldkey_ss58: str, block: int | None = None) -> list[Any]:
        st = self._storage(block)
        ck = self._keys.account(coldkey_ss58, "coldkey_ss58")
        out = []
        for h in st.state.accounts():
            x = st.state.stake(h, ck)
            if x > 0:
                out.append(StakeInfo(hotkey_ss58=self._keys.name(h), coldkey_ss58=coldkey_ss58,
                                     stake=Balance.from_rao(x)))
        return out

    def get_stake_info_for_coldkeys(self, coldkey_ss58_list: list[str],
                                    block: int | None = None) -> dict[str, list[Any]]:
        return {c: self.get_stake_info_for_coldkey(c, block) for c in coldkey_ss58_list}

    # ---- subnets ------------------------------------------------------------------------
    def get_subnet_info(self, netuid: int, block: int | None = None) -> Any:
        info = self._storage(block).subnet(netuid)
        if info is None:
            return None
        owner = info["owner"]
        return SubnetInfo(
            netuid=netuid, rho=info["rho"], kappa=info["kappa"], difficulty=info["difficulty"],
            immunity_period=info["immunity_period"],
            max_allowed_validators=info["max_allowed_validators"],
            min_allowed_weights=info["min_allowed_weights"],
            max_weight_limit=info["max_weights_limit"],
            scaling_law_power=info["scaling_law_power"], subnetwork_n=info["n"],
            max_n=info["max_allowed_uids"], blocks_since_epoch=info["blocks_since_last_step"],
            tempo=info["tempo"], modality=info["modality"], connection_requirements={},
            emission_value=info["emission_value"], burn=Balance.from_rao(info["burn"]),
            owner_ss58=ZERO_SS58 if owner is None else self._keys.name(owner))

    def get_all_subnets_info(self, block: int | None = None) -> list[Any]:
        st = self._storage(block)
        return [self.get_subnet_info(n, block) for n in st.state.subnets()]

    def get_subnet_hyperparameters(self, netuid: int, block: int | None = None) -> Any:
        info = self._storage(block).subnet(netuid)
        if info is None:
            return []
        values = dict(
            rho=info["rho"], kappa=info["kappa"], immunity_period=info["immunity_period"],
            min_allowed_weights=info["min_allowed_weights"],
            max_weight_limit=info["max_weights_limit"], tempo=info["tempo"],
            min_difficulty=info["min_difficulty"], max_difficulty=info["max_difficulty"],
            weights_version=info["weights_version_key"],
            weights_rate_limit=info["weights_set_rate_limit"],
            adjustment_interval=info["adjustment_interval"],
            activity_cutoff=info["activity_cutoff"],
            registration_allowed=info["network_registration_allowed"],
            target_regs_per_interval=info["target_registrations_per_interval"],
            min_burn=info["min_burn"], max_burn=info["max_burn"],
            bonds_moving_avg=info["bonds_moving_average"],
            max_regs_per_block=info["max_registrations_per_block"],
            serving_rate_limit=info["serving_rate_limit"],
            max_validators=info["max_allowed_validators"],
            adjustment_alpha=info["adjustment_alpha"], difficulty=info["difficulty"],
            commit_reveal_weights_interval=0, commit_reveal_weights_enabled=False,
            alpha_high=0, alpha_low=0, liquid_alpha_enabled=False)
        names = {f.name for f in dataclasses.fields(SubnetHyperparameters)}
        return SubnetHyperparameters(**{k: v for k, v in values.items() if k in names})

    # ---- extrinsics ---------------------------------------------------------------------
    def _do_transfer(self, wallet: Any, dest: str, transfer_balance: Balance,
                     wait_for_inclusion: bool = True, wait_for_finalization: bool = False,
                     ) -> tuple[bool, str | None, str | None]:
        k = self._keys
        ok, err = self._submit(tx.Transfer(origin=k.coldkey(wallet), dest=k.account(dest, "dest"),
                                           amount=_rao(transfer_balance)))
        return (True, self.get_block_hash(self._chain.head), None) if ok else (False, None, err)

    def _stake_call(self, transaction: tx.Tx, error: type[Exception] = StakeError) -> bool:
        ok, err = self._submit(transaction)
        if not ok:
            raise error(err)
        return True

    def _do_stake(self, wallet: Any, hotkey_ss58: str, amount: Balance,
                  wait_for_inclusion: bool = True, wait_for_finalization: bool = False) -> bool:
        k = self._keys
        return self._stake_call(tx.AddStake(origin=k.coldkey(wallet),
                                            hotkey=k.account(hotkey_ss58, "hotkey_ss58"),
                                            amount=_rao(amount)))

    def _do_unstake(self, wallet: Any, hotkey_ss58: str, amount: Balance,
                    wait_for_inclusion: bool = True, wait_for_finalization: bool = False) -> bool:
        k = self._keys
        return self._stake_call(tx.RemoveStake(origin=k.coldkey(wallet),
                                               hotkey=k.account(hotkey_ss58, "hotkey_ss58"),
                                               amount=_rao(amount)))

    def _do_delegation(self, wallet: Any, delegate_ss58: str, amount: Balance,
                       wait_for_inclusion: bool = True, wait_for_finalization: bool = False) -> bool:
        return self._do_stake(wallet, delegate_ss58, amount)

    def _do_undelegation(self, wallet: Any, delegate_ss58: str, amount: Balance,
                         wait_for_inclusion: bool = True,
                         wait_for_finalization: bool = False) -> bool:
        return self._do_unstake(wallet, delegate_ss58, amount)

    def _do_nominate(self, wallet: Any, wait_for_inclusion: bool = True,
                     wait_for_finalization: bool = False) -> bool:
        k = self._keys
        return self._stake_call(tx.BecomeDelegate(origin=k.coldkey(wallet), hotkey=k.hotkey(wallet)),
                                NominationError)

    def _do_burned_register(self, netuid: int, wallet: Any, wait_for_inclusion: bool = False,
                            wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        k = self._keys
        return self._submit(tx.BurnedRegister(origin=k.coldkey(wallet), netuid=netuid,
                                              hotkey=k.hotkey(wallet)))

    def _do_pow_register(self, netuid: int, wallet: Any, pow_result: Any,
                         wait_for_inclusion: bool = False,
                         wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        k = self._keys
        hk = k.hotkey(wallet)
        seal = pow_result.seal
        work = bytes(seal) if not isinstance(seal, str) else bytes.fromhex(seal.removeprefix("0x"))
        return self._submit(tx.Register(origin=hk, netuid=netuid,
                                        block_number=int(pow_result.block_number),
                                        nonce=int(pow_result.nonce), work=work, hotkey=hk,
                                        coldkey=k.coldkey(wallet)))

    def _do_root_register(self, wallet: Any, wait_for_inclusion: bool = False,
                          wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        k = self._keys
        return self._submit(tx.RootRegister(origin=k.coldkey(wallet), hotkey=k.hotkey(wallet)))

    def _do_set_weights(self, wallet: Any, uids: list[int], vals: list[int], netuid: int,
                        version_key: int = 0, wait_for_inclusion: bool = False,
                        wait_for_finalization: bool = False) -> tuple[bool, str | None]:
        ok, err = self._submit(tx.SetWeights(origin=self._keys.hotkey(wallet), netuid=netuid,
                                             uids=[int(u) for u in uids],
                                             values=[int(v) for v in vals],
                                             version_key=int(version_key)))
        return (True, "Successfully set weights.") if ok else (False, err)

    def _do_set_root_weights(self, wallet: Any, uids: list[int], vals: list[int],
                             netuid: int = 0, version_key: int = 0,
                             wait_for_inclusion: bool = False,
                             wait_for_finalization: bool = False) -> tuple[bool, str | None]:
        return self._do_set_weights(wallet, uids, vals, netuid, version_key)

    def _do_serve_axon(self, wallet: Any, call_params: dict[str, Any],
                       wait_for_inclusion: bool = False,
                       wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        p = call_params
        return self._submit(tx.ServeAxon(
            origin=self._keys.hotkey(wallet), netuid=p["netuid"], version=p["version"],
            ip=p["ip"], port=p["port"], ip_type=p["ip_type"], protocol=p["protocol"],
            placeholder1=p.get("placeholder1", 0), placeholder2=p.get("placeholder2", 0)))

    def _do_serve_prometheus(self, wallet: Any, call_params: dict[str, Any],
                             wait_for_inclusion: bool = False,
                             wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        p = call_params
        return self._submit(tx.ServePrometheus(origin=self._keys.hotkey(wallet), netuid=p["netuid"],
                                               version=p["version"], ip=p["ip"], port=p["port"],
                                               ip_type=p["ip_type"]))

    def _do_swap_hotkey(self, wallet: Any, new_wallet: Any, wait_for_inclusion: bool = False,
                        wait_for_finalization: bool = True) -> tuple[bool, str | None]:
        k = self._keys
        return self._submit(tx.SwapHotkey(origin=k.coldkey(wallet), hotkey=k.hotkey(wallet),
                                          new_hotkey=k.hotkey(new_wallet)))

    def _unsupported(self, call: str) -> str:
        return str(format_error_message({
            "type": "Module", "name": "CallNotSupported",
            "docs": [f"{call} is not a call of ruleset finney-2023 (docs/ruleset.md)"]}))

    def _do_commit_weights(self, *args: Any, **kwargs: Any) -> tuple[bool, str | None]:
        return False, self._unsupported("commit_weights")

    def _do_reveal_weights(self, *args: Any, **kwargs: Any) -> tuple[bool, str | None]:
        return False, self._unsupported("reveal_weights")

    def register_subnetwork(self, wallet: Any, wait_for_inclusion: bool = False,
                            wait_for_finalization: bool = True, prompt: bool = False) -> bool:
        ok, err = self._submit(tx.RegisterNetwork(origin=self._keys.coldkey(wallet)))
        if not ok:
            bittensor.__console__.print(f":cross_mark: [red]Failed[/red]: {err}")
        return ok

    def set_hyperparameter(self, wallet: Any, netuid: int, parameter: str, value: Any,
                           wait_for_inclusion: bool = False, wait_for_finalization: bool = True,
                           prompt: bool = False) -> bool:
        name = SDK_HYPERPARAMETERS.get(parameter)
        if name is None:
            bittensor.__console__.print(":cross_mark: [red]Invalid hyperparameter specified.[/red]")
            return False
        ok, err = self._submit(tx.SudoSetHyperparameter(
            origin=self._keys.coldkey(wallet), netuid=netuid, name=name,
            value=value if isinstance(value, bool) else int(value)))
        if not ok:
            bittensor.__console__.print(f":cross_mark: [red]Failed[/red]: {err}")
        return ok


__all__ = ["MapResult", "Subtensor", "Value", "rejection"]
