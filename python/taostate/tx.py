"""Transactions: one frozen dataclass per call of docs/ruleset.md, and their wire form.

A transaction is the msgpack array ``[kind, origin, arg1, arg2, …]`` of
docs/WIRE.md. ``kind`` numbers are fixed forever. Construction validates and
normalises every field (accounts become :class:`AccountId`, weight vectors
become tuples of ints) and raises :class:`InvalidTransaction` naming the field;
whether the rules accept the transaction is the core's business.

``decode(tx.to_msgpack()) == tx`` for every transaction, and ``decode`` accepts
nothing else: it is strict about types, ranges, arity, trailing bytes and
non-canonical encodings, so a transaction has exactly one byte form (the one
its proposal hash is computed over).
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    SupportsIndex,
    TypeVar,
    Union,
    dataclass_transform,
)

import msgpack

from .accounts import AccountId, AccountLike, to_account
from .errors import InvalidTransaction

__all__ = [
    "KINDS",
    "MAX_NESTING",
    "Tx",
    "decode",
    "from_wire",
    "proposal_hash",
    "tx_from_dict",
    # kinds, in kind order
    "Transfer",
    "AddStake",
    "RemoveStake",
    "BecomeDelegate",
    "RegisterNetwork",
    "DissolveNetwork",
    "BurnedRegister",
    "Register",
    "SudoRegister",
    "RootRegister",
    "SetWeights",
    "ServeAxon",
    "ServePrometheus",
    "SudoSetHyperparameter",
    "SudoSetKey",
    "SudoTriumvirateAddMember",
    "SudoTriumvirateRemoveMember",
    "SudoTriumvirateSwapMember",
    "SudoSenateAddMember",
    "SudoSenateRemoveMember",
    "SudoDisapproveProposal",
    "Propose",
    "Vote",
    "Close",
    "SwapHotkey",
    "Faucet",
]

BytesLike = Union[bytes, bytearray, memoryview]
"""``work``: any bytes-like value (stored as bytes)."""
HashLike = Union[bytes, bytearray, memoryview, str]
"""A 32-byte hash: bytes, or 64 hex digits with or without ``0x``."""
IpLike = Union[SupportsIndex, ipaddress.IPv4Address, ipaddress.IPv6Address, str]
"""An ip: an int in [0, 2**128), an ``ipaddress`` object or an address str."""

MAX_NESTING: Final = 1
"""How many ``Propose`` layers may wrap a transaction: a proposal cannot nest
another Propose (the core's decoder refuses it too)."""


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
# Field codecs: construction check, wire encoding, strict wire decoding.


class _Codec:
    """How one field is validated, written and read."""

    wire_type: str = ""

    def check(self, x: Any, where: str) -> Any:
        """Validate/normalise a constructor argument, or raise InvalidTransaction."""
        raise NotImplementedError

    def encode(self, x: Any) -> Any:
        """The msgpack-ready wire value of a normalised field."""
        return x

    def decode(self, w: Any, where: str, depth: int) -> Any:
        """The field value of a wire value, strictly."""
        raise NotImplementedError

    def _bad_wire(self, w: Any, where: str) -> InvalidTransaction:
        return InvalidTransaction(
            f"{where}: expected {self.wire_type} on the wire, got {_wire_name(w)}", field=where
        )


def _wire_name(w: object) -> str:
    """How a decoded msgpack value is called in messages."""
    if w is None:
        return "nil"
    if isinstance(w, bool):
        return f"bool {w}"
    if isinstance(w, int):
        return f"int {w}"
    if isinstance(w, float):
        return f"float {w!r}"
    if isinstance(w, bytes):
        return f"bin of {len(w)} bytes"
    if isinstance(w, str):
        return f"str {_short(w)}"
    if isinstance(w, list):
        return f"array of {len(w)}"
    if isinstance(w, dict):
        return f"map of {len(w)}"
    return type(w).__name__


class _Acct(_Codec):
    wire_type = "bin of 32 bytes (an account)"

    def check(self, x: Any, where: str) -> AccountId:
        if type(x) is AccountId:
            return x
        return to_account(x, where)

    def encode(self, x: AccountId) -> bytes:
        return x.public_key

    def decode(self, w: Any, where: str, depth: int) -> AccountId:
        if type(w) is not bytes or len(w) != 32:
            raise self._bad_wire(w, where)
        return AccountId(w)


class _UInt(_Codec):
    def __init__(self, bits: int, rule: str = "") -> None:
        self.bits = bits
        self.max = (1 << bits) - 1
        self.wire_type = f"u{bits} (unsigned int)"
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

    def decode(self, w: Any, where: str, depth: int) -> int:
        if type(w) is not int:
            raise self._bad_wire(w, where)
        if not 0 <= w <= self.max:
            raise InvalidTransaction(
                f"{where}: {w} is out of range on the wire; {self._explain(where)}", field=where
            )
        return w


class _OptU16(_Codec):
    """``netuid`` of SudoSetHyperparameter: u16, or None for a global parameter."""

    wire_type = "u16 or nil"
    _u16 = _UInt(16, "netuid is a u16 (int, 0 ≤ netuid < 2**16), or None for a global parameter")

    def check(self, x: Any, where: str) -> int | None:
        return None if x is None else self._u16.check(x, where)

    def decode(self, w: Any, where: str, depth: int) -> int | None:
        if w is not None and type(w) is not int:
            raise self._bad_wire(w, where)
        return None if w is None else self._u16.decode(w, where, depth)


class _Bool(_Codec):
    wire_type = "bool"

    def check(self, x: Any, where: str) -> bool:
        if isinstance(x, bool):
            return x
        if _is_np_bool(x):  # numpy.bool_
            return bool(x)
        raise InvalidTransaction(f"{where}: expected bool, got {_what(x)}", field=where)

    def decode(self, w: Any, where: str, depth: int) -> bool:
        if type(w) is not bool:
            raise self._bad_wire(w, where)
        return w


class _Value(_Codec):
    """``SudoSetHyperparameter.value``: bool or u64 (fit is a rule check)."""

    wire_type = "bool or u64"
    _u64 = _UInt(64, "value is a bool or a u64 (int, 0 ≤ value < 2**64)")

    def check(self, x: Any, where: str) -> bool | int:
        if isinstance(x, bool):
            return x
        if _is_np_bool(x):
            return bool(x)
        return self._u64.check(x, where)

    def decode(self, w: Any, where: str, depth: int) -> bool | int:
        if type(w) is bool:
            return w
        if type(w) is not int:
            raise self._bad_wire(w, where)
        return self._u64.decode(w, where, depth)


class _Bin(_Codec):
    def __init__(self, size: int | None = None) -> None:
        self.size = size
        self.wire_type = "bin" if size is None else f"bin of {size} bytes"

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

    def decode(self, w: Any, where: str, depth: int) -> bytes:
        if type(w) is not bytes or (self.size is not None and len(w) != self.size):
            raise self._bad_wire(w, where)
        return w


class _Ip(_Codec):
    """An ip as an int in [0, 2**128), written as 16 big-endian bytes."""

    wire_type = "bin of 16 bytes (big-endian ip)"
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

    def decode(self, w: Any, where: str, depth: int) -> int:
        if type(w) is not bytes or len(w) != 16:
            raise self._bad_wire(w, where)
        return int.from_bytes(w, "big")


class _Str(_Codec):
    wire_type = "str"

    def check(self, x: Any, where: str) -> str:
        if isinstance(x, str):
            return str(x)
        raise InvalidTransaction(f"{where}: expected str, got {_what(x)}", field=where)

    def decode(self, w: Any, where: str, depth: int) -> str:
        if type(w) is not str:
            raise self._bad_wire(w, where)
        return w


class _U16List(_Codec):
    wire_type = "array of u16"
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

    def decode(self, w: Any, where: str, depth: int) -> tuple[int, ...]:
        if type(w) is not list:
            raise self._bad_wire(w, where)
        for i, v in enumerate(w):
            if type(v) is not int or not 0 <= v <= 0xFFFF:
                raise InvalidTransaction(
                    f"{where}[{i}]: expected u16 on the wire, got {_wire_name(v)}",
                    field=f"{where}[{i}]",
                )
        return tuple(w)


class _Nested(_Codec):
    wire_type = "array (a nested transaction)"

    def check(self, x: Any, where: str) -> Tx:
        if not isinstance(x, Tx) or type(x) is Tx:
            raise InvalidTransaction(
                f"{where}: expected a transaction (e.g. ts.tx.SudoSetHyperparameter(...)), "
                f"got {_what(x)}",
                field=where,
            )
        if _nesting(x) >= MAX_NESTING:
            raise InvalidTransaction(
                f"{where}: a proposal cannot nest another Propose", field=where
            )
        return x

    def encode(self, x: Tx) -> list[Any]:
        return x.to_wire()

    def decode(self, w: Any, where: str, depth: int) -> Tx:
        if type(w) is not list:
            raise self._bad_wire(w, where)
        if depth + 1 > MAX_NESTING:
            raise InvalidTransaction(
                f"{where}: a proposal cannot nest another Propose", field=where
            )
        return _from_wire(w, depth + 1, where)


def _nesting(tx: Tx) -> int:
    d = 0
    while isinstance(tx, Propose):
        tx = tx.transaction
        d += 1
    return d


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
_TX: Final = _Nested()


# --------------------------------------------------------------------------- #
# The transaction classes


@dataclass(frozen=True, slots=True)
class Tx:
    """Base of every transaction. ``origin`` is the signing account."""

    origin: AccountId

    KIND: ClassVar[int] = 0
    """The wire ``kind`` (docs/WIRE.md); fixed forever."""
    CALL: ClassVar[str] = ""
    """The docs/ruleset.md call name, e.g. ``"add_stake"``."""
    _CODECS: ClassVar[tuple[_Codec, ...]] = ()
    _NAMES: ClassVar[tuple[str, ...]] = ()
    _WHERE: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if not self.KIND:
            raise TypeError("Tx is abstract; use one of the classes of ts.tx, e.g. ts.tx.Transfer")
        setter = object.__setattr__
        for name, codec, where in zip(self._NAMES, self._CODECS, self._WHERE):
            v = getattr(self, name)
            nv = codec.check(v, where)
            if nv is not v:
                setter(self, name, nv)

    def to_wire(self) -> list[Any]:
        """The positional array ``[kind, origin, arg1, …]`` with bin accounts."""
        out: list[Any] = [self.KIND]
        for name, codec in zip(self._NAMES, self._CODECS):
            out.append(codec.encode(getattr(self, name)))
        return out

    def to_msgpack(self) -> bytes:
        """The canonical wire bytes (docs/WIRE.md)."""
        data: bytes = msgpack.packb(self.to_wire(), use_bin_type=True)
        return data

    def to_dict(self) -> dict[str, Any]:
        """``{field: value}`` in field order (origin first)."""
        return {name: getattr(self, name) for name in self._NAMES}


_T = TypeVar("_T", bound=Tx)

KINDS: dict[int, type[Tx]] = {}
"""Wire kind → transaction class."""
_BY_NAME: dict[str, type[Tx]] = {}


@dataclass_transform(frozen_default=True)
def _kind(kind: int, call: str, **codecs: _Codec) -> Callable[[type[_T]], type[_T]]:
    """Make a frozen dataclass of ``cls``, check its fields match ``codecs``
    (docs/WIRE.md order) and register it under ``kind``."""

    def wrap(cls: type[_T]) -> type[_T]:
        dc = dataclass(frozen=True, slots=True)(cls)
        names = tuple(f.name for f in dataclasses.fields(dc))
        expected = ("origin", *codecs)
        if names != expected:  # pragma: no cover - a programming error
            raise TypeError(f"{cls.__name__}: fields {names} != wire order {expected}")
        if kind in KINDS:  # pragma: no cover
            raise TypeError(f"kind {kind} registered twice")
        dc.KIND = kind
        dc.CALL = call
        dc._CODECS = (_ACCT, *codecs.values())
        dc._NAMES = names
        dc._WHERE = tuple(f"{cls.__name__}.{n}" for n in names)
        KINDS[kind] = dc
        _BY_NAME[cls.__name__] = dc
        _BY_NAME[call] = dc
        return dc

    return wrap


@_kind(1, "transfer", dest=_ACCT, amount=_AMOUNT)
class Transfer(Tx):
    """Move ``amount`` rao of free balance from ``origin`` to ``dest`` (docs/ruleset.md §2.1)."""

    dest: AccountId
    amount: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            dest: AccountLike,
            amount: SupportsIndex,
        ) -> None: ...


@_kind(2, "add_stake", hotkey=_ACCT, amount=_AMOUNT)
class AddStake(Tx):
    """Stake ``amount`` rao from the coldkey ``origin`` onto ``hotkey`` (§7.1)."""

    hotkey: AccountId
    amount: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            hotkey: AccountLike,
            amount: SupportsIndex,
        ) -> None: ...


@_kind(3, "remove_stake", hotkey=_ACCT, amount=_AMOUNT)
class RemoveStake(Tx):
    """Unstake ``amount`` rao from ``hotkey`` back to the coldkey ``origin`` (§7.2)."""

    hotkey: AccountId
    amount: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            hotkey: AccountLike,
            amount: SupportsIndex,
        ) -> None: ...


@_kind(4, "become_delegate", hotkey=_ACCT)
class BecomeDelegate(Tx):
    """Open ``hotkey`` to nominations (§7.3)."""

    hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hotkey: AccountLike) -> None: ...


@_kind(5, "register_network")
class RegisterNetwork(Tx):
    """Lock the lock cost and create a subnet owned by ``origin`` (§9.2)."""

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike) -> None: ...


@_kind(6, "dissolve_network", netuid=_U16)
class DissolveNetwork(Tx):
    """Remove the subnet ``netuid`` owned by ``origin`` (§9.4)."""

    netuid: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, netuid: SupportsIndex) -> None: ...


@_kind(7, "burned_register", netuid=_U16, hotkey=_ACCT)
class BurnedRegister(Tx):
    """Register ``hotkey`` on ``netuid`` by burning the current burn (§8.2)."""

    netuid: int
    hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            hotkey: AccountLike,
        ) -> None: ...


@_kind(
    8, "register",
    netuid=_U16, block_number=_U64, nonce=_U64, work=_BIN, hotkey=_ACCT, coldkey=_ACCT,
)
class Register(Tx):
    """Register ``hotkey`` on ``netuid`` with proof of work; signed by the hotkey (§8.3).
    ``chain.create_pow(netuid, hotkey)`` gives ``(block_number, nonce, work)``."""

    netuid: int
    block_number: int
    nonce: int
    work: bytes
    hotkey: AccountId
    coldkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            block_number: SupportsIndex,
            nonce: SupportsIndex,
            work: BytesLike,
            hotkey: AccountLike,
            coldkey: AccountLike,
        ) -> None: ...


@_kind(9, "sudo_register", netuid=_U16, hotkey=_ACCT, coldkey=_ACCT, stake=_AMOUNT, balance=_AMOUNT)
class SudoRegister(Tx):
    """Sudo: register ``hotkey`` and mint ``stake`` and ``balance`` rao (§8.5)."""

    netuid: int
    hotkey: AccountId
    coldkey: AccountId
    stake: int
    balance: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            hotkey: AccountLike,
            coldkey: AccountLike,
            stake: SupportsIndex,
            balance: SupportsIndex,
        ) -> None: ...


@_kind(10, "root_register", hotkey=_ACCT)
class RootRegister(Tx):
    """Register ``hotkey`` on the root network (§8.6)."""

    hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hotkey: AccountLike) -> None: ...


@_kind(11, "set_weights", netuid=_U16, uids=_U16S, values=_U16S, version_key=_U64)
class SetWeights(Tx):
    """Set the weights of the hotkey ``origin`` on ``netuid`` (§10). ``uids`` and
    ``values`` are parallel u16 sequences (stored as tuples)."""

    netuid: int
    uids: tuple[int, ...]
    values: tuple[int, ...]
    version_key: int = 0

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            uids: Iterable[SupportsIndex],
            values: Iterable[SupportsIndex],
            version_key: SupportsIndex = 0,
        ) -> None: ...


@_kind(
    12, "serve_axon",
    netuid=_U16, version=_U32, ip=_IP, port=_U16, ip_type=_U8, protocol=_U8,
    placeholder1=_U8, placeholder2=_U8,
)
class ServeAxon(Tx):
    """Publish the axon of the hotkey ``origin`` (§11.1); ``ip`` is an int."""

    netuid: int
    version: int
    ip: int
    port: int
    ip_type: int
    protocol: int
    placeholder1: int = 0
    placeholder2: int = 0

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            version: SupportsIndex,
            ip: IpLike,
            port: SupportsIndex,
            ip_type: SupportsIndex,
            protocol: SupportsIndex,
            placeholder1: SupportsIndex = 0,
            placeholder2: SupportsIndex = 0,
        ) -> None: ...


@_kind(13, "serve_prometheus", netuid=_U16, version=_U32, ip=_IP, port=_U16, ip_type=_U8)
class ServePrometheus(Tx):
    """Publish the prometheus endpoint of the hotkey ``origin`` (§11.2)."""

    netuid: int
    version: int
    ip: int
    port: int
    ip_type: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex,
            version: SupportsIndex,
            ip: IpLike,
            port: SupportsIndex,
            ip_type: SupportsIndex,
        ) -> None: ...


@_kind(14, "sudo_set_hyperparameter", netuid=_OPT_U16, name=_STR, value=_VALUE)
class SudoSetHyperparameter(Tx):
    """Set hyperparameter ``name`` of ``netuid`` (None: a global one) to ``value``
    (§13.3). Whether the value fits the parameter is a rule
    (``StorageValueOutOfRange``), not a construction error."""

    netuid: int | None
    name: str
    value: bool | int

    # True and 1 are different transactions (different bytes, different proposal
    # hashes), although Python's True == 1.
    def _key(self) -> tuple[Any, ...]:
        return (self.origin, self.netuid, self.name, type(self.value) is bool, self.value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not SudoSetHyperparameter:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            netuid: SupportsIndex | None,
            name: str,
            value: bool | SupportsIndex,
        ) -> None: ...


@_kind(15, "sudo_set_key", new=_ACCT)
class SudoSetKey(Tx):
    """Hand the sudo key to ``new`` (§13.3)."""

    new: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, new: AccountLike) -> None: ...


@_kind(16, "sudo_triumvirate_add_member", member=_ACCT)
class SudoTriumvirateAddMember(Tx):
    """Sudo: add ``member`` to the triumvirate (§12)."""

    member: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, member: AccountLike) -> None: ...


@_kind(17, "sudo_triumvirate_remove_member", member=_ACCT)
class SudoTriumvirateRemoveMember(Tx):
    """Sudo: remove ``member`` from the triumvirate (§12)."""

    member: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, member: AccountLike) -> None: ...


@_kind(18, "sudo_triumvirate_swap_member", old=_ACCT, new=_ACCT)
class SudoTriumvirateSwapMember(Tx):
    """Sudo: replace triumvirate member ``old`` by ``new`` (§12)."""

    old: AccountId
    new: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, old: AccountLike, new: AccountLike) -> None: ...


@_kind(19, "sudo_senate_add_member", hotkey=_ACCT)
class SudoSenateAddMember(Tx):
    """Sudo: add ``hotkey`` to the senate (§12)."""

    hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hotkey: AccountLike) -> None: ...


@_kind(20, "sudo_senate_remove_member", hotkey=_ACCT)
class SudoSenateRemoveMember(Tx):
    """Sudo: remove ``hotkey`` from the senate (§12)."""

    hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hotkey: AccountLike) -> None: ...


@_kind(21, "sudo_disapprove_proposal", hash=_HASH)
class SudoDisapproveProposal(Tx):
    """Sudo: drop the open proposal ``hash`` (§12)."""

    hash: bytes

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hash: HashLike) -> None: ...


@_kind(22, "propose", transaction=_TX, duration=_U64)
class Propose(Tx):
    """Triumvirate: propose ``transaction`` (origin: the all-zero account,
    ``ts.accounts.ZERO_ACCOUNT``) for ``duration`` blocks (§12.1). Its hash is
    ``proposal_hash(transaction)``."""

    transaction: Tx
    duration: int

    @property
    def proposal_hash(self) -> bytes:
        """BLAKE2b-256 of the proposed transaction's wire bytes."""
        return proposal_hash(self.transaction)

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            transaction: Tx,
            duration: SupportsIndex,
        ) -> None: ...


@_kind(23, "vote", hotkey=_ACCT, hash=_HASH, index=_U32, approve=_BOOL)
class Vote(Tx):
    """Senate: vote with ``hotkey`` (owned by ``origin``) on proposal ``hash`` (§12.2)."""

    hotkey: AccountId
    hash: bytes
    index: int
    approve: bool

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            hotkey: AccountLike,
            hash: HashLike,
            index: SupportsIndex,
            approve: bool,
        ) -> None: ...


@_kind(24, "close", hash=_HASH, index=_U32)
class Close(Tx):
    """Close proposal ``hash`` if it is decided or over (§12.3)."""

    hash: bytes
    index: int

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(self, origin: AccountLike, hash: HashLike, index: SupportsIndex) -> None: ...


@_kind(25, "swap_hotkey", hotkey=_ACCT, new_hotkey=_ACCT)
class SwapHotkey(Tx):
    """Always fails with ``CallNotSupported`` (§13.4)."""

    hotkey: AccountId
    new_hotkey: AccountId

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            hotkey: AccountLike,
            new_hotkey: AccountLike,
        ) -> None: ...


@_kind(26, "faucet", block_number=_U64, nonce=_U64, work=_BIN)
class Faucet(Tx):
    """Always fails with ``FaucetDisabled`` (§13.4)."""

    block_number: int
    nonce: int
    work: bytes

    if TYPE_CHECKING:  # what the constructor accepts; fields hold normalised values
        def __init__(
            self,
            origin: AccountLike,
            block_number: SupportsIndex,
            nonce: SupportsIndex,
            work: BytesLike,
        ) -> None: ...


# --------------------------------------------------------------------------- #
# Decoding and helpers


def from_wire(wire: Sequence[Any]) -> Tx:
    """The transaction of a decoded wire array ``[kind, origin, …]`` (strict)."""
    return _from_wire(wire, 0, "tx")


def _from_wire(wire: Any, depth: int, where: str) -> Tx:
    if type(wire) is not list and type(wire) is not tuple:
        raise InvalidTransaction(
            f"{where}: expected an array [kind, origin, …], got {_wire_name(wire)}", field=where
        )
    if not wire:
        raise InvalidTransaction(f"{where}: empty array; expected [kind, origin, …]", field=where)
    kind = wire[0]
    if type(kind) is not int:
        raise InvalidTransaction(
            f"{where}.kind: expected an int kind, got {_wire_name(kind)}", field=f"{where}.kind"
        )
    cls = KINDS.get(kind)
    if cls is None:
        raise InvalidTransaction(
            f"{where}.kind: unknown transaction kind {kind} (known: 1..{max(KINDS)})",
            field=f"{where}.kind",
        )
    names = cls._NAMES
    if len(wire) != len(names) + 1:
        raise InvalidTransaction(
            f"{cls.__name__}: expected {len(names) + 1} elements "
            f"[kind, {', '.join(names)}], got {len(wire)}",
            field=cls.__name__,
        )
    values = [
        codec.decode(w, where_, depth)
        for codec, w, where_ in zip(cls._CODECS, wire[1:], cls._WHERE)
    ]
    return cls(*values)


def decode(data: bytes | bytearray | memoryview) -> Tx:
    """The transaction of wire bytes; inverts ``Tx.to_msgpack`` exactly.

    Raises InvalidTransaction naming the field for anything that is not the
    canonical encoding of a transaction (unknown kind, wrong arity, wrong type,
    out-of-range int, trailing bytes, non-minimal msgpack).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidTransaction(f"tx: expected bytes, got {_what(data)}", field="tx")
    raw = bytes(data)
    try:
        wire = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True)
    except msgpack.ExtraData as e:
        raise InvalidTransaction(
            f"tx: {len(e.extra)} trailing bytes after the transaction array", field="tx"
        ) from None
    except Exception as e:  # noqa: BLE001 - msgpack raises several types
        raise InvalidTransaction(f"tx: not a msgpack value ({e})", field="tx") from None
    tx = _from_wire(wire, 0, "tx")
    if tx.to_msgpack() != raw:
        raise InvalidTransaction(
            f"{type(tx).__name__}: non-canonical msgpack encoding (a field is not written "
            f"in its shortest form); encode with tx.to_msgpack()",
            field=type(tx).__name__,
        )
    return tx


def proposal_hash(tx: Tx) -> bytes:
    """BLAKE2b-256 of ``tx.to_msgpack()``: the hash a proposal of ``tx`` has (§12)."""
    return hashlib.blake2b(tx.to_msgpack(), digest_size=32).digest()


def tx_from_dict(kind_name: str, /, **fields: Any) -> Tx:
    """Build a transaction from its class name (``"AddStake"``) or ruleset call
    name (``"add_stake"``) and keyword fields. Unknown or missing fields raise
    InvalidTransaction naming them (the constructor would raise TypeError)."""
    cls = _BY_NAME.get(kind_name)
    if cls is None:
        raise InvalidTransaction(
            f"kind: unknown transaction {kind_name!r}; known: "
            f"{', '.join(c.__name__ for c in KINDS.values())}",
            field="kind",
        )
    known = cls._NAMES
    for name in fields:
        if name not in known:
            raise InvalidTransaction(
                f"{cls.__name__}.{name}: unknown field; {cls.__name__} has fields "
                f"{', '.join(known)}",
                field=f"{cls.__name__}.{name}",
            )
    for f in dataclasses.fields(cls):
        if (
            f.name not in fields
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            raise InvalidTransaction(
                f"{cls.__name__}.{f.name}: missing field", field=f"{cls.__name__}.{f.name}"
            )
    return cls(**fields)
