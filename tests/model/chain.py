"""The model of the whole chain: :class:`Model`, every rule mixin put together, with the block
lifecycle (open, seal, the block hashes H(k) of docs/ruleset.md §8.3), the atomic transaction
dispatch and the queries the tests compare with taostate's.
"""

from __future__ import annotations

import copy
from typing import Any

import msgpack  # type: ignore[import-untyped]

from .balances import Balances
from .emission import Emission
from .hyperparams import Hyperparams
from .pow import blake2b_256
from .registration import Registration
from .serving import Serving
from .state import OutOfScope, Rejected
from .subnets import Subnets
from .weights import Weights


class Model(Balances, Registration, Subnets, Weights, Serving, Hyperparams, Emission):
    """The whole chain state of docs/ruleset.md §0.6 and its transitions."""

    # ---- blocks ----------------------------------------------------------------------------
    def open_block(self) -> None:
        if not self.is_open:
            self.block = self.head + 1
            self.block_step(self.block)
            self.is_open = True

    def seal(self) -> int:
        self.open_block()
        if self.block_hashes is not None:
            record = msgpack.packb([1, self.block, self.block_hashes[-1], self.block_txs],
                                   use_bin_type=True)
            self.block_hashes.append(blake2b_256(record))
        self.block_txs = []
        self.head = self.block
        self.is_open = False
        return self.head

    @property
    def head_hash(self) -> bytes:
        assert self.block_hashes is not None
        return self.block_hashes[self.head]

    def step(self, blocks: int = 1) -> int:
        for _ in range(blocks):
            self.seal()
        return self.head

    # ---- transactions (each rule is a `_tx_<Name>` of a mixin) -----------------------------
    def apply(self, tx: Any) -> None:
        """Apply one transaction in the open block (opened if needed); atomic.

        Raises :class:`Rejected` (state unchanged) or :class:`OutOfScope`.
        """
        self.open_block()
        name = type(tx).__name__
        handler = getattr(self, "_tx_" + name, None)
        if handler is None:
            raise OutOfScope(name)
        saved = copy.deepcopy(self.__dict__)
        try:
            handler(tx)
        except Rejected:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        if self.block_hashes is not None:
            self.block_txs.append(tx.to_wire())

    # ---- queries (the names of taostate's Queries) -----------------------------------------
    def subnets(self) -> list[int]:
        return sorted(self.added)

    def uid(self, u: int, h: bytes) -> int | None:
        nr = self.neurons.get(u)
        return None if nr is None else nr.uids.get(h)

    def accounts(self) -> list[bytes]:
        """Every account with a non-zero balance, a non-zero stake, or a hotkey: hotkey accounts
        (owner entries) and the coldkeys owning them."""
        out = {a for a, v in self.free.items() if v}
        for h, st in self.stake.items():
            for c, v in st.items():
                if v:
                    out.add(c)
                    out.add(h)
        out.update(self.owner)
        out.update(self.owner.values())
        return sorted(out)

    def axon(self, u: int, h: bytes) -> dict[str, int] | None:
        return self.axons.get((u, h))

    def metagraph(self, u: int) -> dict[str, Any]:
        """The metagraph vectors of existing subnet u (weights/bonds as dense n×n u16 rows)."""
        nr = self.neurons[u]
        n = nr.n
        bar = self.block_at_registration.get(u, {})

        def dense(rows: dict[int, list[tuple[int, int]]]) -> list[list[int]]:
            out = [[0] * n for _ in range(n)]
            for i in range(n):
                for j, v in rows.get(i, []):
                    if j < n:
                        out[i][j] = v
            return out

        return {
            "n": n, "hotkeys": list(nr.keys), "coldkeys": [self.owner[h] for h in nr.keys],
            "stake": [self.hotkey_stake(h) for h in nr.keys],
            "ranks": list(nr.rank), "trust": list(nr.trust), "consensus": list(nr.consensus),
            "incentive": list(nr.incentive), "dividends": list(nr.dividends),
            "validator_trust": list(nr.validator_trust), "emission": list(nr.emission),
            "active": list(nr.active), "validator_permit": list(nr.validator_permit),
            "last_update": list(nr.last_update),
            "block_at_registration": [bar[i] for i in range(n)],
            "pruning_scores": list(nr.pruning_scores),
            "weights": dense(nr.weights), "bonds": dense(nr.bonds),
        }
