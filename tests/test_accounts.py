"""Accounts (taostate.accounts): AccountId, ss58, dev accounts, to_account."""

from __future__ import annotations

import copy
import hashlib
import pickle

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taostate.accounts import (
    ZERO_ACCOUNT,
    AccountId,
    account,
    ss58_decode,
    ss58_encode,
    to_account,
)
from taostate.errors import InvalidTransaction

keys = st.binary(min_size=32, max_size=32)

ALICE_KEY = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
ALICE_SS58 = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
ZERO_SS58 = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"


def test_known_vectors() -> None:
    assert AccountId(bytes(32)).ss58 == ZERO_SS58
    assert ZERO_ACCOUNT.ss58 == ZERO_SS58
    assert AccountId(ALICE_KEY).ss58 == ALICE_SS58
    assert bytes(AccountId.from_ss58(ALICE_SS58)) == ALICE_KEY
    assert AccountId.from_ss58(ZERO_SS58) == ZERO_ACCOUNT
    assert str(AccountId(ALICE_KEY)) == ALICE_SS58
    assert AccountId(ALICE_KEY).hex == ALICE_KEY.hex()
    # Polkadot (prefix 0) form of the same key
    assert AccountId(ALICE_KEY).to_ss58(0) == "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"


@given(keys)
def test_ss58_roundtrip(key: bytes) -> None:
    aid = AccountId(key)
    s = aid.ss58
    assert s.startswith("5")
    assert AccountId.from_ss58(s) == aid
    assert ss58_decode(ss58_encode(key)) == key
    assert to_account(s, "f") == aid


@given(keys, st.integers(0, 16383).filter(lambda p: p not in (46, 47)))
def test_ss58_roundtrip_any_prefix(key: bytes, prefix: int) -> None:
    s = ss58_encode(key, prefix)
    assert ss58_decode(s, prefix) == key
    assert ss58_decode(s, None) == key
    if prefix != 42:
        with pytest.raises(InvalidTransaction, match="prefix"):
            AccountId.from_ss58(s)


@given(keys, st.data())
def test_checksum_failure_raises(key: bytes, data: st.DataObject) -> None:
    raw = bytearray(base58.b58decode(ss58_encode(key)))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    text = base58.b58encode(bytes(raw)).decode()
    with pytest.raises(InvalidTransaction):
        AccountId.from_ss58(text)


def test_bad_addresses() -> None:
    with pytest.raises(InvalidTransaction, match="checksum"):
        AccountId.from_ss58(ALICE_SS58[:-1] + "Z")
    with pytest.raises(InvalidTransaction, match="base58"):
        AccountId.from_ss58("0OIl" + ALICE_SS58[4:])  # 0 O I l are not base58
    with pytest.raises(InvalidTransaction):
        AccountId.from_ss58(ALICE_SS58[:-3])  # truncated
    with pytest.raises(InvalidTransaction):
        AccountId.from_ss58("")
    with pytest.raises(InvalidTransaction):
        AccountId.from_ss58("5Grwvaé")
    with pytest.raises(InvalidTransaction, match="32-byte"):
        # a valid ss58 string of a 1-byte account index
        payload = bytes([42, 7])
        check = hashlib.blake2b(b"SS58PRE" + payload, digest_size=64).digest()[:1]
        AccountId.from_ss58(base58.b58encode(payload + check).decode())
    assert isinstance(InvalidTransaction("x"), ValueError)


def test_account_id_value_semantics() -> None:
    a = AccountId(ALICE_KEY)
    assert a == AccountId(bytearray(ALICE_KEY)) == AccountId(memoryview(ALICE_KEY))
    assert a != ALICE_KEY  # not equal to raw bytes: compare bytes(a)
    assert bytes(a) == ALICE_KEY == a.public_key
    assert len({a, AccountId(ALICE_KEY), ZERO_ACCOUNT}) == 2
    with pytest.raises(AttributeError):
        a._key = b"x"
    with pytest.raises(AttributeError):
        a.foo = 1  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a
    with pytest.raises(InvalidTransaction):
        AccountId(b"\x00" * 31)
    with pytest.raises(TypeError):
        AccountId("5Grw")  # type: ignore[arg-type]
    assert AccountId.from_hex("0x" + ALICE_KEY.hex()) == a
    assert AccountId.from_hex(ALICE_KEY.hex()) == a


def test_repr_is_short_and_readable() -> None:
    r = repr(AccountId(ALICE_KEY))
    assert len(r) < 30
    assert ALICE_SS58[:6] in r and ALICE_SS58[-6:] in r
    assert "alice" in repr(account("alice"))


@given(st.lists(keys, min_size=2, max_size=20))
def test_ordered_by_raw_bytes(ks: list[bytes]) -> None:
    ids = [AccountId(k) for k in ks]
    assert [bytes(a) for a in sorted(ids)] == sorted(ks)
    a, b = ids[0], ids[1]
    assert (a < b) == (ks[0] < ks[1])
    assert (a <= b) == (ks[0] <= ks[1])
    assert (a > b) == (ks[0] > ks[1])
    assert (a >= b) == (ks[0] >= ks[1])
    assert max(ids) == AccountId(max(ks))


def test_ordering_against_other_types_is_an_error() -> None:
    with pytest.raises(TypeError):
        _ = ZERO_ACCOUNT < b"\x01" * 32  # type: ignore[operator]


def test_dev_accounts() -> None:
    a = account("alice")
    assert a == account("alice")
    assert a != account("bob")
    assert bytes(a) == hashlib.blake2b(b"taostate/dev/alice", digest_size=32).digest()
    assert bytes(account("ä")) == hashlib.blake2b("taostate/dev/ä".encode(), digest_size=32).digest()
    # not Substrate's //Alice
    assert bytes(a) != ALICE_KEY
    with pytest.raises(TypeError):
        account(b"alice")  # type: ignore[arg-type]


def test_to_account() -> None:
    a = AccountId(ALICE_KEY)
    assert to_account(a, "f") is a
    assert to_account(ALICE_SS58, "f") == a
    assert to_account(ALICE_KEY, "f") == a
    assert to_account(bytearray(ALICE_KEY), "f") == a
    assert to_account("0x" + ALICE_KEY.hex(), "f") == a
    for bad, why in [
        (5, "int"),
        (None, "NoneType"),
        (ALICE_KEY[:31], "31 bytes"),
        (ALICE_KEY + b"\x00", "33 bytes"),
        (ALICE_SS58[:-1] + "Z", "checksum"),
        ("alice", "ts.account('alice')"),
        ("0x1234", "hex"),
        ([0] * 32, "list"),
    ]:
        with pytest.raises(InvalidTransaction) as ei:
            to_account(bad, "AddStake.hotkey")
        assert str(ei.value).startswith("AddStake.hotkey: ")
        assert why in str(ei.value)
        assert ei.value.field == "AddStake.hotkey"
