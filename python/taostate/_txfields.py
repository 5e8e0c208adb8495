"""Transaction fields: how each field of a :mod:`taostate.tx` class is declared, checked, written
and read.

A field is declared once in its class, ``name: Kind = field(_CODEC)``. ``Kind`` is an
``In[accepts, holds]`` alias that tells the type checker what the constructor accepts and what
the field holds (``Account``: any AccountLike in, an AccountId out); ``_CODEC`` is the field's
codec: it validates and normalises the constructor argument (raising
:class:`~taostate.errors.InvalidTransaction` naming the field), gives the msgpack-ready wire value
(docs/WIRE.md) and reads a wire value back. The nested transaction of ``Propose`` has its codec in
:mod:`taostate.tx`, beside the classes it reads.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import operator
from collections.abc import Iterable
from typing import Any, Final, Generic, SupportsIndex, TypeVar, Union, overload

from .accounts import AccountId, AccountLike, to_account
from .errors import InvalidTransaction

BytesLike = Union[bytes, bytearray, memoryview]
"""``work``: any bytes-like value (stored as bytes)."""
HashLike = Union[bytes, bytearray, memoryview, str]
"""A 32-byte hash: bytes, or 64 hex digits with or without ``0x``."""
IpLike = Union[SupportsIndex, ipaddress.IPv4Address, ipaddress.IPv6Address, str]
"""An ip: an int in [0, 2**128), an ``ipaddress`` object or an address str."""


def _short(x: object) -> str:
    r = repr(x)
    return r if len(r) <= 48 else r[:45] + "..."


def _is_np_bool(x: object) -> bool:
    """numpy's bool scalar (``numpy.bool_``, called ``numpy.bool`` in numpy 2)."""
    t = type(x)
    return t.__module__ == "numpy" and t.__name__ in ("bool", "bool_")


def _what(x: object) -> str:
    return f"{type(x).__name__} {_short(x)}"


# --------------------------------------------------------------------------- #
# Field codecs: construction check, wire encoding, reading checked wire values.


class _Codec:
    """How one field is validated, written and read."""

    def check(self, x: Any, where: str) -> Any:
        """Validate/normalise a constructor argument, or raise InvalidTransaction."""
        raise NotImplementedError

    def encode(self, x: Any) -> Any:
        """The msgpack-ready wire value of a normalised field."""
        return x

    def read(self, w: Any) -> Any:
        """The field value of a wire value the core has already checked (see :func:`decode`)."""
        return w


class _Acct(_Codec):

    def check(self, x: Any, where: str) -> AccountId:
        if type(x) is AccountId:
            return x
        return to_account(x, where)

    def encode(self, x: AccountId) -> bytes:
        return x.public_key

    def read(self, w: bytes) -> AccountId:
        return AccountId(w)


class _UInt(_Codec):
    def __init__(self, bits: int, rule: str = "") -> None:
        self.bits = bits
        self.max = (1 << bits) - 1
        self.rule = rule  # "amounts are …"; default derived from the field name

    def _explain(self, where: str) -> str:
        if self.rule:
            return self.rule
        name = where.rsplit(".", 1)[-1]
        if "[" in name:  # an element of a vector
            return f"each of {name.split('[')[0]} is a u{self.bits} (int, 0 ≤ x < 2**{self.bits})"
        return f"{name} is a u{self.bits} (int, 0 ≤ {name} < 2**{self.bits})"

    def check(self, x: Any, where: str) -> int:
        if type(x) is int and 0 <= x <= self.max:
            return x
        if isinstance(x, bool) or _is_np_bool(x):
            raise InvalidTransaction(
                f"{where}: expected int, got bool {x}; {self._explain(where)}", field=where
            )
        try:
            v = operator.index(x)
        except TypeError:
            extra = ""
            if isinstance(x, float) and self.rule:
                extra = " (write 5 * ts.TAO or Balance.from_tao(...).rao, not a float)"
            raise InvalidTransaction(
                f"{where}: expected int, got {_what(x)}; {self._explain(where)}{extra}",
                field=where,
            ) from None
        if v < 0:
            raise InvalidTransaction(
                f"{where}: {v} is negative; {self._explain(where)}", field=where
            )
        if v > self.max:
            raise InvalidTransaction(
                f"{where}: {v} is too large; {self._explain(where)}", field=where
            )
        return v


class _OptU16(_Codec):
    """``netuid`` of SudoSetHyperparameter: u16, or None for a global parameter."""

    _u16 = _UInt(16, "netuid is a u16 (int, 0 ≤ netuid < 2**16), or None for a global parameter")

    def check(self, x: Any, where: str) -> int | None:
        return None if x is None else self._u16.check(x, where)


class _Bool(_Codec):

    def check(self, x: Any, where: str) -> bool:
        if isinstance(x, bool):
            return x
        if _is_np_bool(x):  # numpy.bool_
            return bool(x)
        raise InvalidTransaction(f"{where}: expected bool, got {_what(x)}", field=where)


class _Value(_Codec):
    """``SudoSetHyperparameter.value``: bool or u64 (fit is a rule check)."""

    _u64 = _UInt(64, "value is a bool or a u64 (int, 0 ≤ value < 2**64)")

    def check(self, x: Any, where: str) -> bool | int:
        if isinstance(x, bool):
            return x
        if _is_np_bool(x):
            return bool(x)
        return self._u64.check(x, where)


class _Bin(_Codec):
    def __init__(self, size: int | None = None) -> None:
        self.size = size

    def check(self, x: Any, where: str) -> bytes:
        if type(x) is bytes:
            b = x
        elif isinstance(x, (bytes, bytearray, memoryview)):
            b = bytes(x)
        elif self.size is not None and isinstance(x, str):
            t = x[2:] if x[:2] in ("0x", "0X") else x
            try:
                b = bytes.fromhex(t)
            except ValueError:
                raise InvalidTransaction(
                    f"{where}: {_short(x)} is neither bytes nor hex", field=where
                ) from None
        else:
            raise InvalidTransaction(f"{where}: expected bytes, got {_what(x)}", field=where)
        if self.size is not None and len(b) != self.size:
            raise InvalidTransaction(
                f"{where}: expected {self.size} bytes, got {len(b)}", field=where
            )
        return b


class _Ip(_Codec):
    """An ip as an int in [0, 2**128), written as 16 big-endian bytes."""

    _explain = "ip is an int (0 ≤ ip < 2**128), an ipaddress object or an address str"

    def check(self, x: Any, where: str) -> int:
        if type(x) is int and 0 <= x < (1 << 128):
            return x
        if isinstance(x, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return int(x)
        if isinstance(x, str):
            try:
                return int(ipaddress.ip_address(x))
            except ValueError:
                raise InvalidTransaction(
                    f"{where}: {_short(x)} is not an ip address; {self._explain}", field=where
                ) from None
        if isinstance(x, bool) or _is_np_bool(x):
            raise InvalidTransaction(
                f"{where}: expected int, got bool; {self._explain}", field=where
            )
        try:
            v = operator.index(x)
        except TypeError:
            raise InvalidTransaction(
                f"{where}: expected int, got {_what(x)}; {self._explain}", field=where
            ) from None
        if not 0 <= v < (1 << 128):
            raise InvalidTransaction(f"{where}: {v} is out of range; {self._explain}", field=where)
        return v

    def encode(self, x: int) -> bytes:
        return x.to_bytes(16, "big")

    def read(self, w: bytes) -> int:
        return int.from_bytes(w, "big")


class _Str(_Codec):

    def check(self, x: Any, where: str) -> str:
        if isinstance(x, str):
            return str(x)
        raise InvalidTransaction(f"{where}: expected str, got {_what(x)}", field=where)


class _U16List(_Codec):
    _elem = _UInt(16)

    def check(self, x: Any, where: str) -> tuple[int, ...]:
        if isinstance(x, (str, bytes, bytearray, memoryview, dict)) or not hasattr(x, "__iter__"):
            raise InvalidTransaction(
                f"{where}: expected a sequence of u16 ints, got {_what(x)}", field=where
            )
        tolist = getattr(x, "tolist", None)  # numpy arrays: one C call instead of scalars
        items = tolist() if callable(tolist) and not isinstance(x, (list, tuple)) else x
        try:
            out = tuple(items)
        except TypeError:  # e.g. a 0-d numpy array
            raise InvalidTransaction(
                f"{where}: expected a sequence of u16 ints, got {_what(x)}", field=where
            ) from None
        if not out or (
            set(map(type, out)) == {int} and min(out) >= 0 and max(out) <= 0xFFFF
        ):
            return out  # the common case, without a Python-level loop per element
        check = self._elem.check
        return tuple(check(v, f"{where}[{i}]") for i, v in enumerate(out))

    def encode(self, x: tuple[int, ...]) -> list[int]:
        return list(x)

    def read(self, w: list[int]) -> tuple[int, ...]:
        return tuple(w)


# one codec per kind of field
_ACCT: Final = _Acct()
_U8: Final = _UInt(8)
_U16: Final = _UInt(16)
_U32: Final = _UInt(32)
_U64: Final = _UInt(64)
_AMOUNT: Final = _UInt(64, "amounts are unsigned rao (int, 0 ≤ amount < 2**64)")
_BOOL: Final = _Bool()
_BIN: Final = _Bin()
_HASH: Final = _Bin(32)
_IP: Final = _Ip()
_STR: Final = _Str()
_OPT_U16: Final = _OptU16()
_VALUE: Final = _Value()
_U16S: Final = _U16List()


# --------------------------------------------------------------------------- #
# Field kinds for the type checker, and the field specifier

_S = TypeVar("_S", contravariant=True)
_G = TypeVar("_G", covariant=True)


class In(Generic[_S, _G]):
    """Type-checking only: a field the constructor accepts as ``_S`` and that holds ``_G``
    (a data descriptor, which dataclass type checkers read that way). At run time the
    field is an ordinary slot and its codec does the conversion."""

    @overload
    def __get__(self, obj: None, owner: Any) -> In[_S, _G]: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> _G: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - never called
        raise NotImplementedError

    def __set__(self, obj: object, value: _S) -> None:  # pragma: no cover - never called
        raise NotImplementedError


Account = In[AccountLike, AccountId]
Int = In[SupportsIndex, int]
OptInt = In[Union[SupportsIndex, None], Union[int, None]]
Flag = In[bool, bool]
Value = In[Union[bool, SupportsIndex], Union[bool, int]]
Bytes = In[BytesLike, bytes]
Hash = In[HashLike, bytes]
Ip = In[IpLike, int]
Text = In[str, str]
Uints = In[Iterable[SupportsIndex], tuple[int, ...]]


def field(codec: _Codec, *, default: Any = dataclasses.MISSING) -> Any:
    """A transaction field with its codec (and a default)."""
    return dataclasses.field(default=default, metadata={"codec": codec})
