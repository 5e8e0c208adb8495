"""`MockSubtensor`: a drop-in for `bittensor.MockSubtensor` that runs the real rules.

Same constructor (any arguments, ignored but `profile`), the same mock-only methods (`reset`,
`create_subnet`, `set_difficulty`, `force_register_neuron`, `force_set_balance`,
`sudo_force_set_balance`, `do_block_step`) and, as the SDK's mock, one state shared by every
instance. Plus `.chain`, `.step(blocks)`, `.step_to_next_epoch(netuid)` and
`.set_hyperparameter(netuid, name, value)`. Profiles: `"mock"` (no rate limits, cheap locks and
registrations — the SDK mock's conveniences where the rules allow them) and `"finney"` (the
ruleset's defaults, docs/ruleset.md §9.3 and §13).
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

from .. import tx
from ..accounts import AccountId, account
from ..chain import Chain, Genesis
from ._keys import Keys
from .subtensor import Subtensor, _rao

TAO = 10**9


@dataclass(frozen=True)
class Profile:
    """Global parameters at genesis and per-subnet parameters set when `create_subnet` runs."""

    name: str
    global_params: dict[str, int] = field(default_factory=dict)
    subnet_params: dict[str, int | bool] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "mock": Profile(
        "mock",
        global_params={"tx_rate_limit": 0, "network_rate_limit": 0,
                       "network_min_lock_cost": 1 * TAO, "network_lock_reduction_interval": 1},
        subnet_params={"weights_set_rate_limit": 0, "serving_rate_limit": 0,
                       "target_registrations_per_interval": 4096,
                       "max_registrations_per_block": 4096,
                       "network_pow_registration_allowed": True, "min_difficulty": 1,
                       "difficulty": 1000},
    ),
    "finney": Profile("finney"),
}

SUDO = account("taostate/bittensor/sudo")
"""The mock chain's sudo key."""

_SHARED: dict[str, Any] = {}
"""The state every MockSubtensor instance shares (the SDK's mock does the same)."""


class MockSubtensor(Subtensor):
    """A drop-in for `bittensor.MockSubtensor` on a taostate chain (read the module doc)."""

    _profile: Profile

    def __init__(self, *args: Any, profile: str | None = None, **kwargs: Any) -> None:
        self.__dict__ = _SHARED
        if "_chain" not in _SHARED:
            self._setup(profile or "mock")
        elif profile is not None and profile != self._profile.name:
            raise ValueError(
                f"the shared mock chain runs profile {self._profile.name!r}; "
                f"call MockSubtensor.reset(profile={profile!r}) to start over with another")

    def _setup(self, profile: str) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: choose one of {sorted(PROFILES)}")
        prof = PROFILES[profile]
        genesis = Genesis(sudo=SUDO, params=dict(prof.global_params))
        chain = Chain.ephemeral(genesis, snapshot_every=256)
        atexit.register(chain.close)
        self._attach(chain, Keys(), SUDO, True, "mock")
        self._profile = prof
        self.chain_endpoint = "mock_endpoint"
        # the root network exists at genesis (docs/ruleset.md §9.5): the profile applies to it too
        self._sudo_block([tx.SudoSetHyperparameter(origin=SUDO, netuid=0, name=k, value=v)
                          for k, v in prof.subnet_params.items()])

    @classmethod
    def reset(cls, profile: str | None = None) -> None:
        """Forget the shared chain and start a new one (at genesis, block 0)."""
        old = _SHARED.get("_chain")
        name = profile or (_SHARED["_profile"].name if "_profile" in _SHARED else "mock")
        _SHARED.clear()
        if old is not None:
            old.close()
        cls(profile=name)

    @property
    def profile(self) -> str:
        return self._profile.name

    @property
    def sudo(self) -> AccountId:
        return self._sudo

    # ---- mock-only methods ----------------------------------------------------------------
    def _sudo_block(self, txs: Sequence[tx.Tx]) -> None:
        """Submit `txs` as one block (instant seal); if one is refused, none stays applied."""
        self._cache = None
        try:
            for t in txs:
                self._chain.submit(t)
        except BaseException:
            self._chain._rebuild()
            raise
        if self._instant_seal:
            self._chain.step()

    def create_subnet(self, netuid: int) -> None:
        """Create subnet `netuid` (owned by no one), with the profile's subnet parameters."""
        if self._chain.subnets() and netuid in self._chain.subnets():
            raise ValueError(f"Subnet {netuid} already exists")
        if not isinstance(netuid, int) or not 1 <= netuid < 2**16:
            raise ValueError(f"netuid {netuid!r}: a subnet is 1 ≤ netuid < 65536 (0 is the root network)")
        self._sudo_block([tx.SudoRegisterNetwork(origin=self._sudo, netuid=netuid)]
                         + [tx.SudoSetHyperparameter(origin=self._sudo, netuid=netuid, name=k, value=v)
                            for k, v in self._profile.subnet_params.items()])

    def set_difficulty(self, netuid: int, difficulty: int) -> None:
        self._sudo_block([tx.SudoSetHyperparameter(origin=self._sudo, netuid=netuid,
                                                   name="difficulty", value=int(difficulty))])

    def force_register_neuron(self, netuid: int, hotkey: str, coldkey: str, stake: Any = 0,
                              balance: Any = 0) -> int:
        """Register `hotkey` (owned by `coldkey`) on `netuid` with `stake` minted onto it
        (docs/ruleset.md §8.5); a non-zero `balance` then becomes the coldkey's free balance.
        Amounts: Balance, float τ or int rao, as in the SDK's mock. Returns the uid."""
        k = self._keys
        hk, ck = k.account(hotkey, "hotkey"), k.account(coldkey, "coldkey")
        self._sudo_block([tx.SudoRegister(origin=self._sudo, netuid=netuid, hotkey=hk, coldkey=ck,
                                          stake=_rao(stake), balance=0)])
        if _rao(balance) > 0:
            self.force_set_balance(coldkey, balance)
        uid = self._chain.uid(netuid, hk)
        assert uid is not None
        return uid

    def force_set_balance(self, ss58_address: str, balance: Any = 0) -> tuple[bool, str | None]:
        """Set the free balance of an account (total issuance follows)."""
        who = self._keys.account(ss58_address, "ss58_address")
        self._sudo_block([tx.SudoSetBalance(origin=self._sudo, who=who, free=_rao(balance))])
        return True, None

    sudo_force_set_balance = force_set_balance

    def do_block_step(self) -> None:
        self.step(1)

    @staticmethod
    def min_required_stake() -> int:
        return 0

    def set_hyperparameter(self, *args: Any, **kwargs: Any) -> Any:
        """`set_hyperparameter(netuid, name, value)` (sudo; `netuid=None` for a global parameter,
        names of docs/ruleset.md §13), or the SDK's `set_hyperparameter(wallet, netuid, parameter,
        value, …)` as the subnet owner."""
        if "wallet" in kwargs or (args and not (args[0] is None or isinstance(args[0], int))):
            return super().set_hyperparameter(*args, **kwargs)
        return self._sudo_set(*args, **kwargs)

    def _sudo_set(self, netuid: int | None, name: str, value: int | bool) -> None:
        self._sudo_block([tx.SudoSetHyperparameter(origin=self._sudo, netuid=netuid, name=name,
                                                   value=value)])


__all__ = ["PROFILES", "MockSubtensor", "Profile", "SUDO"]
