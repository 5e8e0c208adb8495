"""Fuzzing the block decoder: no input may crash the process or escape as a bare exception.

Inputs: raw bytes; valid block records mutated by truncation, bit flips, byte splices and
insertions; and structured records (right envelope, hash chain fixed up) carrying random
transaction arrays, so that inputs get past the envelope into the transaction decoder and the
rules. Each goes to a fresh ``_core.Engine.from_genesis(genesis)`` through ``apply_records`` and,
for transaction bytes, to ``ts.tx.decode``. Every failure must be a named taostate error
(``LogCorrupted`` / ``LogFormatError`` for records, ``InvalidTransaction`` for transactions) —
never a bare exception, never a Rust panic (``pyo3_runtime.PanicException``, a BaseException).

``hypothesis.target`` steers generation toward inputs that get further through the decoder (a
Python-side measure of structural validity), the property-based stand-in for coverage guidance.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

import taostate as ts
from taostate import _core, tx
from taostate.errors import InvalidTransaction, LogCorrupted, LogFormatError

ALICE, BOB, SUDO = ts.account("dec/alice"), ts.account("dec/bob"), ts.account("dec/sudo")
HOT = ts.account("dec/hot")
GENESIS = ts.Genesis(balances={ALICE: 10_000 * ts.TAO, BOB: 100 * ts.TAO, SUDO: 1_000 * ts.TAO},
                     sudo=SUDO, triumvirate=[ALICE], params={"network_rate_limit": 0})
GENESIS_BYTES = GENESIS.to_msgpack()
RECORD_ERRORS = (LogCorrupted, LogFormatError)


def _h(b: bytes) -> bytes:
    return hashlib.blake2b(b, digest_size=32).digest()


def _valid_records() -> list[bytes]:
    """A few real block records: transfers, staking, a subnet, weights, an empty block."""
    e = _core.Engine.from_genesis(GENESIS_BYTES)
    blocks: list[list[tx.Tx]] = [
        [tx.Transfer(origin=ALICE, dest=BOB, amount=5 * ts.TAO),
         tx.RegisterNetwork(origin=ALICE)],
        [tx.BurnedRegister(origin=ALICE, netuid=1, hotkey=HOT),
         tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="tempo", value=1),
         tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="weights_set_rate_limit",
                                  value=0)],
        [],
        [tx.AddStake(origin=ALICE, hotkey=HOT, amount=3 * ts.TAO),
         tx.SetWeights(origin=HOT, netuid=1, uids=[0], values=[65535], version_key=0),
         tx.ServeAxon(origin=HOT, netuid=1, version=1, ip=0x01020304, port=8091, ip_type=4,
                      protocol=4)],
    ]
    out = []
    for txs in blocks:
        for t in txs:
            e.submit(t.to_msgpack())
        out.append(bytes(e.seal()))
    return out


VALID = _valid_records()
VALID_TXS = [tx.decode(msgpack.packb(w, use_bin_type=True))
             for rec in VALID for w in msgpack.unpackb(rec, raw=False)[3]]


def apply_checked(records: list[bytes]) -> str:
    """Apply to a fresh engine; return "ok" or the error class name; fail on anything else."""
    engine = _core.Engine.from_genesis(GENESIS_BYTES)
    try:
        engine.apply_records(records)
    except RECORD_ERRORS as err:
        assert str(err), "a log error without a message"
        return type(err).__name__
    except BaseException as err:  # noqa: BLE001 - a panic is a BaseException
        pytest.fail(f"apply_records raised {type(err).__module__}.{type(err).__name__}: {err!r}")
    engine.state_root()  # the engine survived and is consistent enough to hash
    return "ok"


def decode_checked(data: bytes) -> str:
    try:
        t = tx.decode(data)
    except InvalidTransaction as err:
        assert str(err)
        return "InvalidTransaction"
    except BaseException as err:  # noqa: BLE001
        pytest.fail(f"tx.decode raised {type(err).__name__}: {err!r}")
    assert t.to_msgpack() == bytes(data), "decode accepted a non-canonical encoding"
    return "ok"


def structure_score(record: bytes, prefix: list[bytes]) -> int:
    """How far a record gets through the decoder's stages (Python-side), for `target`."""
    try:
        v = msgpack.unpackb(record, raw=False, strict_map_key=False)
    except Exception:  # noqa: BLE001
        return 0
    if not isinstance(v, list):
        return 1
    score = 2
    if len(v) != 4:
        return score
    score += 1
    if v[0] == 1:
        score += 1
    if v[1] == len(prefix) + 1:
        score += 1
    parent = _h(prefix[-1]) if prefix else _h(GENESIS_BYTES)
    if v[2] == parent:
        score += 1
    if isinstance(v[3], list):
        score += 1
        for w in v[3]:
            try:
                tx.decode(msgpack.packb(w, use_bin_type=True))
                score += 2
            except Exception:  # noqa: BLE001
                score += 1 if isinstance(w, list) and w and isinstance(w[0], int) else 0
    return score


# ---- strategies ------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after 1–4 mutations: truncation, bit flip, byte overwrite, splice, insertion."""
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "set", "splice", "insert", "delete"]))
        if not b:
            b = bytearray(draw(st.binary(max_size=8)))
            continue
        i = draw(st.integers(0, len(b) - 1))
        if op == "truncate":
            del b[i:]
        elif op == "flip":
            b[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            b[i] = draw(st.sampled_from([0x00, 0xC0, 0xC1, 0xC2, 0xC3, 0xCC, 0xCD, 0xCE, 0xCF,
                                         0xD0, 0xD9, 0xDC, 0xDD, 0xDE, 0x90, 0x94, 0xFF]))
        elif op == "splice":
            other = draw(st.sampled_from([*VALID, GENESIS_BYTES]))
            j = draw(st.integers(0, len(other)))
            k = draw(st.integers(j, len(other)))
            b[i:i + (k - j)] = other[j:k]
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            del b[i:i + draw(st.integers(1, 8))]
    return bytes(b)


_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([0, 1, 255, 256, 0xFFFF, 0x10000, 2**32 - 1, 2**32, 2**64 - 1, -1]),
    st.binary(max_size=40), st.sampled_from([bytes(32), bytes(16), b"\x01" * 32]),
    st.text(max_size=12), st.floats(allow_nan=False),
)
_values = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=5), max_leaves=12)


@st.composite
def wire_txs(draw: st.DrawFn) -> Any:
    """A transaction-shaped array: a kind (known or not), an origin, random or real arguments."""
    if draw(st.integers(0, 3)) == 0:
        base = draw(st.sampled_from(VALID_TXS)).to_wire()
        i = draw(st.integers(0, len(base)))
        if i == len(base):
            base.append(draw(_values))
        else:
            base[i] = draw(_values)
        return base
    kind = draw(st.one_of(st.integers(0, 29), st.integers(-5, 300)))
    origin = draw(st.one_of(st.sampled_from([bytes(ALICE), bytes(SUDO), bytes(HOT)]),
                            st.binary(max_size=33)))
    args = draw(st.lists(_values, max_size=9))
    return [kind, origin, *args]


@st.composite
def structured_records(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    """A valid prefix of the real records, then a record with the right envelope (mostly) whose
    transactions are random arrays."""
    k = draw(st.integers(0, len(VALID)))
    prefix = VALID[:k]
    parent = _h(prefix[-1]) if prefix else _h(GENESIS_BYTES)
    version = draw(st.sampled_from([1, 1, 1, 0, 2, -1]))
    number = draw(st.sampled_from([k + 1, k + 1, k + 1, k, k + 2, 0, 2**64 - 1]))
    parent = draw(st.sampled_from([parent, parent, parent, bytes(32), parent[:31]]))
    txs = draw(st.lists(wire_txs(), max_size=4))
    record: Any = [version, number, parent, txs]
    if draw(st.integers(0, 9)) == 0:
        record = draw(st.sampled_from([record[:3], [*record, 0], {"v": 1}, txs, number]))
    return prefix, msgpack.packb(record, use_bin_type=True)


# ---- tests -----------------------------------------------------------------------------------

# Cheap inputs: at least 300 per test even under the `ci` profile.
_DEFAULT = settings.default
assert _DEFAULT is not None
_fuzz = settings(max_examples=max(300, _DEFAULT.max_examples),
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_valid_records_apply() -> None:
    assert apply_checked(VALID) == "ok"
    engine = _core.Engine.from_genesis(GENESIS_BYTES)
    engine.apply_records(VALID)
    assert int(engine.head) == len(VALID)


@pytest.mark.parametrize("record", [b"", b"\xc1", b"\x90", b"\x94\x01\x01\xc4\x20",
                                    msgpack.packb([1, 1, bytes(32), []]),
                                    msgpack.packb([2, 1, _h(GENESIS_BYTES), []]),
                                    msgpack.packb([1, 2, _h(GENESIS_BYTES), []]),
                                    msgpack.packb([1, 1, _h(GENESIS_BYTES), [[99, bytes(32)]]]),
                                    VALID[0][:-1], VALID[0] + b"\x00"])
def test_known_bad_records_are_named_errors(record: bytes) -> None:
    assert apply_checked([record]) in ("LogCorrupted", "LogFormatError")


def test_rejected_transaction_in_a_record_is_log_corrupted() -> None:
    bad = tx.Transfer(origin=BOB, dest=ALICE, amount=10**18)  # more than BOB has
    record = msgpack.packb([1, 1, _h(GENESIS_BYTES), [bad.to_wire()]], use_bin_type=True)
    assert apply_checked([record]) == "LogCorrupted"


@_fuzz
@given(st.binary(max_size=200))
@example(b"\xdd\xff\xff\xff\xff")  # an array header claiming 4 G elements
@example(b"\xc5\xff\xff")  # a bin header longer than the input
def test_raw_bytes(data: bytes) -> None:
    apply_checked([data])
    decode_checked(data)


@_fuzz
@given(st.integers(0, len(VALID) - 1).flatmap(
    lambda i: st.tuples(st.just(i), mutated(VALID[i]))))
def test_mutated_records(case: tuple[int, bytes]) -> None:
    i, record = case
    target(float(structure_score(record, VALID[:i])), label="structure")
    outcome = apply_checked([*VALID[:i], record])
    if record == VALID[i]:
        assert outcome == "ok"


@_fuzz
@given(structured_records())
def test_structured_records(case: tuple[list[bytes], bytes]) -> None:
    prefix, record = case
    target(float(structure_score(record, prefix)), label="structure")
    apply_checked([*prefix, record])


@_fuzz
@given(st.sampled_from(VALID_TXS).flatmap(lambda t: mutated(t.to_msgpack())) | wire_txs().map(
    lambda w: msgpack.packb(w, use_bin_type=True)))
def test_transaction_decoder(data: bytes) -> None:
    decode_checked(data)
    # the same bytes inside an otherwise valid first block
    record = b"\x94\x01\x01\xc4\x20" + _h(GENESIS_BYTES) + b"\x91" + data
    apply_checked([record])


@_fuzz
@given(st.integers(0, len(VALID)).flatmap(lambda k: st.tuples(st.just(k), st.permutations(
    VALID[:k]))))
def test_reordered_records_break_the_hash_chain(case: tuple[int, list[bytes]]) -> None:
    k, records = case
    outcome = apply_checked(records)
    assert (outcome == "ok") == (records == VALID[:k])


@_fuzz
@given(mutated(GENESIS_BYTES))
def test_mutated_genesis(data: bytes) -> None:
    try:
        engine = _core.Engine.from_genesis(data)
    except (InvalidTransaction, LogFormatError, LogCorrupted) as err:
        assert str(err)
        return
    except BaseException as err:  # noqa: BLE001
        pytest.fail(f"from_genesis raised {type(err).__name__}: {err!r}")
    engine.state_root()


SNAPSHOT = bytes(_core.Engine.from_genesis(GENESIS_BYTES).snapshot())


@_fuzz
@given(mutated(SNAPSHOT))
def test_mutated_snapshot(data: bytes) -> None:
    try:
        engine = _core.Engine.restore(data)
    except RECORD_ERRORS as err:
        assert str(err)
        return
    except BaseException as err:  # noqa: BLE001
        pytest.fail(f"Engine.restore raised {type(err).__name__}: {err!r}")
    engine.state_root()
