"""Stake, delegation (docs/ruleset.md §7) and the payout of emission through a hotkey (§6.3)."""

from __future__ import annotations

from typing import Any

from .fixedpoint import I64F64
from .state import ModelState, Rejected


class Staking(ModelState):
    """``add_stake``, ``remove_stake``, ``become_delegate``, the emission credit and unstake-all."""

    # §7.1
    def _tx_AddStake(self, tx: Any) -> None:
        c, h, amount = bytes(tx.origin), bytes(tx.hotkey), tx.amount
        if self.balance(c) < amount:
            raise Rejected("NotEnoughBalanceToStake")
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if h not in self.delegates and self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.debit_check(c, amount, "NotEnoughBalanceToStake")
        self.free[c] = self.balance(c) - amount
        self.add_stake_to(c, h, amount)
        self.last_tx_block[c] = self.block

    # §7.2
    def _tx_RemoveStake(self, tx: Any) -> None:
        c, h, amount = bytes(tx.origin), bytes(tx.hotkey), tx.amount
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if h not in self.delegates and self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if amount == 0:
            raise Rejected("NotEnoughStaketoWithdraw")
        if self.stake.get(h, {}).get(c, 0) < amount:
            raise Rejected("NotEnoughStaketoWithdraw")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.stake[h][c] -= amount
        self.credit_free(c, amount)
        self.last_tx_block[c] = self.block

    # §7.3
    def _tx_BecomeDelegate(self, tx: Any) -> None:
        c, h = bytes(tx.origin), bytes(tx.hotkey)
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if h in self.delegates:
            raise Rejected("AlreadyDelegate")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.delegates[h] = self.globals["default_take"]
        self.last_tx_block[c] = self.block

    def credit(self, hotkey: bytes, server: int, validator: int) -> None:
        """docs/ruleset.md §6.3."""
        o = self.owner[hotkey]
        if hotkey not in self.delegates:
            self.add_stake_to(o, hotkey, server + validator)
            return
        tot = self.hotkey_stake(hotkey)
        f = I64F64
        take = f.to_int(f.mul(f.div(f.of(self.delegates[hotkey]), f.of(65535)), f.of(validator)))
        rest = validator - take
        shares = 0
        for c in sorted(self.stake.get(hotkey, {})):
            stake_c = self.stake[hotkey][c]
            share = 0 if tot == 0 else f.to_int(f.mul(f.of(rest), f.div(f.of(stake_c), f.of(tot))))
            self.add_stake_to(c, hotkey, share)
            shares += share
        self.add_stake_to(o, hotkey, take + (rest - shares))
        self.add_stake_to(o, hotkey, server)

    def unstake_all(self, hotkey: bytes) -> None:
        """docs/ruleset.md §7.4."""
        for c in sorted(self.stake.get(hotkey, {})):
            x = self.stake[hotkey][c]
            self.stake[hotkey][c] = 0
            self.credit_free(c, x)
