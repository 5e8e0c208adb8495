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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar, dataclass_transform

import msgpack

from . import _core
from ._txfields import (  # the field kinds stay importable from here (taostate.tx.Account, …)
    _ACCT,
    _AMOUNT,
    _BIN,
    _BOOL,
    _HASH,
    _IP,
    _OPT_U16,
    _STR,
    _U8,
    _U16,
    _U16S,
    _U32,
    _U64,
    _VALUE,
    Account,
    Bytes,
    BytesLike,
    Flag,
    Hash,
    HashLike,
    In,
    Int,
    Ip,
    IpLike,
    OptInt,
    Text,
    Uints,
    Value,
    _Codec,
    _what,
    field,
)
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
    "SudoSetBalance",
    "SudoRegisterNetwork",
]

MAX_NESTING: Final = 1
"""How many ``Propose`` layers may wrap a transaction: a proposal cannot nest
another Propose (the core's decoder refuses it too)."""


class _Nested(_Codec):
    """``Propose.transaction``: a transaction that is not itself a proposal (``MAX_NESTING``)."""

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

    def read(self, w: list[Any]) -> Tx:
        return _build(w)


def _nesting(tx: Tx) -> int:
    d = 0
    while isinstance(tx, Propose):
        tx = tx.transaction
        d += 1
    return d


_TX: Final = _Nested()


# --------------------------------------------------------------------------- #
# The transaction classes
#
# A field is declared once: ``name: Kind = field(_CODEC)`` (the kinds and codecs are in
# ``_txfields``); the nested transaction of ``Propose`` is the one kind declared here.

Nested = In["Tx", "Tx"]
_B = TypeVar("_B")


@dataclass_transform(frozen_default=True, field_specifiers=(field, dataclasses.field))
def _frozen(cls: type[_B]) -> type[_B]:
    return dataclass(frozen=True, slots=True)(cls)


@_frozen
class Tx:
    """Base of every transaction. ``origin`` is the signing account."""

    origin: Account = dataclasses.field(metadata={"codec": _ACCT})

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


@dataclass_transform(frozen_default=True, field_specifiers=(field, dataclasses.field))
def _kind(kind: int, call: str) -> Callable[[type[_T]], type[_T]]:
    """Make a frozen dataclass of ``cls`` (fields in docs/WIRE.md order, each with its codec)
    and register it under ``kind``."""

    def wrap(cls: type[_T]) -> type[_T]:
        dc = dataclass(frozen=True, slots=True)(cls)
        fields = dataclasses.fields(dc)
        if kind in KINDS:  # pragma: no cover - a programming error
            raise TypeError(f"kind {kind} registered twice")
        dc.KIND = kind
        dc.CALL = call
        dc._CODECS = tuple(f.metadata["codec"] for f in fields)
        dc._NAMES = tuple(f.name for f in fields)
        dc._WHERE = tuple(f"{cls.__name__}.{f.name}" for f in fields)
        KINDS[kind] = dc
        _BY_NAME[cls.__name__] = dc
        _BY_NAME[call] = dc
        return dc

    return wrap


@_kind(1, "transfer")
class Transfer(Tx):
    """Move ``amount`` rao of free balance from ``origin`` to ``dest`` (docs/ruleset.md §2.1)."""

    dest: Account = field(_ACCT)
    amount: Int = field(_AMOUNT)


@_kind(2, "add_stake")
class AddStake(Tx):
    """Stake ``amount`` rao from the coldkey ``origin`` onto ``hotkey`` (§7.1)."""

    hotkey: Account = field(_ACCT)
    amount: Int = field(_AMOUNT)


@_kind(3, "remove_stake")
class RemoveStake(Tx):
    """Unstake ``amount`` rao from ``hotkey`` back to the coldkey ``origin`` (§7.2)."""

    hotkey: Account = field(_ACCT)
    amount: Int = field(_AMOUNT)


@_kind(4, "become_delegate")
class BecomeDelegate(Tx):
    """Open ``hotkey`` to nominations (§7.3)."""

    hotkey: Account = field(_ACCT)


@_kind(5, "register_network")
class RegisterNetwork(Tx):
    """Lock the lock cost and create a subnet owned by ``origin`` (§9.2)."""


@_kind(6, "dissolve_network")
class DissolveNetwork(Tx):
    """Remove the subnet ``netuid`` owned by ``origin`` (§9.4)."""

    netuid: Int = field(_U16)


@_kind(7, "burned_register")
class BurnedRegister(Tx):
    """Register ``hotkey`` on ``netuid`` by burning the current burn (§8.2)."""

    netuid: Int = field(_U16)
    hotkey: Account = field(_ACCT)


@_kind(8, "register")
class Register(Tx):
    """Register ``hotkey`` on ``netuid`` with proof of work; signed by the hotkey (§8.3).
    ``chain.create_pow(netuid, hotkey)`` gives ``(block_number, nonce, work)``."""

    netuid: Int = field(_U16)
    block_number: Int = field(_U64)
    nonce: Int = field(_U64)
    work: Bytes = field(_BIN)
    hotkey: Account = field(_ACCT)
    coldkey: Account = field(_ACCT)


@_kind(9, "sudo_register")
class SudoRegister(Tx):
    """Sudo: register ``hotkey`` and mint ``stake`` and ``balance`` rao (§8.5)."""

    netuid: Int = field(_U16)
    hotkey: Account = field(_ACCT)
    coldkey: Account = field(_ACCT)
    stake: Int = field(_AMOUNT)
    balance: Int = field(_AMOUNT)


@_kind(10, "root_register")
class RootRegister(Tx):
    """Register ``hotkey`` on the root network (§8.6)."""

    hotkey: Account = field(_ACCT)


@_kind(11, "set_weights")
class SetWeights(Tx):
    """Set the weights of the hotkey ``origin`` on ``netuid`` (§10). ``uids`` and
    ``values`` are parallel u16 sequences (stored as tuples)."""

    netuid: Int = field(_U16)
    uids: Uints = field(_U16S)
    values: Uints = field(_U16S)
    version_key: Int = field(_U64, default=0)


@_kind(12, "serve_axon")
class ServeAxon(Tx):
    """Publish the axon of the hotkey ``origin`` (§11.1); ``ip`` is an int."""

    netuid: Int = field(_U16)
    version: Int = field(_U32)
    ip: Ip = field(_IP)
    port: Int = field(_U16)
    ip_type: Int = field(_U8)
    protocol: Int = field(_U8)
    placeholder1: Int = field(_U8, default=0)
    placeholder2: Int = field(_U8, default=0)


@_kind(13, "serve_prometheus")
class ServePrometheus(Tx):
    """Publish the prometheus endpoint of the hotkey ``origin`` (§11.2)."""

    netuid: Int = field(_U16)
    version: Int = field(_U32)
    ip: Ip = field(_IP)
    port: Int = field(_U16)
    ip_type: Int = field(_U8)


@_kind(14, "sudo_set_hyperparameter")
class SudoSetHyperparameter(Tx):
    """Set hyperparameter ``name`` of ``netuid`` (None: a global one) to ``value``
    (§13.3). Whether the value fits the parameter is a rule
    (``StorageValueOutOfRange``), not a construction error."""

    netuid: OptInt = field(_OPT_U16)
    name: Text = field(_STR)
    value: Value = field(_VALUE)

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


@_kind(15, "sudo_set_key")
class SudoSetKey(Tx):
    """Hand the sudo key to ``new`` (§13.3)."""

    new: Account = field(_ACCT)


@_kind(16, "sudo_triumvirate_add_member")
class SudoTriumvirateAddMember(Tx):
    """Sudo: add ``member`` to the triumvirate (§12)."""

    member: Account = field(_ACCT)


@_kind(17, "sudo_triumvirate_remove_member")
class SudoTriumvirateRemoveMember(Tx):
    """Sudo: remove ``member`` from the triumvirate (§12)."""

    member: Account = field(_ACCT)


@_kind(18, "sudo_triumvirate_swap_member")
class SudoTriumvirateSwapMember(Tx):
    """Sudo: replace triumvirate member ``old`` by ``new`` (§12)."""

    old: Account = field(_ACCT)
    new: Account = field(_ACCT)


@_kind(19, "sudo_senate_add_member")
class SudoSenateAddMember(Tx):
    """Sudo: add ``hotkey`` to the senate (§12)."""

    hotkey: Account = field(_ACCT)


@_kind(20, "sudo_senate_remove_member")
class SudoSenateRemoveMember(Tx):
    """Sudo: remove ``hotkey`` from the senate (§12)."""

    hotkey: Account = field(_ACCT)


@_kind(21, "sudo_disapprove_proposal")
class SudoDisapproveProposal(Tx):
    """Sudo: drop the open proposal ``hash`` (§12)."""

    hash: Hash = field(_HASH)


@_kind(22, "propose")
class Propose(Tx):
    """Triumvirate: propose ``transaction`` (origin: the all-zero account,
    ``ts.accounts.ZERO_ACCOUNT``) for ``duration`` blocks (§12.1). Its hash is
    ``proposal_hash(transaction)``."""

    transaction: Nested = field(_TX)
    duration: Int = field(_U64)

    @property
    def proposal_hash(self) -> bytes:
        """BLAKE2b-256 of the proposed transaction's wire bytes."""
        return proposal_hash(self.transaction)


@_kind(23, "vote")
class Vote(Tx):
    """Senate: vote with ``hotkey`` (owned by ``origin``) on proposal ``hash`` (§12.2)."""

    hotkey: Account = field(_ACCT)
    hash: Hash = field(_HASH)
    index: Int = field(_U32)
    approve: Flag = field(_BOOL)


@_kind(24, "close")
class Close(Tx):
    """Close proposal ``hash`` if it is decided or over (§12.3)."""

    hash: Hash = field(_HASH)
    index: Int = field(_U32)


@_kind(25, "swap_hotkey")
class SwapHotkey(Tx):
    """Always fails with ``CallNotSupported`` (§13.4)."""

    hotkey: Account = field(_ACCT)
    new_hotkey: Account = field(_ACCT)


@_kind(26, "faucet")
class Faucet(Tx):
    """Always fails with ``FaucetDisabled`` (§13.4)."""

    block_number: Int = field(_U64)
    nonce: Int = field(_U64)
    work: Bytes = field(_BIN)


@_kind(27, "sudo_set_balance")
class SudoSetBalance(Tx):
    """Sudo: set the free balance of ``who`` to ``free`` rao; total issuance follows, bounded
    by the supply cap (§2.2)."""

    who: Account = field(_ACCT)
    free: Int = field(_AMOUNT)


@_kind(28, "sudo_register_network")
class SudoRegisterNetwork(Tx):
    """Sudo: create subnet ``netuid`` with no owner and no lock (§9.6)."""

    netuid: Int = field(_U16)


# --------------------------------------------------------------------------- #
# Decoding and helpers


def decode(data: bytes | bytearray | memoryview) -> Tx:
    """The transaction of wire bytes; inverts ``Tx.to_msgpack`` exactly.

    The core's decoder checks the bytes (``_core.check_tx``, the one strict
    decoder of the wire format): anything that is not the canonical encoding of
    a transaction (unknown kind, wrong arity, wrong type, out-of-range int,
    trailing bytes, non-minimal msgpack) raises InvalidTransaction naming the
    field. The checked bytes are then read as plain msgpack.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidTransaction(f"tx: expected bytes, got {_what(data)}", field="tx")
    raw = bytes(data)
    _core.check_tx(raw)
    return _build(msgpack.unpackb(raw, raw=False, use_list=True))


def from_wire(wire: Sequence[Any]) -> Tx:
    """The transaction of a decoded wire array ``[kind, origin, …]`` (checked as strictly as
    :func:`decode`)."""
    try:
        data: bytes = msgpack.packb(wire, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as e:
        raise InvalidTransaction(f"tx: not a wire array ({e})", field="tx") from None
    return decode(data)


def _build(wire: list[Any]) -> Tx:
    """The transaction of a wire array the core has checked."""
    cls = KINDS[wire[0]]
    return cls(*(codec.read(w) for codec, w in zip(cls._CODECS, wire[1:])))


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
