"""``sudo_set_hyperparameter`` (docs/ruleset.md §13.3) over the tables of :mod:`model.params`, and
the calls that always fail (§13.4).
"""

from __future__ import annotations

from typing import Any

from .params import GLOBAL_PARAMS, NO_EXISTENCE_CHECK, SUBNET_PARAMS, _fits
from .state import ModelState, Rejected


class Hyperparams(ModelState):
    """The hyperparameter setter and the unsupported calls."""

    # §13.3
    def _tx_SudoSetHyperparameter(self, tx: Any) -> None:
        origin, u, name, value = bytes(tx.origin), tx.netuid, tx.name, tx.value
        if u is None:
            if name != "total_issuance" and name not in GLOBAL_PARAMS:
                raise Rejected("UnknownHyperparameter")
            if not self.is_sudo(origin):
                raise Rejected("BadOrigin")
            if name == "total_issuance":
                raise Rejected("CallNotSupported")
            kind = GLOBAL_PARAMS[name][0]
            if not _fits(kind, value):
                raise Rejected("StorageValueOutOfRange")
            if name == "network_lock_reduction_interval" and value < 1:
                raise Rejected("StorageValueOutOfRange")
            self.globals[name] = value
            return
        if name not in SUBNET_PARAMS:
            raise Rejected("UnknownHyperparameter")
        kind, _, who = SUBNET_PARAMS[name]
        ok = self.is_sudo(origin) or (who == "O" and self.subnet_owner.get(u) == origin)
        if not ok:
            raise Rejected("BadOrigin")
        if name not in NO_EXISTENCE_CHECK and u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if not _fits(kind, value):
            raise Rejected("StorageValueOutOfRange")
        if name == "bonds_moving_average" and value > 1_000_000:
            raise Rejected("StorageValueOutOfRange")
        if name == "max_allowed_uids":
            if not value > self.neurons[u].n:
                raise Rejected("MaxAllowedUIdsNotAllowed")
            if value > 32_768:
                raise Rejected("StorageValueOutOfRange")
        if name == "max_allowed_validators" and value > self.p(u, "max_allowed_uids"):
            raise Rejected("StorageValueOutOfRange")
        if name == "target_registrations_per_interval" and value < 1:
            raise Rejected("StorageValueOutOfRange")
        if name == "scaling_law_power" and value > 100:
            raise Rejected("StorageValueOutOfRange")
        self.set_p(u, name, value)

    # §13.4
    def _tx_SwapHotkey(self, tx: Any) -> None:
        raise Rejected("CallNotSupported")

    def _tx_Faucet(self, tx: Any) -> None:
        raise Rejected("FaucetDisabled")
