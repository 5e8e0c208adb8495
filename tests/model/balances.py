"""Balances (docs/ruleset.md §2): ``transfer`` (§2.1) and ``sudo_set_balance`` (§2.2)."""

from __future__ import annotations

from typing import Any

from .fixedpoint import U64_MAX
from .state import ED, S_MAX, ModelState, Rejected


class Balances(ModelState):
    """The balance transactions."""

    # §2.1
    def _tx_Transfer(self, tx: Any) -> None:
        src, dest, amount = bytes(tx.origin), bytes(tx.dest), tx.amount
        if amount == 0 or dest == src:
            return
        if self.balance(src) < amount:
            raise Rejected("InsufficientBalance")
        if self.balance(dest) + amount > U64_MAX:
            raise Rejected("ArithmeticOverflow")
        if self.balance(dest) + amount < ED:
            raise Rejected("BalanceBelowExistentialDeposit")
        rest = self.balance(src) - amount
        if rest != 0 and rest < ED:
            raise Rejected("BalanceBelowExistentialDeposit")
        self.free[src] = rest
        self.credit_free(dest, amount)

    # §2.2
    def _tx_SudoSetBalance(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")
        who, old = bytes(tx.who), self.balance(bytes(tx.who))
        issuance = self.total_issuance - old + tx.free
        if issuance > S_MAX:
            raise Rejected("ArithmeticOverflow")
        self.free[who] = tx.free
        self.total_issuance = issuance
