"""Accounts: 32-byte public keys, their ss58 text form, and dev accounts.

ss58 is the Substrate address format: base58 of ``prefix ‖ key ‖ checksum``
where the checksum is the first 2 bytes of BLAKE2b-512(b"SS58PRE" ‖ prefix ‖ key).
Bittensor uses network prefix 42 ("5…" addresses).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final, Union

import base58

from .errors import InvalidTransaction

__all__ = [
    "AccountId",
    "AccountLike",
    "SS58_PREFIX",
    "ZERO_ACCOUNT",
    "account",
    "ss58_decode",
    "ss58_encode",
    "to_account",
]

SS58_PREFIX: Final = 42
_SS58PRE: Final = b"SS58PRE"
_KEY_LEN: Final = 32
_CHECKSUM_LEN: Final = 2  # for 32-byte keys

# Dev accounts made by account(name) in this process, for readable reprs only.
_DEV_NAMES: dict[bytes, str] = {}


def _prefix_bytes(prefix: int) -> bytes:
    if type(prefix) is not int or not 0 <= prefix < 16384 or prefix in (46, 47):
        raise ValueError(f"ss58 prefix {prefix!r} is not valid (0..16383, except 46 and 47)")
    if prefix < 64:
        return bytes([prefix])
    # Two-byte "full" form: 14 bits spread over two bytes, first byte tagged 0b01.
    first = ((prefix & 0b1111_1100) >> 2) | 0b0100_0000
    second = (prefix >> 8) | ((prefix & 0b0000_0011) << 6)
    return bytes([first, second])


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(_SS58PRE + payload, digest_size=64).digest()[:_CHECKSUM_LEN]


def ss58_encode(public_key: bytes, prefix: int = SS58_PREFIX) -> str:
    """The ss58 address of a 32-byte public key under network ``prefix``."""
    key = bytes(public_key)
    if len(key) != _KEY_LEN:
        raise ValueError(f"an account key is 32 bytes, got {len(key)}")
    payload = _prefix_bytes(prefix) + key
    return base58.b58encode(payload + _checksum(payload)).decode("ascii")


def ss58_decode(address: str, prefix: int | None = SS58_PREFIX) -> bytes:
    """The 32-byte public key of an ss58 ``address``.

    Raises InvalidTransaction if the text is not base58, the checksum fails, the
    payload is not a 32-byte account, or its network prefix differs from
    ``prefix`` (pass ``prefix=None`` to accept any network).
    """
    if not isinstance(address, str):
        raise InvalidTransaction(f"an ss58 address is a str, got {type(address).__name__}")
    shown = address if len(address) <= 64 else address[:61] + "..."
    try:
        raw = base58.b58decode(address.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidTransaction(
            f"{shown!r} is not an ss58 address: it contains characters outside base58"
        ) from None
    if len(raw) < 1:
        raise InvalidTransaction(f"{shown!r} is not an ss58 address: it is empty")
    if raw[0] & 0b1000_0000:
        raise InvalidTransaction(f"{shown!r} is not an ss58 address: reserved prefix byte")
    if raw[0] & 0b0100_0000:
        if len(raw) < 2:
            raise InvalidTransaction(f"{shown!r} is not an ss58 address: too short")
        found = ((raw[0] & 0b0011_1111) << 2) | (raw[1] >> 6) | ((raw[1] & 0b0011_1111) << 8)
        plen = 2
    else:
        found = raw[0]
        plen = 1
    if len(raw) != plen + _KEY_LEN + _CHECKSUM_LEN:
        raise InvalidTransaction(
            f"{shown!r} is not the ss58 address of a 32-byte account "
            f"(payload of {len(raw) - plen} bytes)"
        )
    payload, check = raw[: plen + _KEY_LEN], raw[plen + _KEY_LEN :]
    if _checksum(payload) != check:
        raise InvalidTransaction(
            f"{shown!r}: ss58 checksum mismatch; the address is mistyped or truncated"
        )
    if prefix is not None and found != prefix:
        raise InvalidTransaction(
            f"{shown!r} is an ss58 address for network prefix {found}, expected {prefix}; "
            f"re-encode the key with AccountId(key).ss58"
        )
    return payload[plen:]


class AccountId:
    """An account: a 32-byte public key (coldkey or hotkey).

    Immutable and hashable; ordered by its raw bytes (docs/ruleset.md §0.1 "ascending
    account order"). ``bytes(aid)`` gives the key, ``aid.ss58`` the address,
    ``str(aid)`` the ss58 address too.
    """

    __slots__ = ("_key", "_ss58")

    _key: bytes
    _ss58: str | None

    def __init__(self, key: bytes | bytearray | memoryview) -> None:
        if isinstance(key, AccountId):
            b = key._key
        elif isinstance(key, (bytes, bytearray, memoryview)):
            b = bytes(key)
        else:
            raise TypeError(
                f"AccountId takes 32 bytes, got {type(key).__name__}; "
                f"use AccountId.from_ss58(text) or ts.account(name)"
            )
        if len(b) != _KEY_LEN:
            raise InvalidTransaction(f"an account key is 32 bytes, got {len(b)}")
        object.__setattr__(self, "_key", b)
        object.__setattr__(self, "_ss58", None)

    @classmethod
    def from_ss58(cls, address: str, prefix: int | None = SS58_PREFIX) -> AccountId:
        """Parse an ss58 address (network prefix 42 unless ``prefix`` says
        otherwise; None accepts any). Raises InvalidTransaction."""
        return cls(ss58_decode(address, prefix))

    @classmethod
    def from_hex(cls, text: str) -> AccountId:
        """Parse 64 hex digits, with or without a ``0x`` prefix."""
        t = text[2:] if text[:2] in ("0x", "0X") else text
        try:
            b = bytes.fromhex(t)
        except ValueError:
            b = b""
        if len(b) != _KEY_LEN:
            raise InvalidTransaction(f"{text!r} is not a hex public key (64 hex digits)")
        return cls(b)

    @property
    def ss58(self) -> str:
        """The ss58 address (prefix 42)."""
        s = self._ss58
        if s is None:
            s = ss58_encode(self._key, SS58_PREFIX)
            object.__setattr__(self, "_ss58", s)
        return s

    def to_ss58(self, prefix: int = SS58_PREFIX) -> str:
        """The ss58 address under another network prefix."""
        return ss58_encode(self._key, prefix)

    @property
    def hex(self) -> str:
        """The key as 64 lowercase hex digits (no ``0x``)."""
        return self._key.hex()

    @property
    def public_key(self) -> bytes:
        """The 32 raw bytes (same as ``bytes(aid)``)."""
        return self._key

    def __bytes__(self) -> bytes:
        return self._key

    def __str__(self) -> str:
        return self.ss58

    def __repr__(self) -> str:
        s = self.ss58
        name = _DEV_NAMES.get(self._key)
        short = f"{s[:6]}…{s[-6:]}"
        if name is not None:
            return f"AccountId({name!r}: {short})"
        return f"AccountId({short})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AccountId):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, AccountId):
            return self._key != other._key
        return NotImplemented

    def __lt__(self, other: AccountId) -> bool:
        if isinstance(other, AccountId):
            return self._key < other._key
        return NotImplemented

    def __le__(self, other: AccountId) -> bool:
        if isinstance(other, AccountId):
            return self._key <= other._key
        return NotImplemented

    def __gt__(self, other: AccountId) -> bool:
        if isinstance(other, AccountId):
            return self._key > other._key
        return NotImplemented

    def __ge__(self, other: AccountId) -> bool:
        if isinstance(other, AccountId):
            return self._key >= other._key
        return NotImplemented

    if not TYPE_CHECKING:  # hidden from type checkers, which then flag assignments

        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError("AccountId is immutable")

        def __delattr__(self, name: str) -> None:
            raise AttributeError("AccountId is immutable")

    def __reduce__(self) -> tuple[type[AccountId], tuple[bytes]]:
        return (AccountId, (self._key,))

    def __copy__(self) -> AccountId:
        return self

    def __deepcopy__(self, memo: object) -> AccountId:
        return self


AccountLike = Union[AccountId, str, bytes, bytearray, memoryview]
"""What every API argument that takes an account accepts."""

ZERO_ACCOUNT: Final = AccountId(bytes(_KEY_LEN))
"""The all-zero account: the ``origin`` of a proposed transaction (docs/ruleset.md §12.1)."""

_DEV_PREFIX: Final = b"taostate/dev/"


def account(name: str) -> AccountId:
    """A deterministic dev account: BLAKE2b-256(b"taostate/dev/" ‖ name as UTF-8).

    These are 32-byte identifiers for tests and simulations, **not** sr25519
    public keys: nobody holds a secret key for them, so they cannot sign on a
    real chain. ``account("alice")`` is not Substrate's //Alice.
    """
    if not isinstance(name, str):
        raise TypeError(f"account() takes a name str, got {type(name).__name__}")
    key = hashlib.blake2b(_DEV_PREFIX + name.encode("utf-8"), digest_size=32).digest()
    if len(_DEV_NAMES) < 1_000_000:  # bounded: reprs only
        _DEV_NAMES.setdefault(key, name)
    return AccountId(key)


def to_account(x: object, field: str) -> AccountId:
    """Normalise an account argument: AccountId, ss58 str (prefix 42), ``0x``
    + 64 hex digits, or 32 bytes. Anything else raises InvalidTransaction
    naming ``field``."""
    if type(x) is AccountId:
        return x
    if isinstance(x, str):
        if x[:2] in ("0x", "0X"):
            try:
                return AccountId.from_hex(x)
            except InvalidTransaction as e:
                raise InvalidTransaction(f"{field}: {e}", field=field) from None
        try:
            return AccountId.from_ss58(x)
        except InvalidTransaction as e:
            hint = ""
            if len(x) < 40 and x.isidentifier():
                hint = f"; for a dev account write ts.account({x!r})"
            raise InvalidTransaction(f"{field}: {e}{hint}", field=field) from None
    if isinstance(x, (bytes, bytearray, memoryview)):
        if len(x) != _KEY_LEN:
            raise InvalidTransaction(
                f"{field}: an account is 32 bytes, got {len(x)} bytes", field=field
            )
        return AccountId(x)
    if isinstance(x, AccountId):
        return x
    raise InvalidTransaction(
        f"{field}: expected an account (AccountId, ss58 str or 32 bytes), "
        f"got {type(x).__name__} {_short_repr(x)}",
        field=field,
    )


def _short_repr(x: object) -> str:
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."

