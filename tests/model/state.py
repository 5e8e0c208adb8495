"""The chain state of docs/ruleset.md §0.6 (:class:`ModelState`), the errors of the model, and the
helpers every rule shares: parameter access, stake and balance bookkeeping with the
existential-deposit check of §2, the transaction rate limit, the block hashes H(k) (§8.3) and
the Sudo origin.

The rules themselves live in mixins over :class:`ModelState` (one module per concept, like the Rust
core's ``rust/src/``); :class:`model.chain.Model` puts them together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .fixedpoint import U16_MAX, U64_MAX
from .params import GLOBAL_PARAMS, ROOT_PARAMS, SUBNET_PARAMS, SUBNET_STATE_DEFAULTS
from .pow import blake2b_256

S_MAX = 21_000_000_000_000_000
ED = 500
SENATE_MAX = 12
ROOT_DELEGATE_TAKE = 11_796
INITIAL_BLOCK_EMISSION = 1_000_000_000
INITIAL_LAST_LOCK_COST = 1_000_000_000_000


class Rejected(Exception):
    """A transaction the rules refuse; ``code`` is the docs/ruleset.md §14 error name."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class OutOfScope(Exception):
    """A transaction the model does not implement (no ``_tx_<Name>`` handler)."""


class FatalEngineError(Exception):
    """A condition docs/ruleset.md calls a fatal engine error (e.g. a checked credit
    overflowing)."""


@dataclass
class Neurons:
    """Per-subnet neuron state that `remove` deletes (docs/ruleset.md §9.4)."""

    keys: list[bytes] = field(default_factory=list)
    uids: dict[bytes, int] = field(default_factory=dict)
    weights: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    bonds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    active: list[bool] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    trust: list[int] = field(default_factory=list)
    consensus: list[int] = field(default_factory=list)
    incentive: list[int] = field(default_factory=list)
    dividends: list[int] = field(default_factory=list)
    validator_trust: list[int] = field(default_factory=list)
    pruning_scores: list[int] = field(default_factory=list)
    emission: list[int] = field(default_factory=list)
    last_update: list[int] = field(default_factory=list)
    validator_permit: list[bool] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.keys)


class ModelState:
    """The whole chain state of docs/ruleset.md §0.6 and the helpers shared by every rule."""

    def __init__(self, balances: dict[bytes, int], sudo: bytes,
                 params: dict[str, int] | None = None, genesis_record: bytes | None = None,
                 triumvirate: list[bytes] | None = None) -> None:
        self.free: dict[bytes, int] = {}
        for a, v in balances.items():
            if v:
                self.free[bytes(a)] = v
        self.total_issuance = sum(self.free.values())
        assert self.total_issuance <= S_MAX
        self.block_emission = INITIAL_BLOCK_EMISSION
        self.sudo_key = bytes(sudo)
        self.globals: dict[str, int] = {k: v for k, (_, v) in GLOBAL_PARAMS.items()}
        for k, v in (params or {}).items():
            self.globals[k] = v
        self.network_last_lock_cost = INITIAL_LAST_LOCK_COST
        self.network_last_registered = 0
        # accounts
        self.owner: dict[bytes, bytes] = {}
        self.stake: dict[bytes, dict[bytes, int]] = {}
        self.delegates: dict[bytes, int] = {}
        self.last_tx_block: dict[bytes, int] = {}
        self.is_member: dict[bytes, set[int]] = {}
        self.senate: set[bytes] = set()
        self.triumvirate: list[bytes] = [bytes(t) for t in triumvirate or []]
        self.proposals: dict[bytes, dict[str, Any]] = {}  # hash → proposal (docs/ruleset.md §12)
        self.proposal_count = 0
        self.dispatching = False  # inside an approved proposal's Sudo dispatch
        # subnets
        self.added: set[int] = set()
        self.neurons: dict[int, Neurons] = {}
        self.params: dict[int, dict[str, int | bool]] = {}
        self.block_at_registration: dict[int, dict[int, int]] = {}
        self.emission_values: dict[int, int] = {}
        self.pending_emission: dict[int, int] = {}
        self.loaded_emission: dict[int, list[tuple[bytes, int, int]]] = {}
        self.blocks_since_last_step: dict[int, int] = {}
        self.last_mechanism_step_block: dict[int, int] = {}
        self.last_adjustment_block: dict[int, int] = {}
        self.registrations_this_block: dict[int, int] = {}
        self.registrations_this_interval: dict[int, int] = {}
        self.pow_registrations_this_interval: dict[int, int] = {}
        self.burn_registrations_this_interval: dict[int, int] = {}
        self.subnet_owner: dict[int, bytes] = {}
        self.subnet_locked: dict[int, int] = {}
        self.registered_at: dict[int, int] = {}
        self.axons: dict[tuple[int, bytes], dict[str, int]] = {}
        self.prometheus: dict[tuple[int, bytes], dict[str, int]] = {}
        # blocks; block hashes (docs/ruleset.md §8.3 H(k)) when the genesis record bytes are given
        self.block_hashes: list[bytes] | None = (
            None if genesis_record is None else [blake2b_256(genesis_record)])
        self.block_txs: list[Any] = []  # wire arrays of the open block's accepted transactions
        self.used_work: dict[bytes, int] = {}
        self.head = 0
        self.block = 0
        self.is_open = False
        # bookkeeping for the tests (not chain state)
        self.minted_past_cap = False
        self.last_dispatch: str | None = None
        self.last_root_epoch: str | None = None
        self.coverage: Counter[str] = Counter()  # which rule paths ran (for tuning the fuzzer)
        # genesis root network (§9.5)
        self.added.add(0)
        self.neurons[0] = Neurons()
        self.params[0] = dict(ROOT_PARAMS)

    def p(self, netuid: int, name: str) -> Any:
        stored = self.params.get(netuid, {})
        if name in stored:
            return stored[name]
        if name in SUBNET_STATE_DEFAULTS:
            return SUBNET_STATE_DEFAULTS[name]
        return SUBNET_PARAMS[name][1]

    def set_p(self, netuid: int, name: str, value: int | bool) -> None:
        self.params.setdefault(netuid, {})[name] = value

    @property
    def total_networks(self) -> int:
        return len(self.added)

    def hotkey_stake(self, hotkey: bytes) -> int:
        return sum(self.stake.get(hotkey, {}).values())

    def coldkey_stake(self, coldkey: bytes) -> int:
        return sum(st.get(coldkey, 0) for st in self.stake.values())

    @property
    def total_stake(self) -> int:
        return sum(sum(st.values()) for st in self.stake.values())

    @property
    def total_balance(self) -> int:
        return sum(self.free.values())

    @property
    def total_locked(self) -> int:
        return sum(self.subnet_locked.values())

    def add_stake_to(self, coldkey: bytes, hotkey: bytes, x: int) -> None:
        st = self.stake.setdefault(hotkey, {})
        st[coldkey] = st.get(coldkey, 0) + x
        if st[coldkey] > U64_MAX or self.total_stake > U64_MAX:
            raise FatalEngineError("stake overflow")

    def credit_free(self, a: bytes, x: int) -> None:
        self.free[a] = self.free.get(a, 0) + x
        if self.free[a] > U64_MAX:
            raise FatalEngineError("balance overflow")

    def balance(self, a: bytes) -> int:
        return self.free.get(a, 0)

    def debit_check(self, a: bytes, x: int, insufficient: str) -> None:
        """ED rule of §2 for a debit of x (0 always passes)."""
        if x == 0:
            return
        if self.balance(a) < x:
            raise Rejected(insufficient)
        rest = self.balance(a) - x
        if rest != 0 and rest < ED:
            raise Rejected("BalanceBelowExistentialDeposit")

    def rate_limited(self, c: bytes) -> bool:
        lim = self.globals["tx_rate_limit"]
        last = self.last_tx_block.get(c, 0)
        return lim != 0 and last != 0 and self.block - last <= lim

    def block_hash(self, k: int) -> bytes:
        """H(k) of docs/ruleset.md §8.3: the hash of committed block k, zeros for the open block."""
        assert self.block_hashes is not None, "block hashes need the genesis record"
        return bytes(32) if k == self.block else self.block_hashes[k]

    def is_sudo(self, origin: bytes) -> bool:
        """Origin ``Sudo``: the sudo key, or a call dispatched by an approved proposal."""
        return self.dispatching or origin == self.sudo_key

    # §12 governance
    def _require_sudo(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")

    @staticmethod
    def inc16(d: dict[int, int], u: int) -> None:
        d[u] = min(d.get(u, 0) + 1, U16_MAX)
