"""The root epoch's arithmetic (docs/ruleset.md §5): subnet emission values from the root
validators' stakes and weights (§5.1 steps 4–11), with the series ``exp`` of §5.2. Pure functions;
:mod:`model.emission` runs them at A2 of the block step.
"""

from __future__ import annotations

from .fixedpoint import I32F32, I64F64


class ExpOverflow(ArithmeticError):
    pass


E23 = 22_802_600  # e truncated to 23 fractional bits, as bits over 2^23


def fixed_exp(x: int) -> int:
    """docs/ruleset.md §5.2: the series exp of substrate-fixed on I64F64 bits; ExpOverflow on
    failure."""
    f = I64F64
    lim = 1 << 127  # |value| ≥ 2^63 ⇔ |bits| ≥ 2^127

    def ok(v: int) -> int:
        if not -lim < v < lim:
            raise ExpOverflow
        return v

    if x == 0:
        return f.one
    if x == f.one:
        return E23 << (64 - 23)
    neg = x < 0
    y = -x if neg else x
    result = ok(y + f.one)
    term = y
    for i in range(2, 64):
        term = ok((term * y) >> 64)
        term = ok(_trunc_div(term << 64, f.of(i)))
        result = ok(result + term)
    if neg:
        result = ok(_trunc_div(f.one << 64, result))
    return result


def _trunc_div(num: int, den: int) -> int:
    q = abs(num) // abs(den)
    return q if (num >= 0) == (den > 0) else -q


def root_epoch_values(stakes: list[int], rows: list[list[tuple[int, int]]], netuids: list[int],
                      kappa: int, rho: int, emission: int) -> list[int] | str:
    """docs/ruleset.md §5.1 steps 4–11: EmissionValues per netuid of ``netuids`` (ascending), or the
    abort reason (``"zero_stake"``, ``"exp_overflow"``)."""
    f = I64F64
    k = len(netuids)
    col = {u: c for c, u in enumerate(netuids)}
    s = f.normalise([f.of(x) for x in stakes])
    w = [[0] * k for _ in rows]
    for i, row in enumerate(rows):
        for u, v in row:
            if u in col:
                w[i][col[u]] = f.of(v)
    rank = [0] * k
    trust = [0] * k
    for i in range(len(rows)):
        for c in range(k):
            rank[c] += f.mul(s[i], w[i][c])
            if w[i][c] > 0:
                trust[c] += s[i]
    tot = sum(s)
    if tot == 0:
        return "zero_stake"
    trust = [f.div(t, tot) for t in trust]
    kap = I32F32.to(I32F32.div(I32F32.of(kappa), I32F32.of(65535)), f)
    r = f.of(rho)
    ws: list[int] = []
    for c in range(k):
        x = f.mul(trust[c] - kap, r)
        try:
            e = fixed_exp(-x)
        except ExpOverflow:
            return "exp_overflow"
        cc = f.div(f.one, f.one + e)
        ws.append(f.mul(cc, rank[c]))
    ws = f.normalise(ws)
    be = f.of(emission)
    return [f.to_int(f.mul(x, be)) for x in ws]
