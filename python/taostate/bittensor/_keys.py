"""Accounts as the SDK names them: ss58 strings, wallets, and the plain labels subnet mocks use.

A string that is a valid ss58 address (prefix 42) or ``0x`` + 64 hex digits is that account; any
other string is a *label* (``"miner-hotkey-3"``), mapped to the dev account ``ts.account(label)``
and reported back as the same string. Wallets are duck-typed: ``wallet.hotkey.ss58_address`` and
``wallet.coldkeypub.ss58_address`` (strings, mapped the same way).
"""

from __future__ import annotations

from typing import Any

from ..accounts import AccountId, account
from ..errors import InvalidTransaction


class Keys:
    """The two-way map between the SDK's account strings and taostate accounts."""

    def __init__(self) -> None:
        self._labels: dict[AccountId, str] = {}

    def account(self, x: Any, field: str = "account") -> AccountId:
        """The account of an ss58 / hex string, a label, an AccountId or 32 bytes."""
        if type(x) is AccountId:
            return x
        if isinstance(x, (bytes, bytearray, memoryview)):
            if len(x) != 32:
                raise InvalidTransaction(f"{field}: an account is 32 bytes, got {len(x)}", field=field)
            return AccountId(bytes(x))
        if not isinstance(x, str):
            raise InvalidTransaction(
                f"{field}: expected an ss58 address, a label str or an AccountId, got {type(x).__name__}",
                field=field)
        try:
            if x[:2] in ("0x", "0X") and len(x) == 66:
                return AccountId.from_hex(x)
            return AccountId.from_ss58(x)
        except InvalidTransaction:
            pass
        if not x:
            raise InvalidTransaction(f"{field}: an empty string is not an account", field=field)
        acct = account(x)
        self._labels.setdefault(acct, x)
        return acct

    def hotkey(self, wallet: Any) -> AccountId:
        return self.account(wallet.hotkey.ss58_address, "wallet.hotkey")

    def coldkey(self, wallet: Any) -> AccountId:
        return self.account(wallet.coldkeypub.ss58_address, "wallet.coldkeypub")

    def name(self, acct: AccountId | bytes | None) -> str:
        """How the SDK sees an account: its label if it came in as one, else its ss58 address."""
        if acct is None:
            return ZERO_SS58
        a = acct if type(acct) is AccountId else AccountId(bytes(acct))
        label = self._labels.get(a)
        return label if label is not None else a.ss58

    def label(self, acct: AccountId, label: str) -> None:
        """Report `acct` as `label` from now on."""
        self._labels[acct] = label


ZERO_SS58 = AccountId(bytes(32)).ss58
"""The all-zero account's address: what the chain answers for an absent account value."""
