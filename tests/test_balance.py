"""Balance (taostate.balance): exact rao amounts shown in TAO."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taostate.balance import RAO_PER_TAO, TAO, Balance

rao = st.integers(-(2**70), 2**70)


def test_constants() -> None:
    assert RAO_PER_TAO == TAO == 10**9


def test_str_is_exact() -> None:
    assert str(Balance(1_500_000_000)) == "τ1.500000000"
    assert str(Balance(0)) == "τ0.000000000"
    assert str(Balance(1)) == "τ0.000000001"
    assert str(Balance(-1)) == "-τ0.000000001"
    assert str(Balance(21_000_000 * TAO)) == "τ21000000.000000000"
    # no float rounding: 2**64 - 1 rao is exact
    assert str(Balance(2**64 - 1)) == "τ18446744073.709551615"
    assert repr(Balance(1_500_000_000)) == "Balance(1_500_000_000)"
    assert f"{Balance(1_500_000_000)}" == "τ1.500000000"
    assert f"{Balance(1_500_000_000):.2f}" == "1.50"


@given(rao)
def test_str_roundtrips_through_from_tao(n: int) -> None:
    b = Balance(n)
    assert Balance.from_tao(str(b)) == b
    assert Balance.from_tao(b.tao_decimal) == b
    assert eval(repr(b)) == b


def test_properties() -> None:
    b = Balance(2_500_000_000)
    assert b.rao == 2_500_000_000
    assert b.tao == 2.5
    assert b.tao_decimal == Decimal("2.5")
    assert int(b) == 2_500_000_000
    assert list(range(10))[Balance(3)] == 3  # __index__


def test_arithmetic() -> None:
    a, b = Balance(5), Balance(7)
    assert a + b == Balance(12) and isinstance(a + b, Balance)
    assert a + 1 == Balance(6) and isinstance(a + 1, Balance)
    assert 1 + a == Balance(6) and isinstance(1 + a, Balance)
    assert b - a == Balance(2) and 10 - a == Balance(5) and isinstance(10 - a, Balance)
    assert a * 3 == 3 * a == Balance(15)
    assert b // 2 == Balance(3) and isinstance(b // 2, Balance)
    assert b // a == 1 and type(b // a) is int
    assert b % a == Balance(2)
    assert a / b == 5 / 7
    assert -a == Balance(-5) and abs(-a) == a and +a == a
    assert sum([a, b], Balance(0)) == Balance(12)
    assert sum([a, b]) == Balance(12)
    with pytest.raises(TypeError):
        _ = a + 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = a * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = a / 2  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = a + True


@given(rao, rao)
def test_comparisons_follow_rao(x: int, y: int) -> None:
    a, b = Balance(x), Balance(y)
    assert (a < b) == (x < y) and (a <= b) == (x <= y)
    assert (a > b) == (x > y) and (a >= b) == (x >= y)
    assert (a == b) == (x == y) and (a != b) == (x != y)
    assert (a == y) == (x == y) and (a < y) == (x < y)
    assert (a + b).rao == x + y and (a - b).rao == x - y
    assert hash(a) == hash(x)


def test_equality_with_other_types() -> None:
    assert Balance(1) != 1.0
    assert Balance(1) != "1"
    assert bool(Balance(0)) is False and bool(Balance(1)) is True
    with pytest.raises(TypeError):
        _ = Balance(1) < 1.0  # type: ignore[operator]


def test_from_tao() -> None:
    assert Balance.from_tao(1).rao == TAO
    assert Balance.from_tao("1.5").rao == 1_500_000_000
    assert Balance.from_tao("τ1.5").rao == 1_500_000_000
    assert Balance.from_tao("-τ0.5").rao == -500_000_000
    assert Balance.from_tao(" 1_000 ").rao == 1000 * TAO
    assert Balance.from_tao(Decimal("0.000000001")).rao == 1
    assert Balance.from_tao("1e-9").rao == 1
    assert Balance.from_tao(0.1).rao == 100_000_000  # shortest repr of the float
    assert Balance.from_tao("18446744073.709551615").rao == 2**64 - 1
    big = "123456789012345678901234567890.123456789"
    assert Balance.from_tao(big).rao == int(big.replace(".", ""))  # beyond Decimal's 28 digits
    bads: list[str | float] = ["1.0000000001", "1e-10", "abc", "", "nan", "inf", float("inf"), "1e100"]
    for bad in bads:
        with pytest.raises(ValueError):
            Balance.from_tao(bad)
    wrong: Any
    for wrong in [True, None, [1]]:
        with pytest.raises(TypeError):
            Balance.from_tao(wrong)


def test_construction_and_immutability() -> None:
    with pytest.raises(TypeError):
        Balance(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Balance(True)
    with pytest.raises(TypeError):
        Balance("5")  # type: ignore[arg-type]
    b = Balance(5)
    with pytest.raises(AttributeError):
        b._rao = 6
    assert pickle.loads(pickle.dumps(b)) == b
    assert Balance(Balance(5)) == b
