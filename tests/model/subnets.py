"""Subnets (docs/ruleset.md §9): the lock cost (§9.1), ``register_network`` with pruning of the
weakest subnet at the limit (§9.2), ``init_new_network``, ``remove`` and ``dissolve_network`` (§9.4)
and ``sudo_register_network`` (§9.6).
"""

from __future__ import annotations

from typing import Any

from .fixedpoint import U64_MAX
from .params import RESET_ON_REMOVE, USER_PARAMS
from .state import ModelState, Neurons, Rejected


def lock_cost(last_lock: int, last_registered: int, block: int, min_lock: int,
              reduction_interval: int) -> int:
    """docs/ruleset.md §9.1 with saturating ``·`` and ``⊖``."""
    mult = 1 if last_registered == 0 else 2
    doubled = min(mult * last_lock, U64_MAX)
    since = max(block - last_registered, 0)
    reduction = min((last_lock // reduction_interval) * since, U64_MAX)
    return max(min_lock, max(doubled - reduction, 0))


class Subnets(ModelState):
    """The subnet transactions and the subnet lifecycle."""

    # §9.2
    def current_lock_cost(self) -> int:
        return lock_cost(self.network_last_lock_cost, self.network_last_registered, self.block,
                         self.globals["network_min_lock_cost"],
                         self.globals["network_lock_reduction_interval"])

    def subnet_to_prune(self) -> int | None:
        b = self.block
        cands = [u for u in sorted(self.added) if u >= 1
                 and max(b - self.registered_at[u], 0) >= self.globals["network_immunity_period"]]
        if not cands:
            return None
        return min(cands, key=lambda u: (self.emission_values.get(u, 0), self.registered_at[u], -u))

    def remove_network(self, u: int) -> None:
        """docs/ruleset.md §9.4 remove(netuid)."""
        self.added.discard(u)
        self.registered_at.pop(u, None)
        del self.neurons[u]
        stored = self.params.get(u, {})
        for name in RESET_ON_REMOVE:
            stored.pop(name, None)
        self.emission_values.pop(u, None)
        self.registrations_this_interval.pop(u, None)
        self.pow_registrations_this_interval.pop(u, None)
        self.burn_registrations_this_interval.pop(u, None)
        owner = self.subnet_owner.pop(u, None)
        locked = self.subnet_locked.pop(u, 0)
        if owner is not None:
            self.credit_free(owner, locked)

    def init_new_network(self, u: int) -> None:
        self.neurons[u] = Neurons()
        self.added.add(u)
        for name, v in USER_PARAMS.items():
            self.set_p(u, name, v)

    def _tx_RegisterNetwork(self, tx: Any) -> None:
        c = bytes(tx.origin)
        b = self.block
        if b - self.network_last_registered < self.globals["network_rate_limit"]:
            raise Rejected("TxRateLimitExceeded")
        cost = self.current_lock_cost()
        if self.balance(c) < cost:
            raise Rejected("NotEnoughBalanceToStake")
        if self.total_networks - 1 < self.globals["subnet_limit"]:
            u = 1
            while u in self.added:
                u += 1
        else:
            p = self.subnet_to_prune()
            if p is None:
                raise Rejected("AllNetworksInImmunity")
            self.remove_network(p)
            self.coverage["prune_network"] += 1
            u = p
        self.debit_check(c, cost, "NotEnoughBalanceToStake")
        self.free[c] = self.balance(c) - cost
        self.subnet_locked[u] = cost
        self.network_last_lock_cost = cost
        self.init_new_network(u)
        self.network_last_registered = b
        self.registered_at[u] = b
        self.subnet_owner[u] = c

    # §9.6
    def _tx_SudoRegisterNetwork(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")
        u = tx.netuid
        if u == 0:
            raise Rejected("OperationNotPermittedonRootSubnet")
        if u in self.added:
            raise Rejected("AlreadyRegistered")
        self.init_new_network(u)
        self.registered_at[u] = self.block

    # §9.4
    def _tx_DissolveNetwork(self, tx: Any) -> None:
        c, u = bytes(tx.origin), tx.netuid
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if self.subnet_owner.get(u) != c:
            raise Rejected("NotSubnetOwner")
        self.remove_network(u)
