"""`LabelWallet`: a wallet whose keys are plain labels, the way subnet test suites fake them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """The part of a keypair the SDK's extrinsic code reads: its address."""

    ss58_address: str


class LabelWallet:
    """`LabelWallet("validator")`: hotkey ``"validator-hotkey"``, coldkey ``"validator-coldkey"``
    (labels, mapped to dev accounts by `taostate.bittensor`; no key files, nothing to sign with).
    Accepted wherever the SDK takes a wallet on a taostate chain."""

    def __init__(self, name: str, hotkey: str | None = None, coldkey: str | None = None) -> None:
        self.name = name
        self.hotkey = Key(hotkey if hotkey is not None else f"{name}-hotkey")
        self.coldkeypub = Key(coldkey if coldkey is not None else f"{name}-coldkey")
        self.coldkey = self.coldkeypub
        self.hotkey_str = "default"

    def __repr__(self) -> str:
        return f"LabelWallet({self.name!r}, hotkey={self.hotkey.ss58_address!r}, " \
               f"coldkey={self.coldkeypub.ss58_address!r})"
