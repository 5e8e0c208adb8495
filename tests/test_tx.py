"""Transactions (taostate.tx) and their wire form (docs/WIRE.md)."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import pickle
import struct
import typing
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from taostate import tx as T
from taostate.accounts import ZERO_ACCOUNT, AccountId, account
from taostate.balance import TAO, Balance
from taostate.errors import InvalidTransaction

# --------------------------------------------------------------------------- #
# docs/WIRE.md, transcribed independently of the implementation.

WIRE: list[tuple[int, str, str, list[tuple[str, str]]]] = [
    (1, "Transfer", "transfer", [("dest", "acct"), ("amount", "u64")]),
    (2, "AddStake", "add_stake", [("hotkey", "acct"), ("amount", "u64")]),
    (3, "RemoveStake", "remove_stake", [("hotkey", "acct"), ("amount", "u64")]),
    (4, "BecomeDelegate", "become_delegate", [("hotkey", "acct")]),
    (5, "RegisterNetwork", "register_network", []),
    (6, "DissolveNetwork", "dissolve_network", [("netuid", "u16")]),
    (7, "BurnedRegister", "burned_register", [("netuid", "u16"), ("hotkey", "acct")]),
    (8, "Register", "register", [("netuid", "u16"), ("block_number", "u64"), ("nonce", "u64"),
                                 ("work", "bin"), ("hotkey", "acct"), ("coldkey", "acct")]),
    (9, "SudoRegister", "sudo_register", [("netuid", "u16"), ("hotkey", "acct"),
                                          ("coldkey", "acct"), ("stake", "u64"), ("balance", "u64")]),
    (10, "RootRegister", "root_register", [("hotkey", "acct")]),
    (11, "SetWeights", "set_weights", [("netuid", "u16"), ("uids", "[u16]"), ("values", "[u16]"),
                                       ("version_key", "u64")]),
    (12, "ServeAxon", "serve_axon", [("netuid", "u16"), ("version", "u32"), ("ip", "ip"),
                                     ("port", "u16"), ("ip_type", "u8"), ("protocol", "u8"),
                                     ("placeholder1", "u8"), ("placeholder2", "u8")]),
    (13, "ServePrometheus", "serve_prometheus", [("netuid", "u16"), ("version", "u32"),
                                                 ("ip", "ip"), ("port", "u16"), ("ip_type", "u8")]),
    (14, "SudoSetHyperparameter", "sudo_set_hyperparameter",
     [("netuid", "u16?"), ("name", "str"), ("value", "value")]),
    (15, "SudoSetKey", "sudo_set_key", [("new", "acct")]),
    (16, "SudoTriumvirateAddMember", "sudo_triumvirate_add_member", [("member", "acct")]),
    (17, "SudoTriumvirateRemoveMember", "sudo_triumvirate_remove_member", [("member", "acct")]),
    (18, "SudoTriumvirateSwapMember", "sudo_triumvirate_swap_member",
     [("old", "acct"), ("new", "acct")]),
    (19, "SudoSenateAddMember", "sudo_senate_add_member", [("hotkey", "acct")]),
    (20, "SudoSenateRemoveMember", "sudo_senate_remove_member", [("hotkey", "acct")]),
    (21, "SudoDisapproveProposal", "sudo_disapprove_proposal", [("hash", "bin32")]),
    (22, "Propose", "propose", [("transaction", "tx"), ("duration", "u64")]),
    (23, "Vote", "vote", [("hotkey", "acct"), ("hash", "bin32"), ("index", "u32"),
                          ("approve", "bool")]),
    (24, "Close", "close", [("hash", "bin32"), ("index", "u32")]),
    (25, "SwapHotkey", "swap_hotkey", [("hotkey", "acct"), ("new_hotkey", "acct")]),
    (26, "Faucet", "faucet", [("block_number", "u64"), ("nonce", "u64"), ("work", "bin")]),
]
BY_KIND = {k: (name, call, fields) for k, name, call, fields in WIRE}
BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}

# --------------------------------------------------------------------------- #
# Strategies (python value, wire value) per wire type

accounts = st.binary(min_size=32, max_size=32).map(AccountId)


def ints(bits: int) -> st.SearchStrategy[int]:
    top = (1 << bits) - 1
    return st.one_of(st.sampled_from([0, 1, top, top - 1]), st.integers(0, top))


def value_of(ty: str, depth: int = 0) -> st.SearchStrategy[Any]:
    if ty == "acct":
        return accounts
    if ty in BITS:
        return ints(BITS[ty])
    if ty == "u16?":
        return st.one_of(st.none(), ints(16))
    if ty == "bin":
        return st.binary(max_size=80)
    if ty == "bin32":
        return st.binary(min_size=32, max_size=32)
    if ty == "ip":
        return st.one_of(st.integers(0, (1 << 128) - 1), st.integers(0, (1 << 32) - 1))
    if ty == "str":
        return st.text(max_size=40)
    if ty == "value":
        return st.one_of(st.booleans(), ints(64))
    if ty == "[u16]":
        return st.lists(ints(16), max_size=40).map(tuple)
    if ty == "bool":
        return st.booleans()
    if ty == "tx":
        return transactions(depth + 1)
    raise AssertionError(ty)


def transactions(depth: int = 0) -> st.SearchStrategy[T.Tx]:
    kinds = [k for k in BY_KIND if depth < T.MAX_NESTING or k != 22]

    @st.composite
    def build(draw: st.DrawFn) -> T.Tx:
        kind = draw(st.sampled_from(kinds))
        name, _, fields = BY_KIND[kind]
        args = {"origin": draw(accounts)}
        for fname, ty in fields:
            args[fname] = draw(value_of(ty, depth))
        tx: T.Tx = getattr(T, name)(**args)
        return tx

    return build()


def wire_of(value: Any, ty: str) -> Any:
    """Independent encoder of one field, from WIRE.md."""
    if ty == "acct":
        return bytes(value)
    if ty == "ip":
        return value.to_bytes(16, "big")
    if ty == "[u16]":
        return list(value)
    if ty == "tx":
        return independent_wire(value)
    return value


def independent_wire(tx: T.Tx) -> list[Any]:
    name, _, fields = BY_KIND[type(tx).KIND]
    assert type(tx).__name__ == name
    return [type(tx).KIND, bytes(tx.origin)] + [wire_of(getattr(tx, f), ty) for f, ty in fields]


ALICE = account("alice")
BOB = account("bob")

# --------------------------------------------------------------------------- #
# The table and the classes agree


def test_kinds_match_wire_md() -> None:
    assert sorted(T.KINDS) == list(range(1, 27))
    for kind, name, call, fields in WIRE:
        cls = T.KINDS[kind]
        assert cls.__name__ == name
        assert cls.KIND == kind
        assert cls.CALL == call
        assert getattr(T, name) is cls
        assert [f.name for f in dataclasses.fields(cls)] == ["origin"] + [f for f, _ in fields]


def test_transactions_are_frozen_dataclasses() -> None:
    t = T.Transfer(ALICE, BOB, 5)
    with pytest.raises(AttributeError):
        t.amount = 6  # type: ignore[misc]
    assert t == T.Transfer(ALICE, BOB, 5)
    assert hash(t) == hash(T.Transfer(ALICE, BOB, 5))
    assert t != T.Transfer(ALICE, BOB, 6)
    assert t.to_dict() == {"origin": ALICE, "dest": BOB, "amount": 5}
    with pytest.raises(TypeError):
        T.Tx(ALICE)


def test_known_bytes() -> None:
    t = T.Transfer(ZERO_ACCOUNT, AccountId(b"\x01" * 32), 1)
    assert t.to_msgpack() == (
        b"\x94\x01" + b"\xc4\x20" + b"\x00" * 32 + b"\xc4\x20" + b"\x01" * 32 + b"\x01"
    )
    h = T.SudoSetHyperparameter(ZERO_ACCOUNT, None, "tempo", True)
    assert h.to_msgpack() == b"\x95\x0e\xc4\x20" + b"\x00" * 32 + b"\xc0\xa5tempo\xc3"
    ax = T.ServeAxon(ALICE, 1, 2, "1.2.3.4", 8091, 4, 0)
    assert ax.ip == 0x01020304
    assert ax.to_wire()[4] == b"\x00" * 12 + b"\x01\x02\x03\x04"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(transactions())
def test_roundtrip_every_kind(tx: T.Tx) -> None:
    data = tx.to_msgpack()
    assert data == msgpack.packb(independent_wire(tx), use_bin_type=True)
    back = T.decode(data)
    assert back == tx
    assert type(back) is type(tx)
    assert back.to_msgpack() == data  # bool vs int values stay distinct
    assert T.from_wire(msgpack.unpackb(data, raw=False)) == tx
    assert tx.to_wire() == msgpack.unpackb(data, raw=False)
    assert pickle.loads(pickle.dumps(tx)) == tx


@given(st.sampled_from(WIRE), st.data())
def test_roundtrip_each_kind_at_least_once(row: Any, data: st.DataObject) -> None:
    kind, name, _, fields = row
    args = {"origin": data.draw(accounts)}
    for f, ty in fields:
        args[f] = data.draw(value_of(ty))
    tx = getattr(T, name)(**args)
    assert T.decode(tx.to_msgpack()) == tx
    assert T.tx_from_dict(name, **args) == tx


# --------------------------------------------------------------------------- #
# Strict decoding


def _raises_naming(data: bytes, field: str) -> InvalidTransaction:
    with pytest.raises(InvalidTransaction) as ei:
        T.decode(data)
    assert field in str(ei.value), (field, str(ei.value))
    return ei.value


def _wire(kind: int, *args: Any) -> bytes:
    data: bytes = msgpack.packb([kind, *args], use_bin_type=True)
    return data


Z = b"\x00" * 32


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_wire(0, Z), "kind"),
        (_wire(27, Z), "kind"),
        (_wire(-1, Z), "kind"),
        (msgpack.packb(["1", Z, Z, 1], use_bin_type=True), "kind"),
        (msgpack.packb([True, Z, Z, 1], use_bin_type=True), "kind"),
        (msgpack.packb([1.0, Z, Z, 1], use_bin_type=True), "kind"),
        (_wire(1, Z, Z), "Transfer"),  # arity
        (_wire(1, Z, Z, 1, 2), "Transfer"),
        (_wire(5), "RegisterNetwork"),
        (_wire(1, Z, Z, -1), "Transfer.amount"),
        (_wire(1, Z, Z, 1.0), "Transfer.amount"),
        (_wire(1, Z, Z, True), "Transfer.amount"),
        (_wire(1, Z, Z, None), "Transfer.amount"),
        (_wire(1, Z, Z, "1"), "Transfer.amount"),
        (_wire(1, Z, "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM", 1), "Transfer.dest"),
        (_wire(1, Z, b"\x00" * 31, 1), "Transfer.dest"),
        (_wire(1, Z, b"\x00" * 33, 1), "Transfer.dest"),
        (_wire(1, Z, list(Z), 1), "Transfer.dest"),
        (_wire(1, "x" * 32, Z, 1), "Transfer.origin"),
        (_wire(6, Z, 1 << 16), "DissolveNetwork.netuid"),
        (_wire(6, Z, -1), "DissolveNetwork.netuid"),
        (_wire(11, Z, 1, [1, 1 << 16], [1, 2], 0), "SetWeights.uids[1]"),
        (_wire(11, Z, 1, [1, 2], [1, -2], 0), "SetWeights.values[1]"),
        (_wire(11, Z, 1, [1, 2], [1, 2.0], 0), "SetWeights.values[1]"),
        (_wire(11, Z, 1, "ab", [1, 2], 0), "SetWeights.uids"),
        (_wire(11, Z, 1, b"ab", [1, 2], 0), "SetWeights.uids"),
        (_wire(12, Z, 1, 1, b"\x00" * 15, 80, 4, 0, 0, 0), "ServeAxon.ip"),
        (_wire(12, Z, 1, 1, 16909060, 80, 4, 0, 0, 0), "ServeAxon.ip"),
        (_wire(12, Z, 1, 1 << 32, b"\x00" * 16, 80, 4, 0, 0, 0), "ServeAxon.version"),
        (_wire(12, Z, 1, 1, b"\x00" * 16, 80, 256, 0, 0, 0), "ServeAxon.ip_type"),
        (_wire(14, Z, 1, b"tempo", 5), "SudoSetHyperparameter.name"),
        (_wire(14, Z, 1, "tempo", -(1 << 63)), "SudoSetHyperparameter.value"),
        (_wire(14, Z, 1, "tempo", -1), "SudoSetHyperparameter.value"),
        (_wire(14, Z, 1, "tempo", None), "SudoSetHyperparameter.value"),
        (_wire(14, Z, "1", "tempo", 5), "SudoSetHyperparameter.netuid"),
        (_wire(14, Z, False, "tempo", 5), "SudoSetHyperparameter.netuid"),
        (_wire(21, Z, b"\x00" * 31), "SudoDisapproveProposal.hash"),
        (_wire(21, Z, "00" * 32), "SudoDisapproveProposal.hash"),
        (_wire(22, Z, b"\x01", 3600), "Propose.transaction"),
        (_wire(22, Z, [], 3600), "Propose.transaction"),
        (_wire(22, Z, [99, Z], 3600), "kind"),
        (_wire(22, Z, [1, Z, Z, -5], 3600), "Transfer.amount"),
        (_wire(23, Z, Z, Z, 0, 1), "Vote.approve"),
        (_wire(23, Z, Z, Z, 1 << 32, True), "Vote.index"),
        (_wire(8, Z, 1, 2, 3, "work", Z, Z), "Register.work"),
        (_wire(26, Z, 1, 2, None), "Faucet.work"),
    ],
)
def test_decode_rejects_naming_the_field(data: bytes, field: str) -> None:
    e = _raises_naming(data, field)
    assert e.field is not None and field.split("[")[0].split(".")[-1] in e.field


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",  # never-used byte
        b"\x94\x01",  # truncated
        msgpack.packb({"kind": 1}),
        msgpack.packb(1),
        msgpack.packb([]),
        b"\xd4\x05\x00",  # fixext
        msgpack.packb(msgpack.ExtType(3, b"abc")),
    ],
)
def test_decode_rejects_non_transactions(data: bytes) -> None:
    with pytest.raises(InvalidTransaction):
        T.decode(data)


def test_decode_rejects_trailing_bytes() -> None:
    data = T.Transfer(ALICE, BOB, 5).to_msgpack()
    e = _raises_naming(data + b"\x00", "trailing")
    assert isinstance(e, ValueError)
    _raises_naming(data + data, "trailing")


def test_decode_rejects_non_canonical_encodings() -> None:
    good = T.Transfer(ALICE, BOB, 5).to_msgpack()
    assert good[-1:] == b"\x05"
    # amount 5 as uint64 instead of a positive fixint
    _raises_naming(good[:-1] + b"\xcf" + struct.pack(">Q", 5), "non-canonical")
    # array16 header instead of fixarray
    _raises_naming(b"\xdc\x00\x04" + good[1:], "non-canonical")
    # bin16 header for a 32-byte account
    o = bytes(ALICE)
    _raises_naming(b"\x94\x01\xc5\x00\x20" + o + good[2 + 34:], "non-canonical")


def test_decode_rejects_non_bytes_input() -> None:
    with pytest.raises(InvalidTransaction):
        T.decode("not bytes")  # type: ignore[arg-type]
    assert T.decode(bytearray(T.Transfer(ALICE, BOB, 5).to_msgpack())) == T.Transfer(ALICE, BOB, 5)


@given(st.binary(max_size=120))
def test_decode_never_crashes(data: bytes) -> None:
    try:
        tx = T.decode(data)
    except InvalidTransaction:
        return
    assert tx.to_msgpack() == data


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(transactions(), st.data())
def test_decode_rejects_mutated_bytes_or_returns_their_tx(tx: T.Tx, data: st.DataObject) -> None:
    raw = bytearray(tx.to_msgpack())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] = data.draw(st.integers(0, 255))
    try:
        back = T.decode(bytes(raw))
    except InvalidTransaction:
        return
    assert back.to_msgpack() == bytes(raw)


def test_nesting_is_bounded() -> None:
    inner: T.Tx = T.RegisterNetwork(ZERO_ACCOUNT)
    for _ in range(T.MAX_NESTING):
        inner = T.Propose(ALICE, inner, 3600)
    assert T.decode(inner.to_msgpack()) == inner
    with pytest.raises(InvalidTransaction, match="nest"):
        T.Propose(ALICE, inner, 3600)
    wire: Any = [5, Z]
    for _ in range(T.MAX_NESTING + 1):
        wire = [22, Z, wire, 3600]
    with pytest.raises(InvalidTransaction, match="nest"):
        T.decode(msgpack.packb(wire, use_bin_type=True))
    deep = b"\x91" * 5000 + b"\x01"
    with pytest.raises(InvalidTransaction):
        T.decode(deep)


# --------------------------------------------------------------------------- #
# Construction validation


def _raises(field: str, fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(InvalidTransaction) as ei:
        fn(*args, **kw)
    msg = str(ei.value)
    assert field in msg, (field, msg)
    assert ei.value.field == field
    return msg


def test_amounts_are_unsigned_u64() -> None:
    msg = _raises("Transfer.amount", T.Transfer, ALICE, BOB, -1)
    assert msg == (
        "Transfer.amount: -1 is negative; amounts are unsigned rao (int, 0 ≤ amount < 2**64)"
    )
    assert "too large" in _raises("AddStake.amount", T.AddStake, ALICE, BOB, 2**64)
    assert "float" in _raises("RemoveStake.amount", T.RemoveStake, ALICE, BOB, 1.5)
    assert "bool" in _raises("Transfer.amount", T.Transfer, ALICE, BOB, True)
    _raises("Transfer.amount", T.Transfer, ALICE, BOB, "5")
    _raises("SudoRegister.balance", T.SudoRegister, ALICE, 1, BOB, BOB, 0, -5)
    assert T.Transfer(ALICE, BOB, 2**64 - 1).amount == 2**64 - 1
    assert T.Transfer(ALICE, BOB, 0).amount == 0


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**64)))
def test_out_of_range_amounts_rejected(n: int) -> None:
    _raises("Transfer.amount", T.Transfer, ALICE, BOB, n)


def test_int_likes_are_normalised() -> None:
    t = T.Transfer(ALICE, BOB, np.uint64(7))
    assert type(t.amount) is int and t.amount == 7
    assert T.Transfer(ALICE, BOB, Balance.from_tao("1.5")).amount == 1_500_000_000
    assert T.AddStake(ALICE, BOB, 5 * TAO).amount == 5 * TAO
    _raises("Transfer.amount", T.Transfer, ALICE, BOB, np.float64(1.0))
    _raises("Transfer.amount", T.Transfer, ALICE, BOB, np.bool_(True))


def test_integer_ranges() -> None:
    _raises("DissolveNetwork.netuid", T.DissolveNetwork, ALICE, 1 << 16)
    _raises("ServeAxon.version", T.ServeAxon, ALICE, 1, 1 << 32, 1, 80, 4, 0)
    _raises("ServeAxon.ip_type", T.ServeAxon, ALICE, 1, 1, 1, 80, 256, 0)
    _raises("ServeAxon.placeholder2", T.ServeAxon, ALICE, 1, 1, 1, 80, 4, 0, 0, -1)
    _raises("Vote.index", T.Vote, ALICE, BOB, Z, 1 << 32, True)
    _raises("Register.nonce", T.Register, ALICE, 1, 1, -1, b"", ALICE, BOB)


def test_accounts_are_normalised_and_checked() -> None:
    t = T.Transfer(ALICE.ss58, bytes(BOB), 1)
    assert t.origin == ALICE and t.dest == BOB
    assert type(t.origin) is AccountId and type(t.dest) is AccountId
    assert T.Transfer(ALICE, bytearray(bytes(BOB)), 1).dest == BOB
    assert T.Transfer(ALICE, "0x" + BOB.hex, 1).dest == BOB
    bad = ALICE.ss58[:-1] + ("A" if ALICE.ss58[-1] != "A" else "B")
    assert "checksum" in _raises("Transfer.dest", T.Transfer, ALICE, bad, 1)
    _raises("Transfer.dest", T.Transfer, ALICE, "not an address", 1)
    _raises("Transfer.dest", T.Transfer, ALICE, b"\x00" * 31, 1)
    _raises("Transfer.origin", T.Transfer, None, BOB, 1)
    _raises("AddStake.hotkey", T.AddStake, ALICE, 12345, 1)
    assert "ts.account('bob')" in _raises("Transfer.dest", T.Transfer, ALICE, "bob", 1)


def test_other_field_types() -> None:
    w = T.SetWeights(ALICE, 1, [3, 1], np.array([10, 20], dtype=np.uint16))
    assert w.uids == (3, 1) and w.values == (10, 20) and w.version_key == 0
    assert all(type(v) is int for v in w.values)
    assert T.SetWeights(ALICE, 1, range(3), (1, 2, 3)).uids == (0, 1, 2)
    _raises("SetWeights.uids[1]", T.SetWeights, ALICE, 1, [1, 1 << 16], [1, 2])
    _raises("SetWeights.values[0]", T.SetWeights, ALICE, 1, [1], [-1])
    _raises("SetWeights.values[0]", T.SetWeights, ALICE, 1, [1], [0.5])
    _raises("SetWeights.uids", T.SetWeights, ALICE, 1, "12", [1, 2])
    _raises("SetWeights.uids", T.SetWeights, ALICE, 1, b"\x01", [1])
    _raises("SetWeights.uids", T.SetWeights, ALICE, 1, 5, [1])
    _raises("SetWeights.values[0]", T.SetWeights, ALICE, 1, [1], np.array([0.5]))
    _raises("SetWeights.values", T.SetWeights, ALICE, 1, [1], np.array(5))
    _raises("SetWeights.values[0]", T.SetWeights, ALICE, 1, [1], np.array([[1]]))

    assert T.Register(ALICE, 1, 2, 3, bytearray(b"w"), ALICE, BOB).work == b"w"
    _raises("Register.work", T.Register, ALICE, 1, 2, 3, "w", ALICE, BOB)
    _raises("Faucet.work", T.Faucet, ALICE, 1, 2, None)

    assert T.ServeAxon(ALICE, 1, 1, ipaddress.ip_address("::1"), 80, 6, 0).ip == 1
    assert T.ServePrometheus(ALICE, 1, 1, (1 << 128) - 1, 80, 6).ip == (1 << 128) - 1
    _raises("ServeAxon.ip", T.ServeAxon, ALICE, 1, 1, 1 << 128, 80, 4, 0)
    _raises("ServeAxon.ip", T.ServeAxon, ALICE, 1, 1, -1, 80, 4, 0)
    _raises("ServeAxon.ip", T.ServeAxon, ALICE, 1, 1, "999.1.1.1", 80, 4, 0)
    _raises("ServePrometheus.ip", T.ServePrometheus, ALICE, 1, 1, 1.0, 80, 4)

    h = T.SudoSetHyperparameter(ZERO_ACCOUNT, None, "subnet_limit", 12)
    assert h.netuid is None
    # True and 1 are different transactions (different bytes and proposal hashes)
    yes = T.SudoSetHyperparameter(ZERO_ACCOUNT, 1, "network_registration_allowed", True)
    one = T.SudoSetHyperparameter(ZERO_ACCOUNT, 1, "network_registration_allowed", 1)
    assert yes != one and len({yes, one}) == 2
    assert yes == T.SudoSetHyperparameter(ZERO_ACCOUNT, 1, "network_registration_allowed", True)
    assert T.Propose(ALICE, yes, 3600) != T.Propose(ALICE, one, 3600)
    assert T.SudoSetHyperparameter(ZERO_ACCOUNT, 3, "x", np.bool_(False)).value is False  # type: ignore[arg-type]  # noqa: E501
    _raises("SudoSetHyperparameter.name", T.SudoSetHyperparameter, ALICE, 1, b"tempo", 1)
    _raises("SudoSetHyperparameter.value", T.SudoSetHyperparameter, ALICE, 1, "tempo", -1)
    _raises("SudoSetHyperparameter.value", T.SudoSetHyperparameter, ALICE, 1, "tempo", 1.0)
    _raises("SudoSetHyperparameter.value", T.SudoSetHyperparameter, ALICE, 1, "tempo", None)
    _raises("SudoSetHyperparameter.netuid", T.SudoSetHyperparameter, ALICE, -1, "tempo", 1)

    hsh = hashlib.blake2b(b"x", digest_size=32).digest()
    assert T.Close(ALICE, hsh.hex(), 0).hash == hsh
    assert T.Close(ALICE, "0x" + hsh.hex(), 0).hash == hsh
    _raises("Close.hash", T.Close, ALICE, hsh[:31], 0)
    _raises("Vote.hash", T.Vote, ALICE, BOB, "zz" * 32, 0, True)
    _raises("Vote.approve", T.Vote, ALICE, BOB, hsh, 0, 1)
    _raises("Propose.transaction", T.Propose, ALICE, [1, Z, Z, 1], 3600)
    _raises("Propose.transaction", T.Propose, ALICE, None, 3600)


def test_tx_from_dict() -> None:
    t = T.tx_from_dict("Transfer", origin=ALICE, dest=BOB, amount=5)
    assert t == T.Transfer(ALICE, BOB, 5)
    assert T.tx_from_dict("add_stake", origin=ALICE, hotkey=BOB, amount=5) == T.AddStake(
        ALICE, BOB, 5
    )
    msg = _raises("Transfer.amont", T.tx_from_dict, "Transfer", origin=ALICE, dest=BOB, amont=5)
    assert "amount" in msg  # lists the real fields
    _raises("Transfer.amount", T.tx_from_dict, "Transfer", origin=ALICE, dest=BOB)
    _raises("kind", T.tx_from_dict, "Transferr", origin=ALICE)
    _raises("Transfer.amount", T.tx_from_dict, "Transfer", origin=ALICE, dest=BOB, amount=-1)
    sw = T.tx_from_dict("set_weights", origin=ALICE, netuid=1, uids=[0], values=[1])
    assert isinstance(sw, T.SetWeights) and sw.version_key == 0
    with pytest.raises(TypeError):
        T.Transfer(origin=ALICE, dest=BOB, amont=5)  # type: ignore[call-arg]


def test_proposal_hash_is_over_the_nested_bytes() -> None:
    inner = T.SudoSetHyperparameter(ZERO_ACCOUNT, 1, "tempo", 100)
    p = T.Propose(ALICE, inner, 3600)
    inner_bytes = inner.to_msgpack()
    assert T.proposal_hash(inner) == hashlib.blake2b(inner_bytes, digest_size=32).digest()
    assert p.proposal_hash == T.proposal_hash(inner)
    outer = p.to_msgpack()
    # The nested array is written in place: its bytes are a slice of the outer bytes.
    start = 2 + 34
    assert outer[start : start + len(inner_bytes)] == inner_bytes
    assert T.decode(outer).transaction == inner  # type: ignore[attr-defined]


@given(transactions())
@example(T.Propose(ALICE, T.RegisterNetwork(ZERO_ACCOUNT), 3600))
def test_proposal_hash_distinguishes_transactions(tx: T.Tx) -> None:
    other = T.RegisterNetwork(ZERO_ACCOUNT)
    assert (T.proposal_hash(tx) == T.proposal_hash(other)) == (tx == other and
                                                             tx.to_msgpack() == other.to_msgpack())


def test_each_field_is_declared_once_with_its_codec() -> None:
    """``name: Kind = field(_CODEC)``: the annotation (an ``In[accepts, holds]`` alias) types
    the constructor argument and the stored value, the codec checks, writes and reads it."""
    for cls in T.KINDS.values():
        for f in dataclasses.fields(cls):
            assert isinstance(f.metadata.get("codec"), T._Codec), (cls.__name__, f.name)
            kind = getattr(T, str(f.type))
            assert typing.get_origin(kind) is T.In, (cls.__name__, f.name, f.type)
        assert cls._CODECS == tuple(f.metadata["codec"] for f in dataclasses.fields(cls))
