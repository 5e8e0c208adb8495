"""Amounts: ``int`` rao everywhere, and :class:`Balance` to show them.

``Balance`` is an immutable integer number of rao that prints as TAO
(``τ1.500000000``). It behaves like an int of rao in arithmetic with ints and
other Balances (``Balance(5) + 1 == Balance(6)``), never touches floats for
its value, and can be passed wherever an amount is expected (``__index__``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, SupportsIndex, Union, overload

__all__ = ["Balance", "RAO_PER_TAO", "TAO"]

RAO_PER_TAO: Final = 10**9
"""1 TAO = 10^9 rao."""
TAO: Final = RAO_PER_TAO
"""Multiply by it: ``5 * TAO`` is 5 TAO in rao."""

_Operand = Union["Balance", int]


def _rao_of(x: object) -> int | None:
    """rao of an operand, or None if it is not one (floats are not)."""
    if isinstance(x, Balance):
        return x._rao
    if isinstance(x, int) and not isinstance(x, bool):
        return int(x)
    return None


class Balance:
    """An amount in rao (an int), displayed in TAO with 9 exact decimals.

    Arithmetic with ``Balance`` or ``int`` (taken as rao) returns a Balance;
    ``Balance / Balance`` is a float ratio; ``Balance // int`` floors. Values
    may be negative (differences); transactions reject negative amounts.
    """

    __slots__ = ("_rao",)

    _rao: int

    def __init__(self, rao: SupportsIndex = 0) -> None:
        if isinstance(rao, bool) or isinstance(rao, float):
            raise TypeError(
                f"Balance takes an int number of rao, got {type(rao).__name__} {rao!r}; "
                f"use Balance.from_tao(...) for TAO"
            )
        try:
            value = rao.__index__()
        except AttributeError:
            raise TypeError(
                f"Balance takes an int number of rao, got {type(rao).__name__} {rao!r}; "
                f"use Balance.from_tao(...) for TAO"
            ) from None
        object.__setattr__(self, "_rao", value)

    @classmethod
    def from_tao(cls, amount: int | str | Decimal | float) -> Balance:
        """Exact TAO → rao: ``from_tao(1)``, ``from_tao("1.5")``,
        ``from_tao(Decimal("0.000000001"))``. A str may carry a leading ``τ``.
        A float is read through its shortest repr (``0.1`` → ``"0.1"``).
        More than 9 decimals raise ValueError (no silent rounding)."""
        if isinstance(amount, bool):
            raise TypeError("Balance.from_tao takes int, str or Decimal, got bool")
        if isinstance(amount, int):
            return cls(amount * RAO_PER_TAO)
        if isinstance(amount, float):
            text = repr(amount)
        elif isinstance(amount, str):
            text = amount.strip()
            sign = ""
            if text and text[0] in "+-":
                sign, text = text[0], text[1:].lstrip()
            if text.startswith("τ"):
                text = text[1:].lstrip()
            text = sign + text.replace("_", "")
        elif isinstance(amount, Decimal):
            text = ""
        else:
            raise TypeError(
                f"Balance.from_tao takes int, str or Decimal, got {type(amount).__name__}"
            )
        try:
            d = amount if isinstance(amount, Decimal) else Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{amount!r} is not a TAO amount") from None
        if not d.is_finite():
            raise ValueError(f"{amount!r} is not a finite TAO amount")
        # Exact integer arithmetic on the digits: Decimal ops would round at the
        # context precision (28 digits).
        negative, digits, exponent = d.as_tuple()
        assert isinstance(exponent, int)
        n = int("".join(map(str, digits)) or "0")
        e = exponent + 9
        if e > 64:
            raise ValueError(f"{amount!r} TAO is too large")
        if e >= 0:
            rao = n * 10**e
        else:
            rao, rest = divmod(n, 10**-e)
            if rest:
                raise ValueError(
                    f"{amount!r} TAO is not a whole number of rao (at most 9 decimals)"
                )
        return cls(-rao if negative else rao)

    @property
    def rao(self) -> int:
        """The amount in rao (int)."""
        return self._rao

    @property
    def tao(self) -> float:
        """The amount in TAO as a float, for display and plotting only."""
        return self._rao / RAO_PER_TAO

    @property
    def tao_decimal(self) -> Decimal:
        """The amount in TAO, exactly."""
        return Decimal(self._rao).scaleb(-9)

    # -- text -------------------------------------------------------------

    def __str__(self) -> str:
        whole, frac = divmod(abs(self._rao), RAO_PER_TAO)
        sign = "-" if self._rao < 0 else ""
        return f"{sign}τ{whole}.{frac:09d}"

    def __repr__(self) -> str:
        return f"Balance({self._rao:_})"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(self.tao_decimal, spec)

    # -- int-like ---------------------------------------------------------

    def __index__(self) -> int:
        return self._rao

    def __int__(self) -> int:
        return self._rao

    def __float__(self) -> float:
        return float(self._rao)

    def __bool__(self) -> bool:
        return self._rao != 0

    def __hash__(self) -> int:
        return hash(self._rao)

    def __eq__(self, other: object) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao == r

    def __ne__(self, other: object) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao != r

    def __lt__(self, other: _Operand) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao < r

    def __le__(self, other: _Operand) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao <= r

    def __gt__(self, other: _Operand) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao > r

    def __ge__(self, other: _Operand) -> bool:
        r = _rao_of(other)
        return NotImplemented if r is None else self._rao >= r

    # -- arithmetic -------------------------------------------------------

    def __add__(self, other: _Operand) -> Balance:
        r = _rao_of(other)
        return NotImplemented if r is None else Balance(self._rao + r)

    __radd__ = __add__

    def __sub__(self, other: _Operand) -> Balance:
        r = _rao_of(other)
        return NotImplemented if r is None else Balance(self._rao - r)

    def __rsub__(self, other: _Operand) -> Balance:
        r = _rao_of(other)
        return NotImplemented if r is None else Balance(r - self._rao)

    def __mul__(self, other: int) -> Balance:
        if isinstance(other, int) and not isinstance(other, bool):
            return Balance(self._rao * other)
        return NotImplemented

    __rmul__ = __mul__

    @overload
    def __floordiv__(self, other: Balance) -> int: ...
    @overload
    def __floordiv__(self, other: int) -> Balance: ...
    def __floordiv__(self, other: _Operand) -> Balance | int:
        """Balance // int floors to a Balance; Balance // Balance is an int count."""
        if isinstance(other, Balance):
            return self._rao // other._rao
        if isinstance(other, int) and not isinstance(other, bool):
            return Balance(self._rao // other)
        return NotImplemented

    def __mod__(self, other: _Operand) -> Balance:
        r = _rao_of(other)
        return NotImplemented if r is None else Balance(self._rao % r)

    def __truediv__(self, other: Balance) -> float:
        """Balance / Balance: the ratio (a float)."""
        if isinstance(other, Balance):
            return self._rao / other._rao
        return NotImplemented

    def __neg__(self) -> Balance:
        return Balance(-self._rao)

    def __pos__(self) -> Balance:
        return self

    def __abs__(self) -> Balance:
        return Balance(abs(self._rao))

    # -- immutability -----------------------------------------------------

    if not TYPE_CHECKING:  # hidden from type checkers, which then flag assignments

        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError("Balance is immutable")

        def __delattr__(self, name: str) -> None:
            raise AttributeError("Balance is immutable")

    def __reduce__(self) -> tuple[type[Balance], tuple[int]]:
        return (Balance, (self._rao,))
