"""Integer ranges (docs/ruleset.md §0.2) and the fixed-point types of §0.3, on plain Python ints.

A fixed-point value is its two's-complement ``bits`` (an ``int``); each type is a :class:`Fixed`
with ``mul`` (floor), ``div`` (truncation toward zero), conversions (floor when narrowing),
``to_int`` (floor) and ``round`` (ties away from zero). Every result is range-checked
(:class:`FixedOverflow`).
"""

from __future__ import annotations

U16_MAX = 0xFFFF
U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


class FixedOverflow(ArithmeticError):
    """A fixed-point result outside the range of its type."""


class Fixed:
    """One fixed-point type: ``frac`` fractional bits out of ``total`` (signed two's complement).

    Values are plain ints holding the ``bits``; every operation checks the result's range.
    """

    def __init__(self, name: str, total: int, frac: int) -> None:
        self.name = name
        self.total = total
        self.frac = frac
        self.one = 1 << frac
        self.lo = -(1 << (total - 1))
        self.hi = (1 << (total - 1)) - 1

    def check(self, bits: int) -> int:
        if not self.lo <= bits <= self.hi:
            raise FixedOverflow(f"{self.name} overflow: {bits}")
        return bits

    def of(self, k: int) -> int:
        """From an integer (exact)."""
        return self.check(k << self.frac)

    def mul(self, a: int, b: int) -> int:
        """``⌊a·b / 2^f⌋`` (Python's >> floors toward −∞)."""
        return self.check((a * b) >> self.frac)

    def div(self, a: int, b: int) -> int:
        """``trunc(a·2^f / b)`` toward zero; b ≠ 0 (every division of the rules is guarded)."""
        if b == 0:
            raise ZeroDivisionError(f"{self.name} division by zero")
        num = a << self.frac
        q = abs(num) // abs(b)
        return self.check(q if (num >= 0) == (b > 0) else -q)

    def to_int(self, a: int) -> int:
        """``⌊value⌋`` (only applied to non-negative values)."""
        assert a >= 0, f"to_int of a negative {self.name}"
        return a >> self.frac

    def round(self, a: int) -> int:
        """Nearest integer, ties away from zero."""
        half = 1 << (self.frac - 1)
        if a >= 0:
            return (a + half) >> self.frac
        return -((-a + half) >> self.frac)

    def to(self, a: int, other: Fixed) -> int:
        """Convert to ``other``: floor when dropping fractional bits, exact otherwise."""
        if other.frac < self.frac:
            return other.check(a >> (self.frac - other.frac))
        return other.check(a << (other.frac - self.frac))

    def normalise(self, xs: list[int]) -> list[int]:
        """If Σx ≠ 0 every element ⊘ Σx, else unchanged (docs/ruleset.md §4.3)."""
        s = sum(xs)
        if s == 0:
            return list(xs)
        return [self.div(x, s) for x in xs]


I32F32 = Fixed("I32F32", 64, 32)
I64F64 = Fixed("I64F64", 128, 64)
I96F32 = Fixed("I96F32", 128, 32)
I110F18 = Fixed("I110F18", 128, 18)


def to_u16_proportion(x: int) -> int:
    """``to_u16(x ⊗ 65535)`` for an I32F32 value x ∈ [0, 1] (docs/ruleset.md §0.2)."""
    v = I32F32.to_int(I32F32.mul(x, I32F32.of(65535)))
    assert 0 <= v <= U16_MAX, v
    return v
