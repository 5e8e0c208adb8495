"""Queries shared by `Chain` (live state, including the open block) and `View` (committed state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from .accounts import AccountId, to_account

Event = tuple[str, dict[str, Any]]


def convert_events(raw: list[Any]) -> list[Event]:
    """`(name, [(field, tag, value)])` from the core → `(name, {field: value})` with AccountIds."""
    out: list[Event] = []
    for name, fields in raw:
        d: dict[str, Any] = {}
        for key, tag, value in fields:
            d[key] = AccountId(value) if tag == "a" else value
        out.append((name, d))
    return out


def _acct(x: Any, field: str) -> bytes:
    return bytes(to_account(x, field))


@dataclass(frozen=True)
class Metagraph:
    """A subnet's neurons as numpy arrays, mirroring the bittensor SDK's metagraph."""

    netuid: int
    block: int
    n: int
    uids: npt.NDArray[np.uint16]
    hotkeys: list[AccountId]
    coldkeys: list[AccountId]
    stake: npt.NDArray[np.uint64]
    ranks_u16: npt.NDArray[np.uint16]
    trust_u16: npt.NDArray[np.uint16]
    consensus_u16: npt.NDArray[np.uint16]
    incentive_u16: npt.NDArray[np.uint16]
    dividends_u16: npt.NDArray[np.uint16]
    validator_trust_u16: npt.NDArray[np.uint16]
    emission: npt.NDArray[np.uint64]
    active: npt.NDArray[np.bool_]
    validator_permit: npt.NDArray[np.bool_]
    last_update: npt.NDArray[np.uint64]
    block_at_registration: npt.NDArray[np.uint64]
    pruning_scores: npt.NDArray[np.uint16]
    weights: npt.NDArray[np.uint16]
    bonds: npt.NDArray[np.uint16]

    @staticmethod
    def _float(x: npt.NDArray[np.uint16]) -> npt.NDArray[np.float64]:
        return x.astype(np.float64) / 65535.0

    @property
    def ranks(self) -> npt.NDArray[np.float64]:
        return self._float(self.ranks_u16)

    @property
    def trust(self) -> npt.NDArray[np.float64]:
        return self._float(self.trust_u16)

    @property
    def consensus(self) -> npt.NDArray[np.float64]:
        return self._float(self.consensus_u16)

    @property
    def incentive(self) -> npt.NDArray[np.float64]:
        return self._float(self.incentive_u16)

    @property
    def dividends(self) -> npt.NDArray[np.float64]:
        return self._float(self.dividends_u16)

    @property
    def validator_trust(self) -> npt.NDArray[np.float64]:
        return self._float(self.validator_trust_u16)

    # SDK letter aliases
    S = property(lambda self: self.stake)
    R = property(lambda self: self.ranks)
    T = property(lambda self: self.trust)
    C = property(lambda self: self.consensus)
    I = property(lambda self: self.incentive)  # noqa: E741
    D = property(lambda self: self.dividends)
    Tv = property(lambda self: self.validator_trust)
    E = property(lambda self: self.emission)
    W = property(lambda self: self.weights)
    B = property(lambda self: self.bonds)


class Queries:
    """Read methods over a `_core.Engine` in `self._engine`."""

    _engine: _core.Engine

    @property
    def block(self) -> int:
        """The block the state belongs to (the open block for a live chain with one open)."""
        return int(self._engine.block)

    @property
    def total_issuance(self) -> int:
        return int(self._engine.total_issuance)

    @property
    def block_emission(self) -> int:
        return int(self._engine.block_emission)

    @property
    def total_balance(self) -> int:
        return int(self._engine.total_balance)

    @property
    def total_stake(self) -> int:
        return int(self._engine.total_stake)

    @property
    def total_locked(self) -> int:
        return int(self._engine.total_locked)

    @property
    def sudo_key(self) -> AccountId:
        return AccountId(self._engine.sudo_key)

    def accounts(self) -> list[AccountId]:
        return [AccountId(a) for a in self._engine.accounts()]

    def balance(self, coldkey: Any) -> int:
        return int(self._engine.balance(_acct(coldkey, "coldkey")))

    def stake(self, hotkey: Any, coldkey: Any = None) -> int:
        ck = None if coldkey is None else _acct(coldkey, "coldkey")
        return int(self._engine.stake(_acct(hotkey, "hotkey"), ck))

    def coldkey_stake(self, coldkey: Any) -> int:
        return int(self._engine.coldkey_stake(_acct(coldkey, "coldkey")))

    def owner(self, hotkey: Any) -> AccountId | None:
        o = self._engine.owner(_acct(hotkey, "hotkey"))
        return None if o is None else AccountId(o)

    def delegates(self) -> dict[AccountId, int]:
        return {AccountId(h): int(t) for h, t in self._engine.delegates()}

    def is_delegate(self, hotkey: Any) -> bool:
        return to_account(hotkey, "hotkey") in self.delegates()

    def subnets(self) -> list[int]:
        return [int(n) for n in self._engine.subnets()]

    def _require_subnet(self, netuid: int) -> None:
        from .errors import NetworkDoesNotExist

        if netuid not in self._engine.subnets():
            raise NetworkDoesNotExist(f"subnet {netuid} does not exist (existing: {self.subnets()})")

    def subnet(self, netuid: int) -> dict[str, Any]:
        self._require_subnet(netuid)
        info = dict(self._engine.subnet_info(netuid))
        if info["owner"] is not None:
            info["owner"] = AccountId(info["owner"])
        return info

    def lock_cost(self) -> int:
        return int(self._engine.lock_cost())

    def uid(self, netuid: int, hotkey: Any) -> int | None:
        u = self._engine.uid(netuid, _acct(hotkey, "hotkey"))
        return None if u is None else int(u)

    def neuron(self, netuid: int, uid: int) -> dict[str, Any] | None:
        """One neuron's fields (the metagraph row), or None if the uid is not in use."""
        mg = self.metagraph(netuid)
        if not 0 <= uid < mg.n:
            return None
        return {
            "netuid": netuid, "uid": uid, "hotkey": mg.hotkeys[uid], "coldkey": mg.coldkeys[uid],
            "stake": int(mg.stake[uid]), "rank": int(mg.ranks_u16[uid]), "trust": int(mg.trust_u16[uid]),
            "consensus": int(mg.consensus_u16[uid]), "incentive": int(mg.incentive_u16[uid]),
            "dividends": int(mg.dividends_u16[uid]),
            "validator_trust": int(mg.validator_trust_u16[uid]), "emission": int(mg.emission[uid]),
            "active": bool(mg.active[uid]), "validator_permit": bool(mg.validator_permit[uid]),
            "last_update": int(mg.last_update[uid]),
            "block_at_registration": int(mg.block_at_registration[uid]),
            "pruning_score": int(mg.pruning_scores[uid]),
            "axon": self._engine.axon(netuid, bytes(mg.hotkeys[uid])),
        }

    def metagraph(self, netuid: int) -> Metagraph:
        self._require_subnet(netuid)
        d = self._engine.metagraph(netuid)
        n = int(d["n"])
        return Metagraph(
            netuid=netuid, block=int(d["block"]), n=n, uids=np.arange(n, dtype=np.uint16),
            hotkeys=[AccountId(h) for h in d["hotkeys"]], coldkeys=[AccountId(c) for c in d["coldkeys"]],
            stake=d["stake"], ranks_u16=d["ranks"], trust_u16=d["trust"], consensus_u16=d["consensus"],
            incentive_u16=d["incentive"], dividends_u16=d["dividends"],
            validator_trust_u16=d["validator_trust"], emission=d["emission"], active=d["active"],
            validator_permit=d["validator_permit"], last_update=d["last_update"],
            block_at_registration=d["block_at_registration"], pruning_scores=d["pruning_scores"],
            weights=d["weights"], bonds=d["bonds"],
        )

    def stakes(self, hotkey: Any) -> dict[AccountId, int]:
        """`Stake[hotkey]`: coldkey -> rao, ascending coldkey, zero entries included (the owner's
        entry exists from the hotkey's creation, docs/ruleset.md §8.4)."""
        return {AccountId(c): int(x) for c, x in self._engine.stakes(_acct(hotkey, "hotkey"))}

    def axon(self, netuid: int, hotkey: Any) -> dict[str, int] | None:
        """`Axons[netuid][hotkey]` (docs/ruleset.md §11.1), or None."""
        return self._engine.axon(netuid, _acct(hotkey, "hotkey"))

    def prometheus(self, netuid: int, hotkey: Any) -> dict[str, int] | None:
        """`Prometheus[netuid][hotkey]` (docs/ruleset.md §11.2), or None."""
        return self._engine.prometheus(netuid, _acct(hotkey, "hotkey"))

    def weight_rows(self, netuid: int) -> list[list[tuple[int, int]]]:
        """`Weights[netuid][uid]` for every uid, as stored: `[(target, value)]` in submission
        order (targets are netuids on the root network, docs/ruleset.md §10.2)."""
        self._require_subnet(netuid)
        return [[(int(j), int(v)) for j, v in row] for row in self._engine.weight_rows(netuid)]

    def bond_rows(self, netuid: int) -> list[list[tuple[int, int]]]:
        """`Bonds[netuid][uid]` for every uid, as stored (docs/ruleset.md §4)."""
        self._require_subnet(netuid)
        return [[(int(j), int(v)) for j, v in row] for row in self._engine.bond_rows(netuid)]

    def global_params(self) -> dict[str, int]:
        """The global parameters of docs/ruleset.md §13.2."""
        return {k: int(v) for k, v in self._engine.global_params().items()}

    def senate(self) -> list[AccountId]:
        return [AccountId(a) for a in self._engine.senate()]

    def triumvirate(self) -> list[AccountId]:
        return [AccountId(a) for a in self._engine.triumvirate()]

    def proposals(self) -> list[dict[str, Any]]:
        from .tx import decode

        out = []
        for p in self._engine.proposals():
            out.append({
                "hash": bytes(p["hash"]).hex(), "index": int(p["index"]),
                "proposer": AccountId(p["proposer"]), "transaction": decode(bytes(p["tx"])),
                "threshold": int(p["threshold"]), "ayes": [AccountId(a) for a in p["ayes"]],
                "nays": [AccountId(a) for a in p["nays"]], "end": int(p["end"]),
            })
        return out

    def state_root(self) -> str:
        """Hex of BLAKE2b-256 over the canonical encoding of the whole state."""
        return bytes(self._engine.state_root()).hex()

    def check_invariants(self) -> None:
        """Raise AssertionError if issuance ≠ balances + stake + locks (docs/ruleset.md §1.2)."""
        err = self._engine.check_invariants()
        if err is not None:
            raise AssertionError(err)
